"""When a weakness was first detected, read from the engagement's history.

A POA&M item's *original detection date* is not the date of the latest evaluation: a check that has
failed on a resource for three months was detected three months ago, and the remediation window
(FedRAMP RA-5) runs from then. The store keeps every evaluation and every collection run, so the
first one in which a weakness appeared can be read back here.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from auditprep.models import Scope
from auditprep.store.engagement import parse_iso

if TYPE_CHECKING:
    from auditprep.store import Engagement

FindingKey = tuple[str, str, Scope]  # check, resource, scope


def first_failures(eng: Engagement, statuses: Sequence[str] = ("fail",)) -> dict[FindingKey, datetime]:
    """(check, resource, scope) -> the time of the first evaluation in which it had one of ``statuses``."""
    marks = ",".join("?" * len(statuses))
    rows = eng._query(  # noqa: SLF001 - a store helper reading the store's own tables
        "SELECT f.check_id, f.resource, f.account, f.region, f.host, MIN(v.at) FROM findings f"
        f" JOIN evaluations v ON v.id = f.evaluation_id WHERE f.status IN ({marks})"
        " GROUP BY f.check_id, f.resource, f.account, f.region, f.host",
        tuple(statuses),
    )
    return {(r[0], r[1], Scope(account=r[2], region=r[3], host=r[4])): parse_iso(r[5]) for r in rows}


def first_collected(eng: Engagement, kinds: Sequence[str]) -> dict[str, datetime]:
    """resource id -> the earliest time evidence of one of ``kinds`` about it was collected."""
    if not kinds:
        return {}
    marks = ",".join("?" * len(kinds))
    rows = eng._query(  # noqa: SLF001
        f"SELECT resource, MIN(collected_at) FROM evidence WHERE kind IN ({marks}) AND resource != ''"
        " AND status = 'collected' GROUP BY resource",
        tuple(kinds),
    )
    return {r[0]: parse_iso(r[1]) for r in rows}
