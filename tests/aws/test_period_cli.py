"""Evidence over the period against a moto server, through the real CLI.

CloudTrail: moto 5 answers ``LookupEvents`` with an HTTP 500 (not implemented), so the ``aws``
fixture puts moto behind ``trail_proxy.TrailProxy``, which records every successful ECS/ECR/EKS
write sent through it as the management event CloudTrail keeps (name, source, time, region,
request parameters and response elements as sent and answered) and answers ``LookupEvents``
from that record with CloudTrail's filters and paging. The estate's history is made by real
calls to moto; only the event log is modelled. Event times follow the proxy's clock, which these
tests set back to spread the history over weeks. AWS Config: moto models no ECS resource type,
so ``ListDiscoveredResources`` lists none and the Config history holds nothing here; the denied
case is answered by the proxy as a role without ``config:ListDiscoveredResources`` gets it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
from pypdf import PdfReader

REGION = "eu-west-1"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "auditprep", *args],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "AUDITPREP_USER": "Ana Auditprep"},
    )


def container(name: str, **extra: object) -> dict:
    return {"name": name, "image": f"registry.example/{name}:1", "memory": 256, "user": "1000", **extra}


class At:
    """The proxy's clock: when each write in the estate's history happened."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


def _estate(trail, days_ago: int) -> tuple[object, At]:
    clock = At(datetime.now(UTC) - timedelta(days=days_ago))
    trail.clock = clock
    ecs = boto3.client("ecs", region_name=REGION)
    ecs.create_cluster(clusterName="payments")
    ecs.register_task_definition(family="api", containerDefinitions=[container("api", readonlyRootFilesystem=True)])
    ecs.create_service(cluster="payments", serviceName="api", taskDefinition="api:1", desiredCount=2)
    return ecs, clock


