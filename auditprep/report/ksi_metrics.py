"""FedRAMP 20x Key Security Indicator metrics: the automated measures of each KSI, run by run.

A KSI's *measure* is the set of automated checks its objectives name (plus results imported from
other tools for the same controls, as the verdicts join them). At every recorded evaluation the
measure is in one state, judged like an objective's automated part:

* ``fail``: a check failed somewhere;
* ``not_evaluated``: nothing failed, but a result could not be judged (a denied call, a warning
  that needs a person): nothing is proven;
* ``pass``: every judged result passed;
* ``not_applicable``: nothing the checks judge exists in the collected scope;
* ``no_results``: the checks produced nothing.

KSIs whose objectives rest only on the team's answers and documents have no automated measure;
they are listed with that reason, never as passing. The daily series keeps the last evaluation of
each UTC day; the summaries cover the 30 days and the year up to the latest evaluation (never the
wall clock, so the same engagement always gives the same file), as SDR-CSX-KMT asks for Class C.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from statistics import median
from typing import Any

from auditprep.catalog import Catalog
from auditprep.models import Finding, FindingStatus, Requirement
from auditprep.store import Engagement, iso

SCHEMA = "auditprep.ksi-metrics/1"
FRAMEWORK = "fedramp-20x"
STATES = ("pass", "fail", "not_evaluated", "not_applicable", "no_results")
NOT_MEASURED = (
    "No automated measure: every objective of this indicator rests on the team's answers and documents, "
    "which are validated when they are attested, not on each run."
)


def ksi_checks(req: Requirement) -> tuple[str, ...]:
    """The checks a KSI's objectives name, in objective order, each once."""
    out: dict[str, None] = {}
    for obj in req.objectives:
        for check in obj.checks:
            out.setdefault(check, None)
    return tuple(out)


@dataclass(frozen=True)
class Measurement:
    """The state of one KSI's automated measure at one evaluation."""

    evaluation: int
    at: datetime
    state: str
    counts: dict[str, int]
    failing: tuple[str, ...] = ()
    unjudged: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "evaluation": self.evaluation,
            "at": iso(self.at),
            "state": self.state,
            "results": self.counts,
            "failing_checks": list(self.failing),
            "unjudged_checks": list(self.unjudged),
        }


class _Index:
    """One evaluation's findings by check, and imported results by the controls they inform."""

    def __init__(self, catalog: Catalog, findings: list[Finding]):
        self.by_check: dict[str, list[Finding]] = {}
        self.imported: dict[str, list[Finding]] = {}
        for f in findings:
            if f.check in catalog.checks:
                self.by_check.setdefault(f.check, []).append(f)
            else:  # results imported from other tools join the KSIs naming a check of their control
                for cid in f.controls:
                    self.imported.setdefault(cid, []).append(f)

    def of(self, catalog: Catalog, checks: tuple[str, ...]) -> list[Finding]:
        out = [f for c in checks for f in self.by_check.get(c, ())]
        seen: set[int] = set()
        for cid in sorted({cid for c in checks for cid in catalog.check_controls.get(c, ())}):
            for f in self.imported.get(cid, ()):
                if id(f) not in seen:
                    seen.add(id(f))
                    out.append(f)
        return out


def measure(
    catalog: Catalog, checks: tuple[str, ...], findings: list[Finding] | _Index, at: datetime, evaluation: int
) -> Measurement:
    """Judge one KSI's checks on one evaluation's findings."""
    index = findings if isinstance(findings, _Index) else _Index(catalog, findings)
    mine = index.of(catalog, checks)
    counts = Counter(f.status for f in mine)
    failing = tuple(sorted({f.check for f in mine if f.status is FindingStatus.FAIL}))
    unjudged = tuple(sorted({f.check for f in mine if f.status in (FindingStatus.WARN, FindingStatus.NOT_EVALUATED)}))
    if failing:
        state = "fail"
    elif unjudged:
        state = "not_evaluated"
    elif counts[FindingStatus.PASS]:
        state = "pass"
    elif counts[FindingStatus.NOT_APPLICABLE]:
        state = "not_applicable"
    else:
        state = "no_results"
    return Measurement(evaluation, at, state, {s.value: counts.get(s, 0) for s in FindingStatus}, failing, unjudged)


def _window(daily: list[Measurement], end: date, days: int) -> dict[str, Any]:
    start = end - timedelta(days=days - 1)
    inside = [m for m in daily if start <= m.at.date() <= end]
    states = Counter(m.state for m in inside)
    judged = states["pass"] + states["fail"]
    return {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "days": days,
        "days_measured": len(inside),
        "days_without_measurement": days - len(inside),
        **{f"days_{s}": states.get(s, 0) for s in STATES},
        # share of judged days on which the measure passed; None when no day was judged either way
        "pass_rate": round(states["pass"] / judged, 4) if judged else None,
        "last_fail": next((m.at.date().isoformat() for m in reversed(inside) if m.state == "fail"), None),
    }


