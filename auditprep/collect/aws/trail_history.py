"""What ran during the period, from AWS's own records: CloudTrail event history and AWS Config.

A collection sees the estate as it is; the task definition revision that ran privileged in March
and was replaced is gone from it. CloudTrail keeps 90 days of management events in every region
(``LookupEvents``, read-only, no trail needed), so the revisions registered, run, deployed and
deregistered in that window are read back from it, and each revision named there is described
(``DescribeTaskDefinition`` answers for inactive revisions too) so the real checks can judge it.
Where AWS Config records ECS task definitions and services, their configuration history is read
as well. A denied or failed lookup is recorded as a gap in that region, so the population of
what ran there is "not evaluated", never "nothing ran".
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from auditprep.collect import redact
from auditprep.collect.aws.ecs import redact_task_definition
from auditprep.collect.aws.runtime import ApiFailure, RegionContext, ids_of
from auditprep.collect.aws.shared import Shared

EVENT = "aws.trail.event"
REVISION = "aws.trail.task_definition_revision"
CONFIG_HISTORY = "aws.config.resource_history"

LOOKBACK_DAYS = 90  # how far CloudTrail's event history reaches
ECS_EVENTS = (
    "RegisterTaskDefinition",
    "DeregisterTaskDefinition",
    "RunTask",
    "StartTask",
    "CreateService",
    "UpdateService",
    "DeleteService",
)
SOURCES = ("eks.amazonaws.com", "ecr.amazonaws.com")
CONFIG_TYPES = ("AWS::ECS::TaskDefinition", "AWS::ECS::Service")
MAX_EVENTS = 2000  # per lookup: beyond it the record says the history was cut
MAX_CONFIG_RESOURCES = 100


def _when(value: Any) -> str:
    if isinstance(value, str) and value:
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    if isinstance(value, datetime):
        value = value.replace(microsecond=0)
        value = value if value.tzinfo else value.replace(tzinfo=UTC)
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return str(value or "")


def _redacted_event(detail: dict[str, Any]) -> tuple[dict[str, Any], tuple[str, ...]]:
    """The event's own JSON with task definition bodies redacted as the ECS collector redacts them."""
    done: list[str] = []
    req = detail.get("requestParameters")
    if isinstance(req, dict) and "containerDefinitions" in req:
        red, paths = redact_task_definition(req)
        detail["requestParameters"] = red
        done += [f"requestParameters.{p}" for p in paths]
    resp = detail.get("responseElements")
    if isinstance(resp, dict) and isinstance(resp.get("taskDefinition"), dict):
        red, paths = redact_task_definition(resp["taskDefinition"])
        detail["responseElements"] = {**resp, "taskDefinition": red}
        done += [f"responseElements.taskDefinition.{p}" for p in paths]
    return _scrub(detail, "", done), tuple(done)


