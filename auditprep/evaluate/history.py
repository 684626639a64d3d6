"""History and drift: what each check said about each resource at every evaluation, and when it changed.

Every ``collect`` stores a run and then an evaluation; the store keeps them all. This module reads
them back in order and answers the assessor's period questions as far as the runs show them: the
status of each check and resource at each evaluation, the evaluations where it changed (drift),
and for each control the share of the period it was in place. Time between two evaluations is
counted in the state the earlier one observed; time before the first is "not observed", never
assumed in place. Pure over the store: nothing here calls AWS or Docker.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from auditprep.evaluate.freshness import Period
from auditprep.models import Finding, FindingStatus

# a control's state at one evaluation, from the findings that inform it
IN_PLACE, PARTIAL, NOT_IN_PLACE, UNKNOWN, NOT_OBSERVED = (
    "in_place",
    "partial",
    "not_in_place",
    "unknown",
    "not_observed",
)
ABSENT = "absent"  # a resource no check judged at that evaluation (not yet there, or gone)
STATE_LABELS = {
    IN_PLACE: "in place",
    PARTIAL: "partially in place",
    NOT_IN_PLACE: "not in place",
    UNKNOWN: "not evaluated",
    NOT_OBSERVED: "not observed",
}


def iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class Observation:
    """One evaluation as history sees it: when the estate was observed, and by which evaluation."""

    evaluation: int
    at: datetime
    run: int


@dataclass
class Series:
    """One check's status about one resource across evaluations."""

    check: str
    resource: str
    where: str
    controls: tuple[str, ...]
    points: list[tuple[Observation, str, str]] = field(default_factory=list)  # (when, status, message)

    def changes(self, observed: Sequence[Observation] = ()) -> list[dict[str, Any]]:
        """Each evaluation where the status differs from the one before; with ``observed`` (every
        evaluation), a resource first judged later, or no longer judged, changes from or to 'absent'."""
        by_eval = {o.evaluation: (o, st, msg) for o, st, msg in self.points}
        timeline = [by_eval.get(o.evaluation, (o, ABSENT, "")) for o in observed] if observed else list(self.points)
        out = []
        for (o1, s1, _), (o2, s2, m2) in zip(timeline, timeline[1:], strict=False):
            if s1 != s2:
                out.append(
                    {
                        "at": iso(o2.at),
                        "evaluation": o2.evaluation,
                        "check": self.check,
                        "resource": self.resource,
                        "where": self.where,
                        "from": s1,
                        "to": s2,
                        "previous_at": iso(o1.at),
                        "message": m2 or (f"no longer judged by {self.check}" if s2 == ABSENT else ""),
                    }
                )
        return out

    def as_dict(self, observed: Sequence[Observation] = ()) -> dict[str, Any]:
        return {
            "check": self.check,
            "resource": self.resource,
            "where": self.where,
            "controls": list(self.controls),
            "points": [{"evaluation": o.evaluation, "at": iso(o.at), "status": s} for o, s, _ in self.points],
            "changes": self.changes(observed),
        }


def observations(eng: Any) -> list[Observation]:
    """Every evaluation, dated by the end of the run it followed (when the estate was seen)."""
    runs = {r.id: r for r in eng.runs()}
    out = []
    for ev in eng.evaluations():
        run = runs.get(ev.last_run)
        out.append(Observation(ev.id, run.finished_at if run else ev.at, ev.last_run))
    return out


def _key(f: Finding) -> tuple[str, str, str]:
    return f.check, f.resource, f.scope.label()


def series_of(history: Sequence[tuple[Observation, Sequence[Finding]]]) -> list[Series]:
    """Per (check, resource, scope): its status at each evaluation that judged it."""
    found: dict[tuple[str, str, str], Series] = {}
    for obs, findings in history:
        for f in findings:
            k = _key(f)
            s = found.get(k)
            if s is None:
                s = found[k] = Series(f.check, f.resource, f.scope.label(), tuple(f.controls))
            s.points.append((obs, f.status.value, f.message))
    return sorted(found.values(), key=lambda s: (s.check, s.resource, s.where))


def control_state(findings: Iterable[Finding]) -> str:
    statuses = {f.status for f in findings}
    if FindingStatus.FAIL in statuses:
        return NOT_IN_PLACE
    if FindingStatus.WARN in statuses:
        return PARTIAL
    if FindingStatus.PASS in statuses:
        return UNKNOWN if FindingStatus.NOT_EVALUATED in statuses else IN_PLACE
    return UNKNOWN


