"""`auditprep collect` end to end against moto over HTTP: a real process, the real store.

The estate is the demo company's (tests/demo/estate.py): a few things are deliberately wrong.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import boto3
from demo.estate import seed_aws

SECRET = b"demo-secret-value-never-stored"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "AUDITPREP_USER": "tester"}
    proc = subprocess.run(
        [sys.executable, "-m", "auditprep", *args], capture_output=True, text=True, env=env, timeout=300
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def findings(eng: Path) -> list[dict]:
    proc = run("findings", str(eng), "--json")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_collect_then_findings(aws: str, tmp_path: Path) -> None:
    seed_aws(boto3.Session(), aws)
    eng = tmp_path / "larkspur.engagement"
    assert run("init", str(eng), "--framework", "pci-dss").returncode == 0
    proc = run("collect", str(eng), "--no-docker", "--region", "eu-west-1", "--region", "us-east-1")
    # moto has no eks:DescribeClusterVersions: the cluster's version support comes from the EKS
    # release calendar auditprep ships (dated, and said so), so nothing is a gap
    assert proc.returncode == 0, proc.stdout + proc.stderr
    gaps = [line for line in proc.stdout.splitlines() if line.startswith("- ")]
    assert gaps == [], gaps
    assert "SERVICE" in proc.stdout and "eu-west-1" in proc.stdout

    rows = findings(eng)
    assert rows and {
        "check",
        "title",
        "status",
        "severity",
        "resource",
        "account",
        "region",
        "message",
        "controls",
        "evidence",
    } <= set(rows[0])
    failing = {(r["check"], r["resource"].rsplit("/", 1)[-1].split(":")[0]) for r in rows if r["status"] == "fail"}
    statuses = {(r["check"], r["resource"].rsplit("/", 1)[-1].split(":")[0]): r["status"] for r in rows}
    # the ledger names no user: whether it runs as root depends on its image's USER, which is not shown
    assert statuses[("aws.ecs.task_nonroot", "payments-ledger")] == "not_evaluated"
    assert ("aws.ecs.task_env_secrets", "payments-ledger") in failing
    assert ("aws.ecs.task_nonroot", "payments-api") not in failing
    assert any(
        r["check"] == "aws.elb.tls_policy" and r["status"] == "fail" and "partner-legacy" in r["resource"] for r in rows
    )
    assert any(
        r["check"] == "aws.guardduty.enabled" and r["status"] == "fail" and r["region"] == "us-east-1" for r in rows
    )
    assert all(r["evidence"] for r in rows if r["status"] in ("pass", "fail"))
    (eks_version,) = [
        r for r in rows if r["check"] == "aws.eks.version_supported" and "platform-tools" in r["resource"]
    ]
    assert eks_version["status"] == "warn" and "release calendar as of" in eks_version["message"]

    pci_only = findings_for(eng, "pci-dss")
    assert pci_only and all(r["controls"] for r in pci_only)
    for path in tmp_path.iterdir():
        assert SECRET not in path.read_bytes(), path
    assert run("verify", str(eng)).returncode == 0


def findings_for(eng: Path, framework: str) -> list[dict]:
    proc = run("findings", str(eng), "--framework", framework, "--json")
    assert proc.returncode == 0
    return json.loads(proc.stdout)


def test_denied_calls_exit_4_and_become_not_evaluated(fault_proxy, aws: str, tmp_path: Path) -> None:
    seed_aws(boto3.Session(), aws)
    fault_proxy.deny.add("DescribeTaskDefinition")
    eng = tmp_path / "e.engagement"
    run("init", str(eng), "--framework", "pci-dss")
    proc = run("collect", str(eng), "--no-docker", "--region", "eu-west-1")
    assert proc.returncode == 4, proc.stdout + proc.stderr
    assert "ecs:DescribeTaskDefinition" in proc.stdout
    rows = [r for r in findings(eng) if r["check"] == "aws.ecs.task_nonroot"]
    assert rows and all(r["status"] == "not_evaluated" for r in rows)
    assert any("ecs:DescribeTaskDefinition" in r["message"] for r in rows)
    assert not any(r["status"] == "pass" for r in rows)


def test_unreachable_aws_exits_3_and_keeps_the_engagement(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    eng = tmp_path / "e.engagement"
    run("init", str(eng), "--framework", "hipaa")
    before = run("status", str(eng), "--json").stdout
    proc = run("collect", str(eng), "--no-docker", "--region", "eu-west-1")
    assert proc.returncode == 3
    assert [line for line in proc.stderr.splitlines() if line.startswith("auditprep: aws: ")]
    after = run("status", str(eng), "--json").stdout
    assert json.loads(after)["frameworks"] == json.loads(before)["frameworks"]
    assert run("verify", str(eng)).returncode == 0


def test_docker_not_configured_is_skipped_with_a_note(aws: str, tmp_path: Path, monkeypatch) -> None:
    """An ECS-only team runs collect with no flags: Docker is skipped and said so, never a failure."""
    from auditprep.collect.run import DEFAULT_DOCKER_SOCKET, docker_configured

    home = tmp_path / "home"
    (home / ".docker").mkdir(parents=True)
    assert docker_configured({"DOCKER_HOST": "unix:///x.sock"}, home)
    (home / ".docker" / "config.json").write_text('{"currentContext": "swarm-prod"}')
    assert docker_configured({}, home)
    (home / ".docker" / "config.json").write_text('{"currentContext": "default"}')
    if Path(DEFAULT_DOCKER_SOCKET).exists():
        import pytest

        pytest.skip(f"{DEFAULT_DOCKER_SOCKET} exists here, so Docker counts as configured")
    assert not docker_configured({}, home)

    seed_aws(boto3.Session(), aws)
    eng = tmp_path / "ecs-only.engagement"
    assert run("init", str(eng), "--framework", "pci-dss").returncode == 0
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("DOCKER_CONFIG", raising=False)
    proc = run("collect", str(eng), "--region", "eu-west-1")
    assert proc.returncode in (0, 4), proc.stdout + proc.stderr  # never 3: AWS was reached
    assert "Docker: skipped, because no Docker host is configured" in proc.stdout
    assert "auditprep: docker" not in proc.stderr
    none = run("collect", str(eng), "--no-aws")
    assert none.returncode == 2 and "no Docker host is configured" in none.stderr
