"""One kit for building engagements in tests, through the real store API.

Two stories: ``build_engagement`` (a payments platform, for the assistant's tests and snapshots)
and ``build_every_record`` (one record of every kind an evidence package carries, with names that
need escaping). Findings are written directly (``replace_findings``) rather than evaluated: these
tests are about what is shown, stored and packaged; the checks have their own tests.
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

MINI = Path(__file__).resolve().parent / "fixtures" / "mini"
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
HOST = "unix:///var/run/docker.sock"


def frozen(at: datetime = T0):
    """A clock that never moves (snapshots must not depend on how often it is read)."""
    return lambda: at


def build_engagement(path: Path, catalog: Catalog, *, answered: bool = True, collected: bool = True) -> Path:
    """The assistant's story: a payments platform under PCI DSS and HIPAA, part answered, one
    collection with a denied call, an attestation and an exception."""
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


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


def build_every_record(path: Path) -> Engagement:
    """A small engagement holding every kind of record a package carries."""
    eng = Engagement.create(
        path, name="acme <pay>", organisation="Acme & Co", frameworks=["pci-dss"], actor="ana", clock=Clock()
    )
    eng.add_scope("ana", "aws-account", "111111111111", "production")
    aws = [
        Evidence(
            source=Source.AWS,
            collector="aws",
            operation="ecs:DescribeTaskDefinition",
            kind="aws.ecs.task_definition",
            scope=Scope(account="111111111111", region="eu-west-1"),
            resource="arn:aws:ecs:eu-west-1:111111111111:task-definition/web:3",
            resource_name="web:3",
            collected_at=T0,
            data={"containerDefinitions": [{"name": "web", "privileged": False}]},
            request_ids=("6f1e2c3a-0b9d-4e8f-a7c6-5d4b3a291807",),
        ),
        Evidence(
            source=Source.AWS,
            collector="aws",
            operation="guardduty:ListDetectors",
            kind="aws.guardduty.detector",
            scope=Scope(account="111111111111", region="eu-west-1"),
            collected_at=T0,
            status=CallStatus.ACCESS_DENIED,
            message="not authorised",
            request_ids=("0c9d8e7f-6a5b-4c3d-2e1f-0a9b8c7d6e5f",),
        ),
    ]
    docker = [
        Evidence(
            source=Source.DOCKER,
            collector="docker",
            operation="containers.list",
            kind="docker.container",
            scope=Scope(host="build-01"),
            resource="c0ffee",
            resource_name="api",
            collected_at=T0,
            data={"HostConfig": {"Privileged": True}, "Image": "sha256:" + "ab" * 32},
            api_paths=("GET /v1.41/containers/c0ffee/json",),
        ),
    ]
    _, stored_aws = eng.add_run(
        actor="ana",
        source=Source.AWS,
        started_at=T0,
        evidence=aws,
        identity="arn:aws:sts::111111111111:assumed-role/audit/ana",
        targets=["111111111111/eu-west-1"],
    )
    _, stored_docker = eng.add_run(
        actor="ana", source=Source.DOCKER, started_at=T0, evidence=docker, identity="engine-1", targets=["build-01"]
    )
    eng.replace_findings(
        [
            Finding(
                check="docker.container.privileged",
                title="Containers are not privileged",
                status=FindingStatus.FAIL,
                severity=Severity.HIGH,
                resource="c0ffee",
                scope=Scope(host="build-01"),
                message="Container api runs privileged.",
                controls=("HRD-01",),
                evidence=(stored_docker[0].id,),
            ),
        ],
        "ana",
    )
    eng.record_answer(
        Answer(
            control_id="HRD-01",
            question_id="HRD-01.status",
            value="no",
            narrative="not yet",
            answered_by="ana",
            answered_at=T0,
        )
    )
    eng.record_answer(
        Answer(
            control_id="HRD-01",
            question_id="HRD-01.status",
            value="partial",
            narrative="api still privileged",
            answered_by="bo",
            answered_at=T0 + timedelta(hours=1),
        )
    )
    eng.attest(Attestation(control_id="HRD-01", attested_by="cio", attested_at=T0, reattest_days=90))
    eng.add_exception(
        ControlException(
            control_id="HRD-01",
            owner="ops",
            rationale="legacy agent needs it",
            expires=T0 + timedelta(days=30),
            recorded_by="ana",
            recorded_at=T0,
        )
    )
    eng.attach(
        b"%PDF-1.4 runbook",
        filename="IR runbook <v2>.pdf",
        media_type="application/pdf",
        actor="ana",
        control_id="HRD-01",
        description="incident runbook",
    )
    return eng
