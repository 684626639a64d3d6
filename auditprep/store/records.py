"""The records an engagement file holds, as Python values, and how each is bound to the event chain.

Shared by the parts of the store: the dataclasses read back from the file, the exact record each
row's hash is computed from (so ``verify`` recomputes the same bytes), and the small helpers that
read settings and names.
"""

from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from auditprep.errors import EngagementError
from auditprep.models import (
    Evidence,
    Finding,
    Scope,
)

Clock = Callable[[], datetime]
SQLITE_HEADER = b"SQLite format 3\x00"


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def iso(dt: datetime) -> str:
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC).isoformat().replace("+00:00", "Z")


def parse_iso(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


@dataclass(frozen=True)
class EngagementInfo:
    name: str
    organisation: str
    frameworks: tuple[str, ...]
    created_at: datetime
    created_by: str
    period_start: str
    period_end: str
    # facts that decide applicability: pci.entity -> ("service-provider",), fedramp.regions -> (...)
    applicability: dict[str, tuple[str, ...]] = field(default_factory=dict)


def _parsed(what: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Turn a stored value auditprep never writes (an edit outside it) into one clear error."""

    def wrap(fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def inner(self: Any, *args: Any, **kwargs: Any) -> Any:
            try:
                return fn(self, *args, **kwargs)
            except (ValueError, TypeError, KeyError) as exc:
                raise EngagementError(
                    f"{self.path} holds {what} with a value auditprep never writes ({str(exc)[:100]}), so it was "
                    f"altered outside auditprep; run 'auditprep verify {self.path}' to see what changed."
                ) from None

        return inner

    return wrap


def readonly_uri(path: Path) -> str:
    """Read without writing anything, even in a folder that cannot be written (no -shm can be made there).

    SQLite's WAL mode needs a shared-memory file beside the database; where the folder is read-only and
    no write-ahead log is pending, the file is opened as immutable, which needs none. A pending log in
    a read-only folder cannot be read that way, and that is said plainly instead of looking like damage.
    """
    uri = f"file:{quote(str(path.resolve()))}?mode=ro"
    if os.access(path.parent, os.W_OK | os.X_OK) and (
        not Path(f"{path}-shm").exists() or os.access(f"{path}-shm", os.W_OK)
    ):
        return uri
    wal = Path(f"{path}-wal")
    if wal.exists() and wal.stat().st_size > 0:
        raise EngagementError(
            f"{path} is in a folder auditprep cannot write to and has recent changes in {wal.name} that SQLite must "
            "merge first; copy the engagement file and its -wal file to a writable folder and open that copy."
        )
    return uri + "&immutable=1"


def settings_state(cur: Any) -> dict[str, Any]:
    """The engagement's settings and frameworks as one record (what engagement events pin)."""
    meta = dict(cur.execute("SELECT key, value FROM meta").fetchall())
    frameworks = [r[0] for r in cur.execute("SELECT id FROM frameworks ORDER BY position").fetchall()]
    return {**meta, "frameworks": frameworks}


def same_person(a: str, b: str) -> bool:
    """Names compared as people write them: case, spacing and an '<email>' part do not matter."""

    def norm(x: str) -> str:  # the name before any '<email>' or '(role, or how it was recorded)'
        return " ".join(re.split(r"[<(]", x, maxsplit=1)[0].split()).casefold()

    return norm(a) == norm(b)


def _applicability(raw: str) -> dict[str, tuple[str, ...]]:
    if not raw:
        return {}
    try:
        data = json.loads(raw)
    except ValueError:
        raise EngagementError("the engagement's applicability record is not valid JSON; it was altered.") from None
    if not isinstance(data, dict):
        raise EngagementError("the engagement's applicability record is not a mapping; it was altered.")
    return {str(k): tuple(str(v) for v in (vals if isinstance(vals, list) else [vals])) for k, vals in data.items()}


@dataclass(frozen=True)
class Run:
    id: int
    started_at: datetime
    finished_at: datetime
    actor: str
    source: str
    identity: str
    targets: tuple[str, ...]
    tool_version: str
    cancelled: bool


@dataclass(frozen=True)
class Evaluation:
    """One evaluation of the checks: the findings as they stood at ``at``, over the evidence of
    every run up to ``last_run`` (0 when no run had been stored)."""

    id: int
    at: datetime
    last_run: int


@dataclass(frozen=True)
class Attachment:
    id: int
    control_id: str | None
    filename: str
    media_type: str
    sha256: str
    size: int
    description: str
    added_by: str
    added_at: datetime


@dataclass(frozen=True)
class Event:
    seq: int
    at: str
    actor: str
    action: str
    subject: str
    record_hash: str
    prev_hash: str
    hash: str


def _scope_cols(scope: Scope) -> tuple[str | None, str | None, str | None]:
    return scope.account, scope.region, scope.host


def trace_fields(request_ids: Sequence[str], api_paths: Sequence[str]) -> dict[str, Any]:
    """Where a record came from, as hashed: present only when known, so records stored before
    they were kept hash as they always did, and removing them from a record changes its hash."""
    out: dict[str, Any] = {}
    if request_ids:
        out["request_ids"] = list(request_ids)
    if api_paths:
        out["api_paths"] = list(api_paths)
    return out


def evidence_record(ev: Evidence, run_id: int) -> dict[str, Any]:
    """The hashed form of an evidence row (its content is pinned by ``content_hash``).

    Its hash is the evidence item's published hash (``Evidence.record_hash``): it identifies the
    record (which call, where, on what, when, with which request ids, returning which content),
    and the collection run's event pins it, so ``auditprep verify`` detects any change to it.
    """
    return {
        "id": ev.id,
        "run": run_id,
        "source": ev.source.value,
        "collector": ev.collector,
        "operation": ev.operation,
        "kind": ev.kind,
        "scope": [ev.scope.account, ev.scope.region, ev.scope.host],
        "resource": ev.resource,
        "resource_name": ev.resource_name,
        "collected_at": iso(ev.collected_at),
        "status": ev.status.value,
        "message": ev.message,
        "sha256": ev.content_hash,
        "redactions": list(ev.redactions),
        **trace_fields(ev.request_ids, ev.api_paths),
    }


def finding_record(f: Finding, fid: str) -> dict[str, Any]:
    return {
        "id": fid,
        "check": f.check,
        "title": f.title,
        "status": f.status.value,
        "severity": f.severity.value,
        "resource": f.resource,
        "scope": [f.scope.account, f.scope.region, f.scope.host],
        "message": f.message,
        "controls": list(f.controls),
        "evidence": list(f.evidence),
    }
