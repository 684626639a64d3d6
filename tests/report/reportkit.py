"""Shared pieces of the report tests: constants, a frozen clock, and what a team records."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

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

FRAMEWORKS = ("pci-dss", "hipaa", "hitrust", "fedramp-moderate")
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
# A container setting that is really evidence text: HTML that, if it were markup, would make
# weasyprint embed /etc/passwd in the PDF.
ATTACH_HTML = '<a rel="attachment" href="file:///etc/passwd">passwd</a>'
LEAD = "ana@larkspur.example"
ENGINEER = "ben@larkspur.example"


class Clock:
    """Advances one second per call from T0, so engagement times are reproducible."""

    def __init__(self, start: datetime = T0):
        self.now = start

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


def answer(cid: str, value: str, narrative: str, question: str = "status") -> Answer:
    return Answer(
        control_id=cid,
        question_id=f"{cid}.{question}",
        value=value,
        narrative=narrative,
        answered_by=LEAD,
        answered_at=T0,
    )


def record_team_work(eng: Engagement) -> None:
    """What a team records: answers (one contradicted by a check), an attestation, an exception, a document."""
    eng.record_answers(
        [
            answer(
                "HRD-01",
                "yes",
                "Task definitions in use in both accounts set privileged to false; the "
                "deployment pipeline rejects a revision that asks for it.",
            ),
            answer(
                "IR-01",
                "yes",
                "The incident response plan has container playbooks for Fargate, ECS on EC2, EKS "
                "and the Docker hosts; the current version was approved in October.",
            ),
            answer(
                "MON-01",
                "partial",
                "GuardDuty Runtime Monitoring covers the ECS clusters; the Docker hosts still rely on a legacy agent.",
            ),
            answer("LOG-01", "no", "Container logs are not yet shipped from the standalone Docker hosts."),
        ]
    )
    eng.attest(Attestation(control_id="IR-01", attested_by="cio@larkspur.example", attested_at=T0, reattest_days=365))
    eng.add_exception(
        ControlException(
            control_id="VUL-04",
            owner="platform-lead@larkspur.example",
            rationale="The legacy batch image is retired in March; until then its findings are accepted.",
            expires=T0 + timedelta(days=120),
            recorded_by=LEAD,
            recorded_at=T0,
        )
    )
    eng.attach(
        b"%PDF-1.4 container incident playbook v3",
        filename="container-playbook-v3.pdf",
        media_type="application/pdf",
        actor=LEAD,
        control_id="IR-01",
        description="Approved playbook",
    )


# --- synthetic ----------------------------------------------------------------------------------

ACCOUNT, REGION, HOST = "111111111111", "eu-west-1", "unix:///var/run/docker.sock (build-01)"


def synthetic_evidence() -> list[Evidence]:
    aws, docker = Scope(account=ACCOUNT, region=REGION), Scope(host=HOST)

    def ev(
        kind: str,
        scope: Scope,
        resource: str = "",
        name: str = "",
        data: dict | None = None,
        status: CallStatus = CallStatus.COLLECTED,
        message: str = "",
        op: str = "",
    ) -> Evidence:
        source = Source.DOCKER if scope.host else Source.AWS
        return Evidence(
            source=source,
            collector=source.value,
            operation=op or f"{kind}:Describe",
            kind=kind,
            scope=scope,
            resource=resource,
            resource_name=name,
            collected_at=T0,
            status=status,
            message=message,
            data=data or {},
        )

    td = {
        "taskDefinitionArn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/web:3",
        "requiresCompatibilities": ["FARGATE"],
        "networkMode": "awsvpc",
        "containerDefinitions": [
            {
                "name": "app",
                "image": "111111111111.dkr.ecr.eu-west-1.amazonaws.com/web@sha256:" + "ab" * 32,
                "user": "1000",
                "readonlyRootFilesystem": True,
                "privileged": False,
                "environment": [{"name": "DB_PASSWORD", "value": "[REDACTED]"}],
            }
        ],
        "auditprep_derived": {"in_use_by_services": [f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/prod/web"]},
    }
    return [
        ev("aws.ecs.cluster", aws, op="ecs:ListClusters"),
        ev(
            "aws.ecs.cluster",
            aws,
            f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/prod",
            "prod",
            {"clusterName": "prod", "status": "ACTIVE", "activeServicesCount": 1, "runningTasksCount": 2},
        ),
        ev(
            "aws.ecs.service",
            aws,
            f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/prod/web",
            "web",
            {
                "serviceName": "web",
                "launchType": "FARGATE",
                "clusterArn": "arn:aws:ecs:x:1:cluster/prod",
                "taskDefinition": td["taskDefinitionArn"],
                "desiredCount": 2,
                "runningCount": 2,
            },
        ),
        ev("aws.ecs.task_definition", aws, td["taskDefinitionArn"], "web:3", td),
        ev(
            "aws.guardduty.detector",
            aws,
            status=CallStatus.ACCESS_DENIED,
            op="guardduty:ListDetectors",
            message="User is not authorized to perform guardduty:ListDetectors",
        ),
        ev("docker.daemon", docker, "engine-1", "build-01", {"ServerVersion": "20.10.24", "OperatingSystem": "Debian"}),
        ev(
            "docker.container",
            docker,
            "c" * 64,
            ATTACH_HTML,
            {
                "Name": "/legacy",
                "Config": {"Image": "legacy:1", "User": ATTACH_HTML},
                "State": {"Status": "running"},
                "HostConfig": {"Privileged": True, "ReadonlyRootfs": False},
            },
        ),
    ]


def synthetic_findings(stored: list[Evidence]) -> list[Finding]:
    by_kind = {e.kind: e for e in stored if e.resource}
    aws, docker = Scope(account=ACCOUNT, region=REGION), Scope(host=HOST)
    td, ctr = by_kind["aws.ecs.task_definition"], by_kind["docker.container"]
    gap = next(e for e in stored if e.status is CallStatus.ACCESS_DENIED)

    def f(
        check: str,
        status: FindingStatus,
        resource: str,
        scope: Scope,
        message: str,
        controls: tuple[str, ...],
        evidence: tuple[str, ...],
    ) -> Finding:
        return Finding(
            check=check,
            title=check,
            status=status,
            severity=Severity.HIGH,
            resource=resource,
            scope=scope,
            message=message,
            controls=controls,
            evidence=evidence,
        )

    return [
        f(
            "aws.ecs.task_privileged",
            FindingStatus.PASS,
            td.resource,
            aws,
            "Task definition web:3 is not privileged.",
            ("HRD-01",),
            (td.id,),
        ),
        f(
            "docker.container.privileged",
            FindingStatus.FAIL,
            ctr.resource,
            docker,
            f"Container {ATTACH_HTML} on {HOST} runs privileged.",
            ("HRD-01",),
            (ctr.id,),
        ),
        f(
            "aws.guardduty.enabled",
            FindingStatus.NOT_EVALUATED,
            "",
            aws,
            "Not evaluated in 111111111111/eu-west-1: guardduty:ListDetectors could not be collected because access "
            "was denied.",
            ("MON-01",),
            (gap.id,),
        ),
    ]


def render_pdf(engagement: str, framework: str, out: str) -> str:
    """Render one framework PDF in a worker process (the tests render the four frameworks two at a time)."""
    from pathlib import Path

    from auditprep.catalog import load_catalog
    from auditprep.report import render_report

    with Engagement.open(Path(engagement), readonly=True) as eng:
        return str(render_report(eng, load_catalog(), framework=framework, fmt="pdf", out=Path(out)))
