"""Populations: every workload, image, host or cluster seen during the period, with where it was seen.

An assessor samples from a population, so the population must be complete and its sources
stated. Members come from every collection run inside the period (not only the latest), and for
task definitions and ECS tasks also from CloudTrail's event history, which shows revisions and
tasks that no collection saw. Each member carries its variant (platform and account, or host),
which sampling covers first. Where a source could not be read in some scope (CloudTrail denied,
a Docker host unreachable), the population says it is incomplete there and why; it never
presents a gap as "nothing ran".
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from auditprep.evaluate.freshness import Period
from auditprep.models import CallStatus, Evidence

KINDS = ("ecs-tasks", "task-definitions", "images", "containers", "hosts", "clusters")

# population kind -> evidence kinds it is built from
SOURCES: dict[str, tuple[str, ...]] = {
    "ecs-tasks": ("aws.ecs.service", "aws.trail.event"),
    "task-definitions": ("aws.ecs.task_definition", "aws.trail.task_definition_revision", "aws.trail.event"),
    "images": ("aws.ecr.image", "docker.image"),
    "containers": ("docker.container", "docker.swarm_service"),
    "hosts": ("docker.daemon", "docker.swarm_node", "aws.eks.nodegroup"),
    "clusters": ("aws.ecs.cluster", "aws.eks.cluster", "docker.swarm"),
}
DESCRIPTIONS = {
    "ecs-tasks": "ECS tasks: the tasks of each service, and tasks started outside services",
    "task-definitions": "ECS task definition revisions in use, latest, or run during the period",
    "images": "Container images in registries and on Docker hosts",
    "containers": "Containers on Docker hosts and swarm services",
    "hosts": "Docker hosts, swarm nodes and EKS managed node groups",
    "clusters": "ECS clusters, EKS clusters and Docker swarms",
}
SOURCE_LABELS = {
    "aws.ecs.service": "ecs:DescribeServices",
    "aws.ecs.task_definition": "ecs:DescribeTaskDefinition",
    "aws.trail.task_definition_revision": "CloudTrail event history + ecs:DescribeTaskDefinition",
    "aws.trail.event": "CloudTrail event history (cloudtrail:LookupEvents)",
    "aws.ecr.image": "ecr:DescribeImages",
    "docker.image": "Docker Engine API /images",
    "docker.container": "Docker Engine API /containers",
    "docker.swarm_service": "Docker Engine API /services",
    "docker.daemon": "Docker Engine API /info",
    "docker.swarm_node": "Docker Engine API /nodes",
    "aws.eks.nodegroup": "eks:DescribeNodegroup",
    "aws.ecs.cluster": "ecs:DescribeClusters",
    "aws.eks.cluster": "eks:DescribeCluster",
    "docker.swarm": "Docker Engine API /swarm",
}
TASK_EVENTS = ("RunTask", "StartTask")


@dataclass
class Member:
    id: str
    name: str
    variant: dict[str, str]
    source: str
    evidence: str
    first_seen: str
    last_seen: str
    detail: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "variant": dict(self.variant),
            "source": self.source,
            "evidence": self.evidence,
            "first_seen": self.first_seen,
            "last_seen": self.last_seen,
            "detail": self.detail,
        }


@dataclass
class Population:
    kind: str
    members: list[Member] = field(default_factory=list)
    gaps: list[dict[str, str]] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        if self.gaps and not self.members:
            return "not_evaluated"
        return "incomplete" if self.gaps else "evaluated"

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "description": DESCRIPTIONS[self.kind],
            "status": self.status,
            "total": len(self.members),
            "sources": self.sources,
            "gaps": self.gaps,
            "members": [m.as_dict() for m in self.members],
        }


def _iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


def _account(ev: Evidence) -> str:
    return ev.scope.account or ev.scope.host or "local"


def variant(kind: str, ev: Evidence) -> dict[str, str]:
    """What sampling must cover: the platform (launch type, OS/architecture) and the account or host."""
    d = ev.data
    if ev.source.value == "docker":
        platform = "docker-swarm" if ev.kind.startswith("docker.swarm") else "docker"
        return {"platform": platform, "host": ev.scope.host or "local"}
    if ev.kind in ("aws.ecs.task_definition", "aws.trail.task_definition_revision"):
        compat = d.get("requiresCompatibilities") or d.get("compatibilities") or ["EC2"]
        platform = "ecs-fargate" if "FARGATE" in compat else "ecs-ec2"
    elif ev.kind == "aws.ecs.service":
        platform = "ecs-fargate" if d.get("launchType") == "FARGATE" else "ecs-ec2"
    elif ev.kind.startswith("aws.eks"):
        platform = "eks"
    elif ev.kind.startswith("aws.ecr"):
        platform = "ecr"
    elif ev.kind == "aws.ecs.cluster":
        platform = "ecs"
    else:
        platform = ev.kind.split(".")[1]
    return {"platform": platform, "account": _account(ev), "region": ev.scope.region or ""}


def _members_from_items(kind: str, items: Iterable[Evidence]) -> list[Member]:
    found: dict[str, Member] = {}
    for ev in sorted(items, key=lambda e: e.collected_at):
        if kind == "ecs-tasks" and ev.kind == "aws.trail.event" and ev.data.get("EventName") == "CreateService":
            svc = ((ev.data.get("CloudTrailEvent") or {}).get("responseElements") or {}).get("service") or {}
            sid = str(svc.get("serviceArn") or "") if isinstance(svc, dict) else ""
            at = str(ev.data.get("EventTime", ""))
            if sid and sid not in found:
                found[sid] = Member(
                    sid,
                    sid.rsplit("/", 1)[-1],
                    variant(kind, ev) | {"platform": "ecs-" + str(svc.get("launchType") or "ec2").lower()},
                    SOURCE_LABELS[ev.kind],
                    ev.id,
                    at,
                    at,
                    f"the tasks of a service created {at[:10]} (CloudTrail)",
                )
            continue
        if kind == "ecs-tasks" and ev.kind == "aws.trail.event":
            if ev.data.get("EventName") not in TASK_EVENTS:
                continue
            resp = (ev.data.get("CloudTrailEvent") or {}).get("responseElements") or {}
            tasks = [t for t in (resp.get("tasks") or []) if isinstance(t, dict)] if isinstance(resp, dict) else []
            for t in tasks or [{"taskArn": ev.resource}]:
                tid = str(t.get("taskArn") or ev.resource)
                at = str(ev.data.get("EventTime", ""))
                found.setdefault(
                    tid,
                    Member(
                        tid,
                        tid.rsplit("/", 1)[-1],
                        variant(kind, ev) | {"platform": "ecs-" + str(t.get("launchType") or "ec2").lower()},
                        SOURCE_LABELS[ev.kind],
                        ev.id,
                        at,
                        at,
                        f"started {at[:10]} ({ev.data.get('EventName')})",
                    ),
                )
            continue
        if kind == "task-definitions" and ev.kind == "aws.trail.event":
            continue  # the revisions it names are members through their own records
        rid = ev.resource
        seen = _iso(ev.collected_at)
        m = found.get(rid)
        if m is None:
            detail = ""
            if ev.kind == "aws.ecs.service":
                detail = f"{ev.data.get('runningCount', '?')} running task(s) of {ev.data.get('desiredCount', '?')}"
            elif ev.kind == "aws.trail.task_definition_revision":
                detail = "seen in CloudTrail event history"
            found[rid] = Member(
                rid,
                ev.resource_name or rid,
                variant(kind, ev),
                SOURCE_LABELS.get(ev.kind, ev.kind),
                ev.id,
                seen,
                seen,
                detail,
            )
        else:
            m.first_seen, m.last_seen = min(m.first_seen, seen), max(m.last_seen, seen)
    return sorted(found.values(), key=lambda m: m.id)


def build(kind: str, evidence: Sequence[Evidence], latest: Sequence[Evidence]) -> Population:
    """The population ``kind`` from ``evidence`` (every run in the period); gaps from ``latest``
    (the current evidence), since a gap mended by a later run is no gap any more."""
    if kind not in SOURCES:
        raise ValueError(kind)
    wanted = SOURCES[kind]
    items = [e for e in evidence if e.kind in wanted and e.resource and e.status is CallStatus.COLLECTED]
    pop = Population(kind, _members_from_items(kind, items))
    pop.sources = sorted({SOURCE_LABELS.get(k, k) for k in wanted})
    for ev in latest:
        if ev.kind in wanted and ev.status not in (CallStatus.COLLECTED, CallStatus.NOT_ENABLED):
            what = SOURCE_LABELS.get(ev.kind, ev.kind)
            pop.gaps.append(
                {
                    "where": ev.scope.label() + (f" {ev.resource}" if ev.resource else ""),
                    "source": what,
                    "status": ev.status.value,
                    "reason": f"{what} could not be read ({ev.message or ev.status.value}); members there are not "
                    "evaluated, which does not mean none existed",
                }
            )
    return pop


def of_engagement(eng: Any, kind: str) -> Population:
    """The population over the engagement's period, from every run (see ``store.history``)."""
    from auditprep.store.history import evidence_in_period

    info = eng.info()
    period = Period.of(info.period_start, info.period_end)
    evidence = evidence_in_period(eng, SOURCES[kind], period.start_at, period.end_at)
    return build(kind, evidence, eng.current_evidence(kinds=SOURCES[kind]))


def render(pop: dict[str, Any], limit: int = 200) -> str:
    lines = [
        f"Population {pop['kind']}: {pop['description']}.",
        f"{pop['total']} member(s); status {pop['status'].replace('_', ' ')}; sources: {', '.join(pop['sources'])}.",
    ]
    for g in pop["gaps"]:
        lines.append(f"NOT EVALUATED in {g['where']}: {g['reason']}.")
    if pop["members"]:
        lines.append("")
        for m in pop["members"][:limit]:
            v = "/".join(x for x in m["variant"].values() if x)
            lines.append(
                f"  {m['name']}  [{v}]  seen {m['first_seen'][:10]}..{m['last_seen'][:10]}  {m['detail']}".rstrip()
            )
        if len(pop["members"]) > limit:
            lines.append(f"  ... and {len(pop['members']) - limit} more (use --json for all).")
    return "\n".join(lines)
