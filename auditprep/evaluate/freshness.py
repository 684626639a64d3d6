"""The assessment period and the freshness of evidence.

An assessment covers a period, but most evidence is a snapshot: it describes the estate at the
moment it was collected. Each item therefore has two times: when it was collected, and the time it
describes (the same for a snapshot; the event's time for a record read from AWS's own history).
Evidence older than its control's freshness (90 days unless the control says otherwise) or
describing a time outside the period is stale, and every view says so rather than presenting an
old snapshot as the state of the whole period.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from auditprep.models import CallStatus, Control, Evidence, Finding

DEFAULT_FRESHNESS_DAYS = 90


@dataclass(frozen=True)
class Period:
    """The engagement's assessment period; either end may be open (not set)."""

    start: date | None
    end: date | None

    @classmethod
    def of(cls, start: str, end: str) -> Period:
        return cls(_day(start), _day(end))

    @property
    def set(self) -> bool:
        return self.start is not None or self.end is not None

    @property
    def start_at(self) -> datetime | None:
        return datetime.combine(self.start, time(0), tzinfo=UTC) if self.start else None

    @property
    def end_at(self) -> datetime | None:
        """The end of the period's last day (exclusive bound)."""
        return datetime.combine(self.end + timedelta(days=1), time(0), tzinfo=UTC) if self.end else None

    def contains(self, at: datetime) -> bool:
        s, e = self.start_at, self.end_at
        return (s is None or at >= s) and (e is None or at < e)

    def bounds(self, as_of: datetime, first_seen: datetime | None = None) -> tuple[datetime, datetime]:
        """The span history is measured over: the period, ending no later than ``as_of``; an open
        start begins at the first observation (or ``as_of``)."""
        start = self.start_at or first_seen or as_of
        end = min(self.end_at, as_of) if self.end_at else as_of
        return start, max(start, end)

    def label(self) -> str:
        if not self.set:
            return "not set"
        return f"{self.start or 'open'} to {self.end or 'open'}"


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text[:10]) if text else None
    except ValueError:
        return None


def described_at(ev: Evidence) -> datetime:
    """The time an item describes: the event time of a historical record, else when it was collected."""
    derived = ev.data.get("auditprep_derived") if isinstance(ev.data, dict) else None
    value = derived.get("describes_at") if isinstance(derived, dict) else None
    if isinstance(value, str) and value:
        try:
            at = datetime.fromisoformat(value.replace("Z", "+00:00"))
            return at if at.tzinfo else at.replace(tzinfo=UTC)
        except ValueError:
            pass
    return ev.collected_at


def freshness_days(control: Control) -> int:
    return control.freshness_days or DEFAULT_FRESHNESS_DAYS


def staleness(ev: Evidence, days: int, period: Period, as_of: datetime) -> str:
    """Why an item is stale ('' when it is fresh)."""
    at = described_at(ev)
    reasons = []
    age = (as_of - at).days
    if age > days:
        reasons.append(f"describes {at:%Y-%m-%d}, {age} days before {as_of:%Y-%m-%d} (freshness {days} days)")
    if period.set and not period.contains(at):
        reasons.append(f"describes {at:%Y-%m-%d}, outside the period {period.label()}")
    return "; ".join(reasons)


@dataclass(frozen=True)
class ControlFreshness:
    control: str
    days: int
    items: int
    stale: tuple[tuple[str, str], ...]  # (evidence id, reason)
    oldest: datetime | None
    newest: datetime | None

    @property
    def is_stale(self) -> bool:
        return bool(self.stale)

    def sentence(self) -> str:
        if not self.items:
            return "No collected evidence rests under this control."
        if not self.stale:
            return f"All {self.items} evidence item(s) are within {self.days} days and the period."
        return (
            f"{len(self.stale)} of {self.items} evidence item(s) are stale: {self.stale[0][1]}"
            + (f" (and {len(self.stale) - 1} more)" if len(self.stale) > 1 else "")
            + "."
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "control": self.control,
            "freshness_days": self.days,
            "items": self.items,
            "stale": [{"evidence": e, "reason": r} for e, r in self.stale],
            "oldest": _iso(self.oldest),
            "newest": _iso(self.newest),
            "sentence": self.sentence(),
        }


def _iso(at: datetime | None) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z") if at else ""


def control_freshness(
    controls: Iterable[Control],
    findings: Iterable[Finding],
    evidence: Iterable[Evidence],
    period: Period,
    as_of: datetime,
) -> dict[str, ControlFreshness]:
    """Per control: the evidence its current findings rest on, and which of it is stale."""
    by_id: Mapping[str, Evidence] = {
        ev.id: ev for ev in evidence if ev.id and ev.status is CallStatus.COLLECTED and ev.resource
    }
    cited: dict[str, dict[str, None]] = {}
    for f in findings:
        for cid in f.controls:
            cited.setdefault(cid, {}).update(dict.fromkeys(e for e in f.evidence if e in by_id))
    out = {}
    for control in controls:
        days = freshness_days(control)
        items = [by_id[e] for e in cited.get(control.id, {})]
        stale = tuple((ev.id, why) for ev in items if (why := staleness(ev, days, period, as_of)))
        times = [described_at(ev) for ev in items]
        out[control.id] = ControlFreshness(
            control.id, days, len(items), stale, min(times) if times else None, max(times) if times else None
        )
    return out


def summary(fresh: Mapping[str, ControlFreshness], period: Period) -> dict[str, Any]:
    """What ``status`` and the reports print: the period and the controls resting on stale evidence."""
    stale = [f for f in fresh.values() if f.is_stale]
    return {
        "period": {"start": str(period.start or ""), "end": str(period.end or ""), "label": period.label()},
        "default_days": DEFAULT_FRESHNESS_DAYS,
        "controls_with_evidence": sum(1 for f in fresh.values() if f.items),
        "stale_controls": [f.as_dict() for f in sorted(stale, key=lambda f: f.control)],
    }


def of_engagement(eng: Any, catalog: Any, as_of: datetime | None = None) -> dict[str, Any]:
    """The freshness summary of an engagement's current evidence (``as_of``: default the engagement clock)."""
    info = eng.info()
    period = Period.of(info.period_start, info.period_end)
    # without content: findings rest on snapshots, dated by collection (the cheap read status needs)
    evidence = eng.current_evidence(with_data=False)
    fresh = control_freshness(catalog.controls.values(), eng.findings(), evidence, period, as_of or eng.clock())
    return summary(fresh, period)


def render(report: Mapping[str, Any]) -> list[str]:
    """Lines for the terminal: the period, then each control resting on stale evidence."""
    out = [f"Period: {report['period']['label']}."]
    stale = report["stale_controls"]
    if not stale:
        if report["controls_with_evidence"]:
            out.append("Freshness: no control rests on stale evidence.")
        return out
    out.append(f"Stale evidence: {len(stale)} control(s) rest on evidence that is too old or outside the period:")
    out.extend(f"  {s['control']}: {s['sentence']}" for s in stale)
    return out