def daily(series: list[Measurement]) -> list[Measurement]:
    """The last measurement of each UTC day."""
    by_day: dict[date, Measurement] = {}
    for m in series:
        by_day[m.at.date()] = m
    return [by_day[d] for d in sorted(by_day)]


@dataclass
class History:
    """Every evaluation of an engagement with the state of each KSI's measure in it."""

    evaluations: list[Any]
    runs: list[Any]
    series: dict[str, list[Measurement]] = field(default_factory=dict)

    @classmethod
    def load(cls, eng: Engagement, catalog: Catalog, framework: str = FRAMEWORK) -> History:
        fw = catalog.frameworks[framework]
        evaluations = eng.evaluations()
        out = cls(evaluations, eng.runs())
        measured = {r.id: ksi_checks(r) for r in fw.requirements if ksi_checks(r)}
        out.series = {rid: [] for rid in measured}
        for ev in evaluations:
            index = _Index(catalog, eng.findings(evaluation=ev.id))
            for rid, checks in measured.items():
                out.series[rid].append(measure(catalog, checks, index, ev.at, ev.id))
        return out

    @property
    def end(self) -> date | None:
        return self.evaluations[-1].at.date() if self.evaluations else None

    def summary(self, rid: str, days: int) -> dict[str, Any] | None:
        if rid not in self.series or self.end is None:
            return None
        return _window(daily(self.series[rid]), self.end, days)

    def cycle(self, source: str) -> dict[str, Any]:
        """How often evidence of ``source`` (aws, docker) is collected, from the runs recorded."""
        times = sorted(r.finished_at for r in self.runs if r.source == source and not r.cancelled)
        gaps = [(b - a).total_seconds() for a, b in zip(times, times[1:], strict=False)]
        return {
            "source": source,
            "runs": len(times),
            "first": iso(times[0]) if times else None,
            "last": iso(times[-1]) if times else None,
            "median_interval_hours": round(median(gaps) / 3600, 2) if gaps else None,
            "longest_interval_hours": round(max(gaps) / 3600, 2) if gaps else None,
            "words": cycle_words(times, gaps),
        }


def cycle_words(times: list[datetime], gaps: list[float]) -> str:
    if not times:
        return "never collected in this engagement"
    if not gaps:
        return f"collected once ({times[0]:%Y-%m-%d}); no cycle is established yet"
    mid = median(gaps) / 3600
    if 20 <= mid <= 28:
        every = "daily"
    elif mid < 20:
        every = f"about every {mid:.0f} hour(s)" if mid >= 1 else "more than hourly"
    else:
        every = f"about every {mid / 24:.1f} days"
    longest = max(gaps) / 3600
    return (
        f"{every} over {len(times)} runs from {times[0]:%Y-%m-%d} to {times[-1]:%Y-%m-%d} "
        f"(median interval {mid:.1f} h, longest {longest:.1f} h)"
    )


def check_sources(checks: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(sorted({c.split(".", 1)[0] for c in checks}))


def build_metrics(
    eng: Engagement, catalog: Catalog, ctx: dict[str, Any], history: History | None = None
) -> dict[str, Any]:
    """The ksi-metrics document: per KSI, the state of its measure at every evaluation, daily, and summaries."""
    fw = catalog.frameworks[FRAMEWORK]
    history = history or History.load(eng, catalog)
    indicators = []
    for req in fw.requirements:
        checks = ksi_checks(req)
        item: dict[str, Any] = {
            "id": req.id,
            "theme": req.section,
            "title": req.title,
            "checks": list(checks),
        }
        if req.outside:
            item |= {"measured": False, "reason": f"Outside this tool's scope: {req.outside}"}
        elif not checks:
            item |= {"measured": False, "reason": NOT_MEASURED}
        else:
            series = history.series[req.id]
            item |= {
                "measured": True,
                "cycle": [history.cycle(s) for s in check_sources(checks)],
                "summary": {"last_30_days": history.summary(req.id, 30), "last_year": history.summary(req.id, 365)},
                "daily": [{"date": m.at.date().isoformat(), **m.as_dict()} for m in daily(series)],
                "history": [m.as_dict() for m in series],
            }
        indicators.append(item)
    evals = history.evaluations
    return {
        "schema": SCHEMA,
        "framework": {"id": fw.id, "name": fw.name, "version": fw.version},
        "engagement": {
            "name": ctx["engagement"]["name"],
            "organisation": ctx["engagement"]["organisation"],
            "fingerprint": ctx["engagement"]["fingerprint"],
            "as_of": ctx["engagement"]["as_of"],
        },
        "period": {"from": iso(evals[0].at) if evals else None, "to": iso(evals[-1].at) if evals else None},
        "states": {
            "pass": "every judged result of the indicator's checks passed",
            "fail": "at least one check failed",
            "not_evaluated": "nothing failed, but some results could not be judged: nothing is proven",
            "not_applicable": "nothing the checks judge exists in the collected scope",
            "no_results": "the checks produced no result",
        },
        "evaluations": [{"id": e.id, "at": iso(e.at), "last_run": e.last_run} for e in evals],
        "indicators": indicators,
    }
