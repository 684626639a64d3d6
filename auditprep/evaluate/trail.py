"""Task definition revisions that ran during the period, rebuilt from CloudTrail events and judged.

The AWS collector reads the region's event history (RegisterTaskDefinition, RunTask, StartTask,
CreateService, UpdateService, DeregisterTaskDefinition) and describes every revision those events
name. Here the events are replayed in order to find when each revision ran (a service deployed it
until an update moved the service to another revision; a task was started with it), and the
revision is judged by the same task definition checks as the live estate. So "revision 7 ran
privileged from 03-02 to 03-19" is stated even though revision 7 is long deregistered. Where the
history could not be read, the answer is "not evaluated" with the reason, never "nothing ran".
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from auditprep.evaluate.freshness import Period
from auditprep.models import CallStatus, Evidence, FindingStatus

EVENT = "aws.trail.event"
REVISION = "aws.trail.task_definition_revision"
TASK_DEFINITION = "aws.ecs.task_definition"
TD_CHECK_PREFIX = "aws.ecs.task_"


@dataclass
class Revision:
    arn: str
    where: str
    registered_at: str = ""
    deregistered_at: str = ""
    windows: list[dict[str, Any]] = field(default_factory=list)  # {"from", "to", "how", "by"}
    open_services: dict[str, str] = field(default_factory=dict)  # service -> since


def _td_arn(ref: Any, region: str, account: str, registered: dict[str, list[tuple[str, str]]], at: str) -> str:
    """An ARN for a task definition reference ('family', 'family:rev' or an ARN) as of ``at``."""
    if not isinstance(ref, str) or not ref:
        return ""
    if ref.startswith("arn:"):
        return ref
    if ":" in ref:
        return f"arn:aws:ecs:{region}:{account}:task-definition/{ref}"
    earlier = [arn for when, arn in registered.get(ref, []) if when <= at]
    return earlier[-1] if earlier else ""


def replay(events: Iterable[Evidence]) -> dict[str, Revision]:
    """Each revision's registration, deregistration and the windows in which it ran."""
    ordered = sorted(events, key=lambda e: (e.data.get("EventTime", ""), e.data.get("EventId", "")))
    registered: dict[str, list[tuple[str, str]]] = {}
    revisions: dict[str, Revision] = {}
    service_td: dict[str, tuple[str, str]] = {}  # service -> (revision arn, since)

    def rev(arn: str, ev: Evidence) -> Revision:
        return revisions.setdefault(arn, Revision(arn, ev.scope.label()))

    for ev in ordered:
        d = ev.data.get("CloudTrailEvent") or {}
        name, at = ev.data.get("EventName", ""), ev.data.get("EventTime", "")
        region, account = ev.scope.region or "", ev.scope.account or ""
        req = d.get("requestParameters") or {}
        resp = d.get("responseElements") or {}
        if not isinstance(req, dict) or not isinstance(resp, dict):
            continue
        td_resp = resp.get("taskDefinition") if isinstance(resp.get("taskDefinition"), dict) else {}
        if name == "RegisterTaskDefinition" and td_resp.get("taskDefinitionArn"):
            arn = td_resp["taskDefinitionArn"]
            registered.setdefault(arn.rsplit("/", 1)[-1].rsplit(":", 1)[0], []).append((at, arn))
            rev(arn, ev).registered_at = at
        elif name == "DeregisterTaskDefinition":
            arn = td_resp.get("taskDefinitionArn") or _td_arn(
                req.get("taskDefinition"), region, account, registered, at
            )
            if arn:
                rev(arn, ev).deregistered_at = at
        elif name in ("RunTask", "StartTask"):
            arns = {
                _td_arn(t.get("taskDefinitionArn"), region, account, registered, at)
                for t in resp.get("tasks") or []
                if isinstance(t, dict)
            } - {""}
            if not arns:
                arns = {_td_arn(req.get("taskDefinition"), region, account, registered, at)} - {""}
            for arn in arns:
                rev(arn, ev).windows.append({"from": at, "to": at, "how": f"task started ({name})", "by": ""})
        elif name == "DeleteService":
            svc = resp.get("service") if isinstance(resp.get("service"), dict) else {}
            service = svc.get("serviceArn") or str(req.get("service") or "")
            gone = service_td.pop(service, None)
            if gone:
                old = rev(gone[0], ev)
                old.windows.append({"from": gone[1], "to": at, "how": "deployed by service", "by": service})
                old.open_services.pop(service, None)
        elif name in ("CreateService", "UpdateService"):
            svc = resp.get("service") if isinstance(resp.get("service"), dict) else {}
            service = svc.get("serviceArn") or str(req.get("service") or req.get("serviceName") or "")
            arn = _td_arn(svc.get("taskDefinition") or req.get("taskDefinition"), region, account, registered, at)
            if not service or not arn:
                continue
            previous = service_td.get(service)
            if previous and previous[0] == arn:
                continue
            if previous:
                old = rev(previous[0], ev)
                old.windows.append({"from": previous[1], "to": at, "how": "deployed by service", "by": service})
                old.open_services.pop(service, None)
            service_td[service] = (arn, at)
            rev(arn, ev).open_services[service] = at
    return revisions


