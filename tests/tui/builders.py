"""A small engagement with evidence, findings, answers, an attestation and an exception, built
through the real store API, for the TUI tests and snapshots.

The findings are written directly (``replace_findings``) rather than evaluated: these tests are
about what the TUI shows and writes; the checks have their own tests.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from auditprep.catalog import Catalog
from auditprep.models import (
    Answer,
    Attestation,
    CallStatus,
    ControlException,
    Evidence,
    Finding,
    FindingStatus,
    Scope,
    Severity,
    Source,
)
from auditprep.store import Engagement

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
HOST = "unix:///var/run/docker.sock"


def frozen(at: datetime = T0):
    """A clock that never moves (snapshots must not depend on how often it is read)."""
    return lambda: at


def build_engagement(path: Path, catalog: Catalog, *, answered: bool = True, collected: bool = True) -> Path:
    clock = frozen(T0)
    with Engagement.create(
        path,
        name="Payments platform 2026",
        organisation="Larkspur Health",
        frameworks=["pci-dss", "hipaa"],
        actor="lead@larkspur",
        clock=clock,
    ) as eng:
        eng.add_scope("lead@larkspur", "aws_region", "eu-west-1")
        eng.add_scope("lead@larkspur", "docker_host", HOST)
        if collected:
            _collect(eng, catalog)
        if answered:
            eng.record_answers(
                [
                    Answer(
                        control_id="HRD-01",
                        question_id="HRD-01.status",
                        value="yes",
                        narrative="Admission control rejects privileged pods; the pipeline lints compose files.",
                        answered_by="eng@larkspur",
                        answered_at=T0,
                    ),
                    Answer(
                        control_id="HRD-01",
                        question_id="HRD-01.enforced",
                        value="admission control",
                        answered_by="eng@larkspur",
                        answered_at=T0,
                    ),
                    Answer(
                        control_id="LOG-01",
                        question_id="LOG-01.status",
                        value="partial",
                        narrative="Swarm hosts use journald; the build host still logs to local files.",
                        answered_by="eng@larkspur",
                        answered_at=T0,
                    ),
                    Answer(
                        control_id="SEC-02",
                        question_id="SEC-02.status",
                        value="no",
                        answered_by="lead@larkspur",
                        answered_at=T0,
                    ),
                ]
            )
            eng.attest(Attestation(control_id="LOG-01", attested_by="lead@larkspur", attested_at=T0, reattest_days=90))
            eng.add_exception(
                ControlException(
                    control_id="SEC-02",
                    owner="CISO",
                    rationale="Vault migration lands in Q1; quarterly manual rotation.",
                    expires=T0 + timedelta(days=20),
                    recorded_by="lead@larkspur",
                    recorded_at=T0,
                )
            )
    return path


def _collect(eng: Engagement, catalog: Catalog) -> None:
    host = Scope(host=HOST)
    docker = [
        Evidence(
            source=Source.DOCKER,
            collector="docker",
            operation="info",
            kind="docker.daemon",
            scope=host,
            resource="engine-7f3a",
            resource_name="build-01",
            collected_at=T0,
            data={"LoggingDriver": "json-file", "ServerVersion": "20.10.24"},
        ),
        Evidence(
            source=Source.DOCKER,
            collector="docker",
            operation="containers.list",
            kind="docker.container",
            scope=host,
            resource="c0ffee01",
            resource_name="payments-api",
            collected_at=T0,
            data={
                "HostConfig": {"Privileged": True, "CapAdd": ["NET_ADMIN"]},
                "Config": {"Env": ["DB_PASSWORD=[redacted]"]},
            },
            redactions=("Config.Env.DB_PASSWORD",),
        ),
        Evidence(
            source=Source.DOCKER,
            collector="docker",
            operation="containers.list",
            kind="docker.container",
            scope=host,
            resource="c0ffee02",
            resource_name="ledger-worker",
            collected_at=T0,
            data={"HostConfig": {"Privileged": False, "CapAdd": None}, "Config": {"User": "1000"}},
        ),
        Evidence(
            source=Source.DOCKER,
            collector="docker",
            operation="containers.list",
            kind="docker.container",
            scope=host,
            collected_at=T0,
            data={"count": 2},
        ),
    ]
    _, stored_docker = eng.add_run(
        actor="eng@larkspur",
        source=Source.DOCKER,
        started_at=T0,
        evidence=docker,
        identity="engine-7f3a",
        targets=[HOST],
    )
    region = Scope(account="111122223333", region="eu-west-1")
    aws = [
        Evidence(
            source=Source.AWS,
            collector="aws",
            operation="cloudtrail:DescribeTrails",
            kind="aws.cloudtrail.trail",
            scope=region,
            resource="arn:aws:cloudtrail:eu-west-1:111122223333:trail/org",
            resource_name="org",
            collected_at=T0,
            data={"IsMultiRegionTrail": True, "LogFileValidationEnabled": True},
        ),
        Evidence(
            source=Source.AWS,
            collector="aws",
            operation="ecs:ListClusters",
            kind="aws.ecs.cluster",
            scope=region,
            collected_at=T0,
            status=CallStatus.ACCESS_DENIED,
            message="AccessDenied: the role lacks ecs:ListClusters",
        ),
    ]
    _, stored_aws = eng.add_run(
        actor="eng@larkspur",
        source=Source.AWS,
        started_at=T0,
        evidence=aws,
        identity="arn:aws:sts::111122223333:assumed-role/audit/eng",
        targets=["eu-west-1"],
    )
    api, ledger, daemon = stored_docker[1].id, stored_docker[2].id, stored_docker[0].id
    trail = stored_aws[0].id
    findings = [
        Finding(
            check="docker.container.privileged",
            title="Containers are not privileged",
            status=FindingStatus.FAIL,
            severity=Severity.HIGH,
            resource="payments-api",
            scope=host,
            message="payments-api runs privileged.",
            controls=("HRD-01",),
            evidence=(api,),
        ),
        Finding(
            check="docker.container.privileged",
            title="Containers are not privileged",
            status=FindingStatus.PASS,
            severity=Severity.HIGH,
            resource="ledger-worker",
            scope=host,
            message="ledger-worker is not privileged.",
            controls=("HRD-01",),
            evidence=(ledger,),
        ),
        Finding(
            check="docker.container.capabilities",
            title="Containers add no dangerous capabilities",
            status=FindingStatus.WARN,
            severity=Severity.MEDIUM,
            resource="payments-api",
            scope=host,
            message="payments-api adds NET_ADMIN.",
            controls=("HRD-02",),
            evidence=(api,),
        ),
        Finding(
            check="docker.daemon.logging_driver",
            title="The daemon ships logs off the host",
            status=FindingStatus.FAIL,
            severity=Severity.MEDIUM,
            resource="build-01",
            scope=host,
            message="build-01 logs with json-file, which stays on the host.",
            controls=("LOG-01",),
            evidence=(daemon,),
        ),
        Finding(
            check="aws.cloudtrail.multi_region",
            title="A multi-region trail is logging",
            status=FindingStatus.PASS,
            severity=Severity.HIGH,
            resource="org",
            scope=region,
            message="Trail org records every region.",
            controls=("LOG-02",),
            evidence=(trail,),
        ),
        Finding(
            check="docker.container.env_secrets",
            title="No secret values in container environments",
            status=FindingStatus.FAIL,
            severity=Severity.HIGH,
            resource="payments-api",
            scope=host,
            message="payments-api sets DB_PASSWORD in its environment (value not stored).",
            controls=("SEC-01",),
            evidence=(api,),
        ),
    ]
    eng.replace_findings(findings, "eng@larkspur")