def segments(
    points: Sequence[tuple[datetime, str]], start: datetime, end: datetime
) -> list[tuple[datetime, datetime, str]]:
    """The span [start, end] cut into states: each observation's state lasts until the next one;
    before the first observation (at or before ``start``) nothing is known."""
    pts = sorted(points)
    before = [p for p in pts if p[0] <= start]
    state = before[-1][1] if before else NOT_OBSERVED
    out: list[tuple[datetime, datetime, str]] = []
    cursor = start
    for at, st in pts:
        if at <= start or at > end:
            continue
        if at > cursor:
            out.append((cursor, at, state))
        cursor, state = at, st
    if end > cursor:
        out.append((cursor, end, state))
    return out


def shares(segs: Sequence[tuple[datetime, datetime, str]]) -> dict[str, float]:
    total = sum((e - s).total_seconds() for s, e, _ in segs)
    out: dict[str, float] = defaultdict(float)
    for s, e, state in segs:
        out[state] += (e - s).total_seconds() / total if total else 0.0
    return {k: round(v, 4) for k, v in out.items()}


def build_history(
    eng: Any,
    catalog: Any,
    *,
    control: str | None = None,
    resource: str | None = None,
    as_of: datetime | None = None,
) -> dict[str, Any]:
    """The history of an engagement as plain data (the JSON of ``auditprep history``)."""
    info = eng.info()
    period = Period.of(info.period_start, info.period_end)
    obs = observations(eng)
    history = [(o, eng.findings(evaluation=o.evaluation)) for o in obs]
    as_of = as_of or eng.clock()
    start, end = period.bounds(as_of, obs[0].at if obs else None)
    all_series = series_of(history)
    chosen = [
        s
        for s in all_series
        if (control is None or control in s.controls) and (resource is None or s.resource == resource)
    ]
    controls = []
    wanted = [control] if control else sorted(catalog.controls)
    for cid in wanted:
        c = catalog.controls.get(cid)
        if c is None or not c.checks:
            continue
        points = [(o.at, control_state(mine)) for o, fs in history if (mine := [f for f in fs if cid in f.controls])]
        segs = segments(points, start, end)
        changes = [
            {"at": iso(b[0]), "from": a[1], "to": b[1]}
            for a, b in zip(points, points[1:], strict=False)
            if a[1] != b[1]
        ]
        controls.append(
            {
                "id": cid,
                "title": c.title,
                "theme": c.theme,
                "points": [{"at": iso(at), "state": st} for at, st in points],
                "changes": changes,
                "segments": [{"from": iso(s), "to": iso(e), "state": st} for s, e, st in segs],
                "share": shares(segs),
            }
        )
    drift = sorted((ch for s in chosen for ch in s.changes(obs)), key=lambda d: (d["at"], d["check"], d["resource"]))
    return {
        "period": {"start": str(period.start or ""), "end": str(period.end or ""), "label": period.label()},
        "measured": {"from": iso(start), "to": iso(end)},
        "evaluations": [{"id": o.evaluation, "at": iso(o.at), "run": o.run} for o in obs],
        "series": [s.as_dict(obs) for s in chosen],
        "drift": drift,
        "controls": controls,
    }


def render(history: dict[str, Any], *, limit: int = 60) -> str:
    """The terminal view: evaluations, each control's share in place, then every change."""
    lines = [
        f"Period {history['period']['label']}; measured {history['measured']['from'][:10]} to "
        f"{history['measured']['to'][:10]} over {len(history['evaluations'])} evaluation(s)."
    ]
    if not history["evaluations"]:
        lines.append("No evaluation yet (run 'auditprep collect').")
        return "\n".join(lines)
    lines.append("")
    observed = [c for c in history["controls"] if c["points"]]
    changed = [c for c in observed if c["changes"]] if len(observed) > 1 else observed
    if changed:
        lines.append("CONTROL   IN PLACE  NOT IN PLACE  NOT EVALUATED  NOT OBSERVED  CHANGES")
    for c in changed:
        sh = c["share"]
        lines.append(
            f"{c['id']:<9} {sh.get(IN_PLACE, 0):>7.0%}  {sh.get(NOT_IN_PLACE, 0) + sh.get(PARTIAL, 0):>12.0%}"
            f"  {sh.get(UNKNOWN, 0):>13.0%}  {sh.get(NOT_OBSERVED, 0):>12.0%}  {len(c['changes'])}"
        )
    if len(observed) > len(changed):
        lines.append(
            f"{len(observed) - len(changed)} other control(s) kept the same state at every evaluation "
            "(--control ID shows one; --json all)."
        )
    lines.append("")
    drift = history["drift"]
    if not drift:
        lines.append("Drift: no check changed its status about any resource between evaluations.")
    else:
        lines.append(f"Drift: {len(drift)} change(s):")
        shown = drift_lines(drift)
        lines += shown[:limit]
        if len(shown) > limit:
            lines.append(f"  ... and {len(shown) - limit} more (use --json for all).")
    past = history.get("past_revisions")
    if past:
        lines.append("")
        lines.extend(past_lines(past))
    return "\n".join(lines)


