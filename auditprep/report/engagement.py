"""What every report says about the engagement itself: its dates, scope, runs and evidence rows.

Shared by the framework report and the playbook. Dates come from the engagement (its last
recorded event), never from the clock, so the same engagement always gives the same report.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from auditprep.models import CallStatus, Evidence
from auditprep.report.inventory import Inventory, build_inventory
from auditprep.store import Engagement, iso, parse_iso

GAP_STATUSES = (CallStatus.ACCESS_DENIED, CallStatus.THROTTLED, CallStatus.ERROR, CallStatus.NOT_ENABLED)


def when(dt: datetime | str | None) -> str:
    """A UTC time for people: ``2026-11-02 09:00 UTC``."""
    if not dt:
        return ""
    if isinstance(dt, str):
        dt = parse_iso(dt)
    return iso(dt).replace("T", " ")[:16] + " UTC"


def day(dt: datetime | str | None) -> str:
    if not dt:
        return ""
    if isinstance(dt, str):
        dt = parse_iso(dt)
    return iso(dt)[:10]


def anchor(prefix: str, ident: str, taken: set[str]) -> str:
    base = f"{prefix}-" + (re.sub(r"[^A-Za-z0-9]+", "-", ident).strip("-").lower() or "x")
    out, n = base, 2
    while out in taken:
        out, n = f"{base}-{n}", n + 1
    taken.add(out)
    return out


def as_of(eng: Engagement) -> datetime:
    """The engagement's own date: the time of its last recorded event."""
    events = eng.events()
    return parse_iso(events[-1].at) if events else eng.info().created_at


# --- pieces shared by the framework report and the playbook ---------------------------------------


def engagement_part(
    eng: Engagement, evidence: list[Evidence], stamp: datetime, package_hash: str | None
) -> dict[str, Any]:
    info = eng.info()
    runs = eng.runs()
    collected = [ev.collected_at for ev in evidence if ev.status is CallStatus.COLLECTED]
    return {
        "name": info.name,
        "organisation": info.organisation,
        "frameworks": list(info.frameworks),
        "created_at": iso(info.created_at),
        "created_by": info.created_by,
        "period_start": info.period_start,
        "period_end": info.period_end,
        "applicability": {k: list(v) for k, v in sorted(info.applicability.items())},
        "as_of": iso(stamp),
        "evidence_from": iso(min(collected)) if collected else "",
        "evidence_to": iso(max(collected)) if collected else "",
        "last_collection": iso(runs[-1].finished_at) if runs else "",
        "fingerprint": eng.fingerprint(),
        "package_hash": package_hash or "",
        "declared_scope": [{"kind": k, "value": v, "note": n} for k, v, n in eng.scope_items()],
        "runs": [
            {
                "id": r.id,
                "source": r.source,
                "actor": r.actor,
                "identity": r.identity,
                "targets": list(r.targets),
                "started_at": iso(r.started_at),
                "finished_at": iso(r.finished_at),
                "tool_version": r.tool_version,
                "cancelled": r.cancelled,
            }
            for r in runs
        ],
    }


def load_evidence(eng: Engagement) -> tuple[list[Evidence], Inventory]:
    rows = eng.current_evidence(with_data=False)
    return rows, build_inventory(rows, eng.evidence_item)


def evidence_row(ev: Evidence) -> dict[str, Any]:
    return {
        "id": ev.id,
        "source": ev.source.value,
        "collector": ev.collector,
        "operation": ev.operation,
        "kind": ev.kind,
        "scope": ev.scope.label(),
        "account": ev.scope.account or "",
        "region": ev.scope.region or "",
        "host": ev.scope.host or "",
        "resource": ev.resource,
        "resource_name": ev.resource_name,
        "collected_at": iso(ev.collected_at),
        "status": ev.status.value,
        "message": ev.message,
        # the published hash identifies the record; the content hash is that of the stored response
        "sha256": ev.record_hash,
        "content_sha256": ev.content_hash,
        "request_ids": list(ev.request_ids),
        "api_paths": list(ev.api_paths),
        "redactions": list(ev.redactions),
    }


# --- the framework report ----------------------------------------------------------------------------
