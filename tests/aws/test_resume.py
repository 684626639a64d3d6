"""A collection killed part-way keeps the accounts it finished; ``collect --resume`` does the rest,
and the engagement ends with the same evidence as one uninterrupted collection (real processes,
SIGKILL, moto's server)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from auditprep.collect.journal import journal_path
from auditprep.store import Engagement

from .world import R1, client

MEMBERS = 6


def _auditprep(*args: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "auditprep", *args], capture_output=True, text=True, timeout=300, **kw)


def _estate() -> list[str]:
    orgs = client("organizations", R1)
    orgs.create_organization(FeatureSet="ALL")
    ids = []
    for n in range(MEMBERS):
        acct = orgs.create_account(Email=f"m{n}@example.test", AccountName=f"m{n}")["CreateAccountStatus"]["AccountId"]
        ids.append(acct)
        sts = client("sts", R1).assume_role(
            RoleArn=f"arn:aws:iam::{acct}:role/OrganizationAccountAccessRole", RoleSessionName="seed"
        )["Credentials"]
        import boto3

        member = boto3.session.Session(
            aws_access_key_id=sts["AccessKeyId"],
            aws_secret_access_key=sts["SecretAccessKey"],
            aws_session_token=sts["SessionToken"],
        )
        ecs = member.client("ecs", region_name=R1)
        ecs.create_cluster(clusterName=f"c{n}")
        for f in range(3):
            ecs.register_task_definition(
                family=f"app{f}",
                containerDefinitions=[{"name": "a", "image": f"nginx:{f}", "memory": 64, "user": "1000"}],
            )
    return ids


def _evidence(path: Path) -> set[tuple]:
    with Engagement.open(path, readonly=True) as eng:
        return {
            (e.kind, e.scope.label(), e.resource, e.status.value, e.message, e.content_hash)
            for e in eng.current_evidence(with_data=False)
        }


COLLECT = ("--no-docker", "--region", R1, "--org-role", "OrganizationAccountAccessRole")


def test_a_killed_collection_resumes_to_the_evidence_of_one_run(aws, tmp_path):
    members = _estate()
    env = {**os.environ, "PYTHONPATH": os.environ.get("PYTHONPATH", "")}
    whole, killed = tmp_path / "whole.auditprep", tmp_path / "killed.auditprep"
    for eng in (whole, killed):
        assert _auditprep("init", str(eng), "--framework", "pci-dss", env=env).returncode == 0

    done = _auditprep("collect", str(whole), *COLLECT, env=env)
    assert done.returncode in (0, 4), done.stderr
    assert not journal_path(whole).exists()  # an uninterrupted collection leaves no journal

    # slowed by an overall cap so it can be stopped part-way, then killed outright
    proc = subprocess.Popen(
        [sys.executable, "-m", "auditprep", "collect", str(killed), *COLLECT, "--max-rps", "8"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    journal = journal_path(killed)
    deadline = time.monotonic() + 120
    stored = 0
    while time.monotonic() < deadline and proc.poll() is None:
        if journal.exists():
            import json

            try:
                stored = len(json.loads(journal.read_text()).get("done", {}).get("aws", {}))
            except ValueError:
                stored = 0
            if stored >= 3:
                break
        time.sleep(0.05)
    if proc.poll() is not None:
        pytest.fail("the collection ended before it could be interrupted")
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert 3 <= stored < MEMBERS + 1

    partial = _evidence(killed)
    accounts = {label.split("/")[0] for _, label, *_ in partial}
    assert 0 < len(accounts & set(members)) < MEMBERS  # some accounts kept, not all

    resumed = _auditprep("collect", str(killed), *COLLECT, "--resume", env=env)
    assert resumed.returncode in (0, 4), resumed.stderr
    assert "no interrupted collection" not in resumed.stderr
    assert not journal.exists()
    assert _evidence(killed) == _evidence(whole)
    with Engagement.open(killed, readonly=True) as eng:
        runs = eng.runs()
    # the accounts stored before the kill were not collected again
    assert len(runs) == MEMBERS + 1 + 0  # one run per account of the organisation (and the management account)
    check = _auditprep("verify", str(killed), env=env)
    assert check.returncode == 0, check.stdout + check.stderr


def test_resume_refuses_other_options_and_without_a_journal_collects_everything(aws, tmp_path):
    _estate()
    env = dict(os.environ)
    eng = tmp_path / "e.auditprep"
    assert _auditprep("init", str(eng), "--framework", "pci-dss", env=env).returncode == 0
    journal_path(eng).write_text(
        '{"format": 1, "started_at": "x", "options": {"aws": {"regions": ["eu-west-1"]}, "docker": null},'
        ' "done": {"aws": {}}}'
    )
    refused = _auditprep("collect", str(eng), *COLLECT, "--resume", env=env)
    assert refused.returncode == 2 and "other options" in refused.stderr and "Traceback" not in refused.stderr
    journal_path(eng).unlink()
    fresh = _auditprep("collect", str(eng), *COLLECT, "--resume", env=env)
    assert fresh.returncode in (0, 4) and "no interrupted collection to resume" in fresh.stderr