def _scrub(value: Any, path: str, done: list[str]) -> Any:
    """Every other secret an event can carry: environment values (task overrides, node groups),
    values under secret-looking names, and credential shapes inside any text."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            where = f"{path}.{k}" if path else str(k)
            if k in ("environment", "overrides", "containerOverrides") and isinstance(v, (list, dict)):
                out[k] = _names_only(v, where, done)
            elif isinstance(v, str) and redact.looks_secret(str(k)):
                out[k] = redact.REDACTED
                done.append(where)
            else:
                out[k] = _scrub(v, where, done)
        return out
    if isinstance(value, list):
        return [_scrub(v, f"{path}[{i}]", done) for i, v in enumerate(value)]
    if isinstance(value, str):
        text, changed = redact.text(value)
        if changed:
            done.append(path)
        return text
    return value


def _names_only(value: Any, path: str, done: list[str]) -> Any:
    """Environment entries keep their names, never their values."""
    if isinstance(value, list):
        return [_names_only(v, f"{path}[{i}]", done) for i, v in enumerate(value)]
    if isinstance(value, dict):
        if "name" in value and "value" in value:
            done.append(f"{path}.value")
            return {"name": value["name"], "secret_like": redact.looks_secret(str(value["name"]))}
        return {k: _names_only(v, f"{path}.{k}", done) for k, v in value.items()}
    return value


def _lookup(ctx: RegionContext, attribute: dict[str, str], start: datetime, end: datetime) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    for page in ctx.pages(
        "cloudtrail", "LookupEvents", "Events", LookupAttributes=[attribute], StartTime=start, EndTime=end
    ):
        events.extend(page)
        if len(events) >= MAX_EVENTS:
            break
    return events


def collect(ctx: RegionContext, shared: Shared) -> None:
    """Read the region's event history for container events, then describe every revision named."""
    end = ctx.recorder.clock()
    start = end - timedelta(days=LOOKBACK_DAYS)
    seen: dict[str, dict[str, Any]] = {}
    failure: ApiFailure | None = None
    lookups = [{"AttributeKey": "EventName", "AttributeValue": n} for n in ECS_EVENTS] + [
        {"AttributeKey": "EventSource", "AttributeValue": s} for s in SOURCES
    ]
    for attribute in lookups:
        try:
            found = _lookup(ctx, attribute, start, end)
        except ApiFailure as f:
            failure = f
            break
        for ev in found:
            seen.setdefault(str(ev.get("EventId", "")), ev)
    if failure is not None:
        ctx.attempt(EVENT, "cloudtrail:LookupEvents", failure=failure)
        ctx.attempt(REVISION, "cloudtrail:LookupEvents", failure=failure)
    else:
        window = {"from": _when(start), "to": _when(end)}
        records = []
        for event_id, ev in sorted(seen.items(), key=lambda kv: (_when(kv[1].get("EventTime")), kv[0])):
            try:
                detail = json.loads(ev.get("CloudTrailEvent") or "{}")
            except ValueError:
                detail = {}
            detail, redactions = _redacted_event(detail if isinstance(detail, dict) else {})
            data = {
                "EventId": event_id,
                "EventName": ev.get("EventName", ""),
                "EventSource": ev.get("EventSource", ""),
                "EventTime": _when(ev.get("EventTime")),
                "Username": ev.get("Username", ""),
                "Resources": ev.get("Resources", []),
                "CloudTrailEvent": detail,
                "auditprep_derived": {"describes_at": _when(ev.get("EventTime"))},
            }
            records.append(data)
            ctx.item(
                EVENT,
                "cloudtrail:LookupEvents",
                f"{ctx.arn('cloudtrail', 'event')}/{event_id}",
                data,
                name=f"{data['EventName']} {data['EventTime'][:10]}",
                redactions=redactions,
                request_ids=ids_of(ev),
            )
        ctx.attempt(
            EVENT,
            "cloudtrail:LookupEvents",
            count=len(records),
            message=f"CloudTrail event history {window['from'][:10]} to {window['to'][:10]}"
            + ("" if records else ": no container event in that window"),
        )
        _describe_revisions(ctx, records)
    _config_history(ctx)


def _revision_arns(ctx: RegionContext, records: list[dict[str, Any]]) -> list[str]:
    arns: dict[str, None] = {}
    for r in records:
        detail = r["CloudTrailEvent"]
        resp = detail.get("responseElements") or {}
        req = detail.get("requestParameters") or {}
        for value in (
            (resp.get("taskDefinition") or {}).get("taskDefinitionArn") if isinstance(resp, dict) else None,
            (resp.get("service") or {}).get("taskDefinition") if isinstance(resp, dict) else None,
            *[t.get("taskDefinitionArn") for t in (resp.get("tasks") or []) if isinstance(t, dict)],
            req.get("taskDefinition") if isinstance(req, dict) else None,
        ):
            if isinstance(value, str) and value:
                arn = value if value.startswith("arn:") else ctx.arn("ecs", f"task-definition/{value}")
                if arn.rsplit(":", 1)[-1].isdigit():
                    arns[arn] = None
    return list(arns)