def test_two_collections_show_a_privileged_revision_in_history_and_report(aws: str, trail, tmp_path: Path) -> None:
    ecs, clock = _estate(trail, 40)
    # a one-off job: registered privileged, deployed for two days, replaced and deregistered in the period
    clock.now += timedelta(days=3)
    ecs.register_task_definition(family="backfill", containerDefinitions=[container("job", privileged=True)])
    ecs.create_service(cluster="payments", serviceName="backfill", taskDefinition="backfill:1", desiredCount=1)
    clock.now += timedelta(days=2)
    ecs.register_task_definition(family="backfill", containerDefinitions=[container("job")])
    ecs.update_service(cluster="payments", service="backfill", taskDefinition="backfill:2")
    ecs.deregister_task_definition(taskDefinition="backfill:1")

    eng = tmp_path / "e.engagement"
    year = datetime.now(UTC).year
    assert run("init", str(eng), "--framework", "pci-dss", "--period", f"{year}-01-01..{year}-12-31").returncode == 0
    first = run("collect", str(eng), "--no-docker", "--region", REGION)
    assert first.returncode == 0, first.stdout + first.stderr

    clock.now += timedelta(days=10)
    ecs.register_task_definition(family="api", containerDefinitions=[container("api", privileged=True)])
    ecs.update_service(cluster="payments", service="api", taskDefinition="api:2")
    second = run("collect", str(eng), "--no-docker", "--region", REGION)
    assert second.returncode == 0, second.stdout + second.stderr

    proc = run("history", str(eng), "--control", "HRD-01", "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert len(data["evaluations"]) == 2
    changes = {(d["check"], d["resource"].rsplit("/", 1)[-1]): (d["from"], d["to"]) for d in data["drift"]}
    assert changes[("aws.ecs.task_privileged", "api:2")] == ("absent", "fail")
    (hrd,) = data["controls"]
    assert hrd["points"][-1]["state"] != "in_place"

    # the backfill revision no collection saw: found in the event history and judged
    past = {r["name"]: r for r in data["past_revisions"]["revisions"]}
    backfill = past["backfill:1"]
    assert backfill["deregistered_at"] and backfill["to"]
    assert "aws.ecs.task_privileged" in backfill["failing"]
    assert backfill["sentence"].startswith("Revision backfill:1 ran from ")
    assert "aws.ecs.task_privileged" not in past["backfill:2"]["failing"]
    assert data["past_revisions"]["gaps"] == []

    text = run("history", str(eng))
    assert "api:2: first judged" in text.stdout and "aws.ecs.task_privileged fail" in text.stdout
    assert "Revision backfill:1 ran" in text.stdout

    pdf = tmp_path / "r.pdf"
    rep = run("report", str(eng), "--framework", "pci-dss", "--format", "pdf", "-o", str(pdf))
    assert rep.returncode == 0, rep.stderr
    reader = PdfReader(str(pdf))
    start = next(
        i for i in range(len(reader.pages) - 1, -1, -1) if "Freshness of the evidence" in reader.pages[i].extract_text()
    )
    appendix = " ".join(reader.pages[i].extract_text() for i in range(start, len(reader.pages)))
    assert "Evidence over the period" in appendix
    assert "aws.ecs.task_privileged" in appendix and "api:2" in appendix
    assert "backfill:1" in appendix and "Drift" in appendix


def test_denied_event_history_and_config_make_populations_not_evaluated(aws: str, trail, tmp_path: Path) -> None:
    _estate(trail, 5)
    trail.deny |= {"LookupEvents", "ListDiscoveredResources"}
    eng = tmp_path / "e.engagement"
    assert run("init", str(eng), "--framework", "pci-dss").returncode == 0
    proc = run("collect", str(eng), "--no-docker", "--region", REGION)
    assert proc.returncode == 4, proc.stdout + proc.stderr  # gaps were recorded
    assert "cloudtrail:LookupEvents" in proc.stdout

    pop = json.loads(run("population", str(eng), "--kind", "ecs-tasks", "--json").stdout)
    assert pop["status"] == "incomplete"  # the services were read; what ran outside them was not
    assert any("cloudtrail:LookupEvents" in g["reason"] and "not evaluated" in g["reason"] for g in pop["gaps"])
    text = run("population", str(eng), "--kind", "task-definitions")
    assert "NOT EVALUATED" in text.stdout and "does not mean none existed" in text.stdout

    hist = json.loads(run("history", str(eng), "--json").stdout)
    gaps = hist["past_revisions"]["gaps"]
    assert gaps and all(g["status"] == "access_denied" for g in gaps)
    assert hist["past_revisions"]["revisions"] == []
    assert "AWS history not evaluated" in run("history", str(eng)).stdout


def test_sample_is_the_same_for_a_seed_and_recorded(aws: str, trail, tmp_path: Path) -> None:
    ecs, clock = _estate(trail, 20)
    for n in range(12):
        clock.now += timedelta(hours=6)
        compat = {"requiresCompatibilities": ["FARGATE"], "cpu": "256", "memory": "512"} if n % 3 else {}
        ecs.register_task_definition(
            family=f"job-{n}", containerDefinitions=[container("job")], networkMode="awsvpc", **compat
        )
    eng = tmp_path / "e.engagement"
    assert run("init", str(eng), "--framework", "pci-dss").returncode == 0
    assert run("collect", str(eng), "--no-docker", "--region", REGION).returncode == 0

    def draw(seed: str) -> dict:
        proc = run("sample", str(eng), "--population", "task-definitions", "--size", "4", "--seed", seed, "--json")
        assert proc.returncode == 0, proc.stderr
        return json.loads(proc.stdout)

    a, b, c = draw("q1"), draw("q1"), draw("q2")
    assert [m["id"] for m in a["members"]] == [m["id"] for m in b["members"]]
    assert {m["id"] for m in a["members"]} != {m["id"] for m in c["members"]}
    assert a["total"] == 13 and {m["variant"]["platform"] for m in a["members"]} == {"ecs-fargate", "ecs-ec2"}
    assert (a["reference"], b["reference"], c["reference"]) == ("S-001", "S-002", "S-003")
    assert run("verify", str(eng)).returncode == 0
    too_small = run("sample", str(eng), "--population", "task-definitions", "--size", "1", "--seed", "x")
    assert too_small.returncode == 2 and "cannot cover the 2 variants" in too_small.stderr
    assert "Traceback" not in too_small.stderr


def test_plain_moto_lacks_lookup_events_and_that_is_a_gap_not_an_empty_history(
    aws: str, moto_endpoint: str, monkeypatch
) -> None:
    """Straight to moto, without the proxy: ``LookupEvents`` fails there (HTTP 500), and the
    collector records an error for the region's event history, never 'no container event'."""
    from auditprep.collect.aws import collect_aws
    from auditprep.evaluate.population import build
    from auditprep.models import CallStatus

    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    boto3.client("ecs", region_name=REGION).create_cluster(clusterName="payments")
    out = collect_aws(regions=[REGION], max_attempts=1)
    (attempt,) = [e for e in out.evidence if e.kind == "aws.trail.event" and not e.resource]
    assert attempt.status is CallStatus.ERROR and "cloudtrail:LookupEvents" in attempt.message
    pop = build("ecs-tasks", out.evidence, out.evidence).as_dict()
    assert pop["status"] != "evaluated" and pop["gaps"]


def test_event_history_keeps_no_secret_value() -> None:
    """Task definition bodies, task overrides and secret-looking fields inside events are redacted at collection."""
    from auditprep.collect.aws.trail_history import _redacted_event

    secret = "hunter2-never-stored"
    event = {
        "requestParameters": {
            "family": "api",
            "containerDefinitions": [{"name": "api", "environment": [{"name": "DB_PASSWORD", "value": secret}]}],
            "overrides": {"containerOverrides": [{"name": "api", "environment": [{"name": "TOKEN", "value": secret}]}]},
        },
        "responseElements": {
            "tasks": [{"overrides": {"containerOverrides": [{"environment": [{"name": "X", "value": secret}]}]}}],
            "clientSecret": secret,
        },
        "userAgent": f"deploy --password {secret}",
    }
    red, paths = _redacted_event(event)
    assert secret not in json.dumps(red)
    assert red["requestParameters"]["overrides"]["containerOverrides"][0]["environment"] == [
        {"name": "TOKEN", "secret_like": True}
    ]
    assert "responseElements.clientSecret" in paths and any("environment" in p for p in paths)
