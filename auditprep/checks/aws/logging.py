"""Logging checks: CloudTrail coverage and integrity, and CloudWatch Logs retention and encryption.

A trail is judged once, in its home region (or the first collected region that lists it when its
home region was not collected); each region's coverage is judged in that region.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from auditprep.checks.aws._common import failed, passed, resource_gaps, scope_result, unknown, warned, where
from auditprep.checks.engine import EvidenceView, Result, check
from auditprep.models import Evidence, FindingStatus

TRAIL = "aws.cloudtrail.trail"
STATUS = "aws.cloudtrail.trail_status"
LOG_GROUP = "aws.logs.log_group"
NO_TRAIL_HOME = "no trail has its home in this region"
RETENTION_DAYS = 365


def _management(trail: dict[str, Any]) -> str:
    """'all', 'partial', 'none' or 'unknown': which management events the trail records.

    A trail with no custom selectors records all management events (AWS's default selector), so
    empty selector lists mean 'all'; selectors that were not read at all mean 'unknown'.
    """
    if "EventSelectors" not in trail and "AdvancedEventSelectors" not in trail:
        return "unknown"
    basic = trail.get("EventSelectors") or []
    advanced = trail.get("AdvancedEventSelectors") or []
    if not basic and not advanced:
        return "all"
    best = "none"
    for sel in basic:
        if sel.get("IncludeManagementEvents", True):
            if sel.get("ReadWriteType", "All") == "All":
                return "all"
            best = "partial"
    for adv in advanced:
        for field in adv.get("FieldSelectors") or []:
            if field.get("Field") == "eventCategory" and "Management" in (field.get("Equals") or []):
                return "all"
    return best


def _shortfalls(trail: dict[str, Any]) -> list[str]:
    """What keeps one trail from covering the region's management events, in words."""
    out = []
    if trail.get("IsMultiRegionTrail") is None:
        out.append("whether it is multi-region was not reported")
    elif not trail["IsMultiRegionTrail"]:
        out.append("single-region")
    logging = (trail.get("Status") or {}).get("IsLogging")
    if logging is None:
        out.append("its logging status was not reported")
    elif not logging:
        out.append("not logging")
    management = _management(trail)
    if management == "unknown":
        out.append("its event selectors were not read")
    elif management == "partial":
        out.append("records only read or only write management events")
    elif management == "none":
        out.append("management events excluded by its event selectors")
    return out


_UNKNOWN_MARKS = ("not reported", "not read")


@check("aws.cloudtrail.multi_region", requires=[TRAIL, STATUS], absent="no trail was read here")
def multi_region(view: EvidenceView) -> Iterator[Result]:
    for scope in view.scopes(TRAIL):
        if resource_gaps(view, [STATUS], scope):
            continue
        trails = view.items(TRAIL, scope)
        good = [t for t in trails if not _shortfalls(t.data)]
        if good:
            t = good[0]
            default = (
                " (no custom event selectors: AWS's default records them all)"
                if not (t.data.get("EventSelectors") or t.data.get("AdvancedEventSelectors"))
                else ""
            )
            yield passed(
                t,
                f"Multi-region trail {t.resource_name} (home {t.data.get('HomeRegion')}) is logging all "
                f"management events{default} {where(scope)}.",
            )
            continue
        if not trails:
            yield scope_result(
                FindingStatus.FAIL,
                scope,
                f"No multi-region trail records all management events {where(scope)}: no trail covers it.",
            )
            continue
        reasons = {t.resource_name or t.resource: _shortfalls(t.data) for t in trails}
        text = "; ".join(f"trail {name}: {', '.join(why)}" for name, why in reasons.items())
        if any(any(m in w for m in _UNKNOWN_MARKS for w in why) for why in reasons.values()):
            yield scope_result(
                FindingStatus.NOT_EVALUATED,
                scope,
                f"Not evaluated {where(scope)}: not every fact about its trails could be read ({text}).",
            )
            continue
        yield scope_result(
            FindingStatus.FAIL, scope, f"No multi-region trail records all management events {where(scope)}: {text}."
        )


def _judged_trails(view: EvidenceView) -> Iterator[Evidence]:
    """One record per trail: in its home region when collected there, else the first region listing it."""
    by_trail: dict[tuple[str | None, str], list[Evidence]] = {}
    for ev in view.items(TRAIL):
        by_trail.setdefault((ev.scope.account, ev.resource), []).append(ev)
    for copies in by_trail.values():
        home = next((c for c in copies if c.scope.region == c.data.get("HomeRegion")), None)
        yield home or min(copies, key=lambda c: c.scope.region or "")


def _trail(ev: Evidence) -> str:
    return f"Trail {ev.resource_name} (home {ev.data.get('HomeRegion')}) in account {ev.scope.account}"


@check("aws.cloudtrail.organization", requires=[TRAIL], absent=NO_TRAIL_HOME)
def organization_trail(view: EvidenceView) -> Iterator[Result]:
    """Whether the account's activity is recorded by an organization trail (informational: answers claim it)."""
    by_account: dict[str | None, list[Evidence]] = {}
    for ev in _judged_trails(view):
        by_account.setdefault(ev.scope.account, []).append(ev)
    for trails in by_account.values():
        org = [t for t in trails if t.data.get("IsOrganizationTrail") is True]
        if org:
            yield passed(
                org[0], f"{_trail(org[0])} is an organization trail, recording every account of the organisation."
            )
            continue
        for t in trails:
            if t.data.get("IsOrganizationTrail") is None:
                yield unknown(t, f"{_trail(t)}: whether it is an organization trail was not reported.")
            else:
                yield warned(
                    t,
                    f"{_trail(t)} is not an organization trail: it records this account only and is kept in the "
                    "account it describes.",
                )


@check("aws.cloudtrail.log_validation", requires=[TRAIL], absent=NO_TRAIL_HOME)
def log_validation(view: EvidenceView) -> Iterator[Result]:
    for ev in _judged_trails(view):
        if ev.data.get("LogFileValidationEnabled"):
            yield passed(ev, f"{_trail(ev)} writes signed digest files, so log tampering is detectable.")
        else:
            yield failed(ev, f"{_trail(ev)} does not validate its log files, so tampering would go unnoticed.")


@check("aws.cloudtrail.kms", requires=[TRAIL], absent=NO_TRAIL_HOME)
def trail_kms(view: EvidenceView) -> Iterator[Result]:
    for ev in _judged_trails(view):
        if ev.data.get("KmsKeyId"):
            yield passed(ev, f"{_trail(ev)} encrypts its log files with KMS key {ev.data['KmsKeyId']}.")
        else:
            yield failed(ev, f"{_trail(ev)} does not encrypt its log files with a KMS key.")


@check("aws.cloudtrail.cloudwatch", requires=[TRAIL], absent=NO_TRAIL_HOME)
def trail_cloudwatch(view: EvidenceView) -> Iterator[Result]:
    for ev in _judged_trails(view):
        group = ev.data.get("CloudWatchLogsLogGroupArn")
        if group:
            yield passed(ev, f"{_trail(ev)} delivers events to CloudWatch Logs ({group}) for alerting.")
        else:
            yield failed(ev, f"{_trail(ev)} does not deliver events to CloudWatch Logs, so no alarm can act on them.")


def _group(ev: Evidence) -> str:
    derived = ev.data.get("auditprep_derived") or {}
    writers = derived.get("written_by") or []
    container = derived.get("container_workload")
    if container:
        who = f"container workload logs, {container}"
    elif writers:
        who = f"written by {len(writers)} collected resource(s), none of them a container workload"
    else:
        who = "not written by any collected container workload"
    return f"Log group {ev.resource_name} ({who}) {where(ev.scope)}"


@check("aws.logs.retention", requires=[LOG_GROUP], absent="no log group exists here")
def retention(view: EvidenceView) -> Iterator[Result]:
    for ev in view.items(LOG_GROUP):
        if ev.data.get("exists") is False:
            yield warned(ev, f"{_group(ev)} is referenced but does not exist yet; its retention cannot be shown.")
            continue
        if not ev.data.get("creationTime"):
            yield unknown(ev, f"{_group(ev)}: its details were not shown, so its retention is not known.")
            continue
        days = ev.data.get("retentionInDays")
        if days is None:  # CloudWatch Logs omits retentionInDays for a group that never expires
            yield passed(ev, f"{_group(ev)} keeps events forever (never expires).")
        elif days >= RETENTION_DAYS:
            yield passed(ev, f"{_group(ev)} keeps events for {days} days.")
        else:
            yield failed(ev, f"{_group(ev)} keeps events for only {days} days; twelve months are expected.")


def _written(ev: Evidence) -> bool:
    """Groups a collected resource writes to: the ones whose encryption this check judges."""
    return bool((ev.data.get("auditprep_derived") or {}).get("written_by"))


@check("aws.logs.kms", requires=[LOG_GROUP], absent="no collected resource writes to a log group here")
def logs_kms(view: EvidenceView) -> Iterator[Result]:
    for ev in view.items(LOG_GROUP):
        if not _written(ev):
            continue
        if ev.data.get("exists") is False:
            yield unknown(ev, f"{_group(ev)} is referenced but does not exist yet.")
        elif ev.data.get("kmsKeyId"):
            yield passed(ev, f"{_group(ev)} is encrypted with KMS key {ev.data['kmsKeyId']}.")
        else:
            yield failed(ev, f"{_group(ev)} is not encrypted with a KMS key.")
