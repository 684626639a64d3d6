"""Shared pieces of the AWS checks: result constructors, sentences, dates.

Ages are always measured against the evidence's own ``collected_at``, never the wall clock, so a
check gives the same answer every time it runs over the same evidence.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from auditprep.checks.engine import EvidenceView, Result
from auditprep.evaluate.vulns.records import parse_time  # one reading of AWS times everywhere
from auditprep.models import Evidence, FindingStatus, Scope


def where(scope: Scope) -> str:
    return f"in account {scope.account}, region {scope.region}"


def _ids(ev: Evidence | None) -> tuple[str, ...]:
    return (ev.id,) if ev is not None and ev.id else ()


def result(status: FindingStatus, ev: Evidence, message: str) -> Result:
    return Result(status, ev.resource, ev.scope, message, _ids(ev))


def passed(ev: Evidence, message: str) -> Result:
    return result(FindingStatus.PASS, ev, message)


def failed(ev: Evidence, message: str) -> Result:
    return result(FindingStatus.FAIL, ev, message)


def warned(ev: Evidence, message: str) -> Result:
    return result(FindingStatus.WARN, ev, message)


def unknown(ev: Evidence, message: str) -> Result:
    return result(FindingStatus.NOT_EVALUATED, ev, message)


def scope_result(status: FindingStatus, scope: Scope, message: str) -> Result:
    return Result(status, "", scope, message)


def resource_gaps(view: EvidenceView, kinds: Iterable[str], scope: Scope) -> bool:
    """Whether any resource-level call of these kinds failed in the scope (the engine reports those)."""
    return any(g.resource and g.scope == scope for kind in kinds for g in view.gaps(kind))


def age_days(ev: Evidence, value: Any) -> int | None:
    when = parse_time(value)
    if when is None:
        return None
    return (ev.collected_at - when).days


def names(items: Iterable[str], limit: int = 5) -> str:
    items = list(items)
    shown = ", ".join(items[:limit])
    return f"{shown} and {len(items) - limit} more" if len(items) > limit else shown


def short(arn: str) -> str:
    return arn.rsplit("/", 1)[-1] if arn else arn
