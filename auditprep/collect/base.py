"""What every collector shares: recording evidence and gaps, progress, cancellation.

A collector talks to one kind of source and returns ``Evidence`` records: one per resource it
collected, and one scope-level record per (kind, scope) it attempted, whose status says whether
the call worked. Failure is a value, never an exception that loses what was already collected.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from auditprep.models import CallStatus, Evidence, Scope, Source

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Progress:
    """A progress report: ``done`` of ``total`` steps for one source/scope/service."""

    source: str
    scope: str
    service: str
    done: int
    total: int
    message: str = ""
    units_done: int = 0  # accounts or hosts finished, of units_total
    units_total: int = 0
    requests: int = 0  # requests sent so far (every attempt), and throttling answers among them
    throttles: int = 0


ProgressCallback = Callable[[Progress], None]


def no_progress(_: Progress) -> None:
    return None


@dataclass
class Recorder:
    """Builds evidence records for one collector with consistent provenance."""

    source: Source
    collector: str
    clock: Clock = utcnow
    evidence: list[Evidence] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def item(
        self,
        kind: str,
        operation: str,
        scope: Scope,
        resource: str,
        data: dict[str, Any],
        *,
        name: str = "",
        redactions: tuple[str, ...] = (),
        request_ids: tuple[str, ...] = (),
        api_paths: tuple[str, ...] = (),
    ) -> Evidence:
        ev = Evidence(
            source=self.source,
            collector=self.collector,
            operation=operation,
            kind=kind,
            scope=scope,
            resource=resource,
            resource_name=name,
            collected_at=self.clock(),
            data=data,
            redactions=redactions,
            request_ids=tuple(dict.fromkeys(request_ids)),
            api_paths=tuple(dict.fromkeys(api_paths)),
        )
        with self.lock:
            self.evidence.append(ev)
        return ev

    def attempt(
        self,
        kind: str,
        operation: str,
        scope: Scope,
        status: CallStatus = CallStatus.COLLECTED,
        message: str = "",
        *,
        count: int | None = None,
        resource: str = "",
        name: str = "",
        request_ids: tuple[str, ...] = (),
        api_paths: tuple[str, ...] = (),
    ) -> Evidence:
        """Record that ``kind`` was attempted in ``scope`` (or on one resource) and how it went."""
        data: dict[str, Any] = {} if count is None else {"count": count}
        ev = Evidence(
            source=self.source,
            collector=self.collector,
            operation=operation,
            kind=kind,
            scope=scope,
            resource=resource,
            resource_name=name,
            collected_at=self.clock(),
            status=status,
            message=message,
            data=data,
            request_ids=tuple(dict.fromkeys(request_ids)),
            api_paths=tuple(dict.fromkeys(api_paths)),
        )
        with self.lock:
            self.evidence.append(ev)
        return ev


@dataclass
class CollectionOutcome:
    """What one collector run produced, plus who ran it against what (provenance)."""

    source: Source
    evidence: list[Evidence]
    identity: str = ""  # e.g. the STS caller ARN, or the Docker engine id
    targets: list[str] = field(default_factory=list)  # accounts/regions or hosts
    cancelled: bool = False


Cancel = threading.Event