def judge(revision_items: Sequence[Evidence]) -> dict[str, list[tuple[str, str, str]]]:
    """revision ARN -> (check, status, message) from every task definition check, as for the live estate."""
    from auditprep.checks import EvidenceView, load_all

    registry = load_all()
    as_td = [ev.model_copy(update={"kind": TASK_DEFINITION}) for ev in revision_items]
    view = EvidenceView(as_td)
    out: dict[str, list[tuple[str, str, str]]] = {}
    for cid, spec in sorted(registry.items()):
        if not cid.startswith(TD_CHECK_PREFIX) or spec.requires != (TASK_DEFINITION,):
            continue
        for result in spec.fn(view):
            out.setdefault(result.resource, []).append((cid, result.status.value, result.message))
    return out


def past_revisions(evidence: Sequence[Evidence], period: Period, current: Iterable[str] = ()) -> dict[str, Any]:
    """The revisions CloudTrail shows running in the period, each judged; and where it could not tell."""
    events = [e for e in evidence if e.kind == EVENT and e.resource and e.status is CallStatus.COLLECTED]
    items = {e.resource: e for e in evidence if e.kind == REVISION and e.resource and e.status is CallStatus.COLLECTED}
    gaps = [
        {"where": e.scope.label(), "status": e.status.value, "reason": e.message or e.status.value, "evidence": e.id}
        for e in evidence
        if e.kind in (EVENT, REVISION) and e.status is not CallStatus.COLLECTED
    ]
    windows = {e.scope.label(): e.message for e in evidence if e.kind == EVENT and not e.resource}
    current_set = set(current)
    replayed = replay(events)
    verdicts = judge(list(items.values()))
    out = []
    for arn, r in sorted(replayed.items()):
        ran = list(r.windows) + [
            {"from": since, "to": "", "how": "deployed by service", "by": svc} for svc, since in r.open_services.items()
        ]
        if not ran and not r.registered_at:
            continue
        starts = [w["from"] for w in ran] or [r.registered_at]
        ends = [w["to"] for w in ran]
        still = any(not t for t in ends)
        span_to = "" if still else max([t for t in ends if t] or [r.deregistered_at or r.registered_at])
        if period.set and not _overlaps(min(starts), span_to, period):
            continue
        results = verdicts.get(arn, [])
        failing = [c for c, s, _ in results if s == FindingStatus.FAIL.value]
        name = arn.rsplit("/", 1)[-1]
        if ran:
            span = f"ran from {min(starts)[:10]} " + ("and is still in use" if still else f"to {span_to[:10]}")
        else:
            span = f"was registered {r.registered_at[:10]}; no task or deployment of it is in the event history"
        if arn not in items:
            judged = "not evaluated: its definition could not be read"
        elif failing:
            judged = "failing " + ", ".join(failing)
        else:
            judged = "passing every task definition check"
        out.append(
            {
                "arn": arn,
                "name": name,
                "where": r.where,
                "registered_at": r.registered_at,
                "deregistered_at": r.deregistered_at,
                "ran": ran,
                "from": min(starts),
                "to": span_to,
                "current": arn in current_set,
                "evidence": items[arn].id if arn in items else "",
                "results": [{"check": c, "status": s, "message": m} for c, s, m in results],
                "failing": failing,
                "sentence": f"Revision {name} {span}"
                + (f" (deregistered {r.deregistered_at[:10]})" if r.deregistered_at else "")
                + f": {judged}.",
            }
        )
    return {"windows": windows, "gaps": gaps, "revisions": out}


def _overlaps(start: str, end: str, period: Period) -> bool:
    s = _parse(start)
    e = _parse(end) if end else None
    if s is None:
        return True
    if period.end_at and s >= period.end_at:
        return False
    return not (period.start_at and e is not None and e < period.start_at)


def _parse(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def past_revisions_of(eng: Any, *, resource: str | None = None) -> dict[str, Any]:
    """``past_revisions`` over an engagement's current evidence (only ``resource`` if given)."""
    info = eng.info()
    evidence = eng.current_evidence(kinds=(EVENT, REVISION, TASK_DEFINITION))
    current = [e.resource for e in evidence if e.kind == TASK_DEFINITION and e.resource]
    found = past_revisions(evidence, Period.of(info.period_start, info.period_end), current)
    if resource:
        found["revisions"] = [r for r in found["revisions"] if r["arn"] == resource]
    return found