def _describe_revisions(ctx: RegionContext, records: list[dict[str, Any]]) -> None:
    arns = _revision_arns(ctx, records)

    def describe(arn: str) -> tuple[str, Any]:
        try:
            return arn, ctx.call("ecs", "DescribeTaskDefinition", taskDefinition=arn).get("taskDefinition", {})
        except ApiFailure as f:
            return arn, f

    described = 0
    for arn, td in ctx.map(describe, arns):
        name = arn.rsplit("/", 1)[-1]
        if isinstance(td, ApiFailure):
            ctx.attempt(REVISION, "ecs:DescribeTaskDefinition", failure=td, resource=arn, name=name)
            continue
        data, redactions = redact_task_definition(td)
        data["auditprep_derived"] = {"source": "cloudtrail", "trail_events": _events_naming(arn, records)}
        ctx.item(
            REVISION, "ecs:DescribeTaskDefinition", arn, data, name=name, redactions=redactions, request_ids=ids_of(td)
        )
        described += 1
    ctx.attempt(
        REVISION,
        "ecs:DescribeTaskDefinition",
        count=described,
        message="" if arns else "no task definition revision is named in the event history",
    )


def _events_naming(arn: str, records: list[dict[str, Any]]) -> list[str]:
    names = (f'"{arn}"', f'"{arn.rsplit("/", 1)[-1]}"')
    return [r["EventId"] for r in records if any(n in json.dumps(r["CloudTrailEvent"]) for n in names)]


def _config_history(ctx: RegionContext) -> None:
    """AWS Config's recorded history of ECS task definitions and services, where it records them."""
    failures: list[ApiFailure] = []
    notes: list[str] = []
    kept = 0
    for rtype in CONFIG_TYPES:
        try:
            found = ctx.collect_all(
                "config",
                "ListDiscoveredResources",
                "resourceIdentifiers",
                resourceType=rtype,
                includeDeletedResources=True,
            )
        except ApiFailure as f:
            failures.append(f)
            continue
        notes.append(
            f"{rtype}: {len(found)} listed" if found else f"{rtype}: none listed (not recorded, or none existed)"
        )
        for ident in found[:MAX_CONFIG_RESOURCES]:
            rid = ident.get("resourceId", "")
            try:
                items = ctx.collect_all(
                    "config", "GetResourceConfigHistory", "configurationItems", resourceType=rtype, resourceId=rid
                )
            except ApiFailure as f:
                ctx.attempt(CONFIG_HISTORY, "config:GetResourceConfigHistory", failure=f, resource=rid, name=rid)
                continue
            history = [
                {
                    "captured": _when(i.get("configurationItemCaptureTime")),
                    "status": i.get("configurationItemStatus", ""),
                    "arn": i.get("arn", ""),
                }
                for i in items
            ]
            ctx.item(
                CONFIG_HISTORY,
                "config:GetResourceConfigHistory",
                rid if str(rid).startswith("arn:") else f"{rtype}/{rid}",
                {
                    "resourceType": rtype,
                    "resourceId": rid,
                    "history": history,
                    "auditprep_derived": {"describes_at": history[0]["captured"] if history else ""},
                },
                name=ident.get("resourceName", rid),
                request_ids=ids_of(items),
            )
            kept += 1
    if failures and len(failures) == len(CONFIG_TYPES):
        ctx.attempt(CONFIG_HISTORY, "config:ListDiscoveredResources", failure=failures[0])
        return
    for f in failures:  # one type denied, the other read: a gap of its own, named by the type
        ctx.attempt(CONFIG_HISTORY, "config:ListDiscoveredResources", failure=f, resource="AWS Config listing")
    ctx.attempt(CONFIG_HISTORY, "config:ListDiscoveredResources", count=kept, message="; ".join(notes))