def drift_groups(drift: Sequence[dict[str, Any]]) -> list[dict[str, str]]:
    """Changes for people: a resource that appeared or went away is one change, not one per check."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for d in drift:
        groups.setdefault((d["at"][:10], d["resource"] or d["where"]), []).append(d)
    out = []
    for (day, what), changes in groups.items():
        if len(changes) > 1 and all(c["from"] == ABSENT for c in changes):
            bad = [f"{c['check']} {c['to']}" for c in changes if c["to"] in ("fail", "warn", "not_evaluated")]
            text = f"first judged, by {len(changes)} checks" + (
                f" ({', '.join(bad)})" if bad else ", all passing or not applicable"
            )
            out.append({"day": day, "resource": what, "check": "", "change": text})
        elif len(changes) > 1 and all(c["to"] == ABSENT for c in changes):
            text = f"no longer judged by its {len(changes)} checks (gone, or no longer collected)"
            out.append({"day": day, "resource": what, "check": "", "change": text})
        else:
            out += [
                {"day": day, "resource": what, "check": c["check"], "change": f"{c['from']} -> {c['to']}"}
                for c in changes
            ]
    return out


def drift_lines(drift: Sequence[dict[str, Any]]) -> list[str]:
    return [
        f"  {g['day']} {g['check'] + ' ' if g['check'] else ''}{g['resource']}: {g['change']}"
        for g in drift_groups(drift)
    ]


def past_lines(past: dict[str, Any]) -> list[str]:
    out = []
    for gap in past.get("gaps", []):
        out.append(f"AWS history not evaluated in {gap['where']}: {gap['reason']}")
    for r in past.get("revisions", []):
        out.append(f"  {r['sentence']}")
    return out


def control_text(eng: Any, catalog: Any, control_id: str, as_of: datetime | None = None) -> str:
    """One control's history for the terminal (the TUI's history view): its state at each
    evaluation, its share of the period, its stale evidence, and each resource that drifted."""
    from auditprep.evaluate import freshness

    as_of = as_of or eng.clock()
    data = build_history(eng, catalog, control=control_id, as_of=as_of)
    control = catalog.controls[control_id]
    info = eng.info()
    period = Period.of(info.period_start, info.period_end)
    lines = [f"{control_id} {control.title}", f"Period {period.label()}; {len(data['evaluations'])} evaluation(s)."]
    fresh = freshness.control_freshness([control], eng.findings(), eng.current_evidence(with_data=False), period, as_of)
    lines.append("Evidence: " + fresh[control_id].sentence() if control_id in fresh else "Evidence: none.")
    if not data["controls"]:
        lines.append("No automated check informs this control, so collections show nothing about it over time.")
        return "\n".join(lines)
    c = data["controls"][0]
    lines.append("")
    lines.append("State after each collection:")
    lines += [f"  {p['at'][:16].replace('T', ' ')}  {STATE_LABELS.get(p['state'], p['state'])}" for p in c["points"]]
    if not c["points"]:
        lines.append("  (no evaluation judged it yet)")
    share = c["share"]
    lines.append("")
    lines.append(
        f"Share of {data['measured']['from'][:10]} to {data['measured']['to'][:10]}: "
        + ", ".join(f"{STATE_LABELS.get(k, k)} {v:.0%}" for k, v in sorted(share.items(), key=lambda kv: -kv[1]))
    )
    lines.append("")
    if data["drift"]:
        lines.append(f"Changes ({len(data['drift'])}):")
        lines += drift_lines(data["drift"])[:100]
    else:
        lines.append("No check informing it changed its status about any resource between evaluations.")
    return "\n".join(lines)
