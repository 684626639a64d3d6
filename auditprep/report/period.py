"""The report's view of evidence over the period: freshness, timelines per theme, drift, past
revisions from CloudTrail, and the sample sets drawn (PCI ROC style: reference, population, total,
sampled, method). Plain data, computed as of the engagement's own date, so the report stays the
same for the same engagement."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from xml.sax.saxutils import escape

from auditprep.catalog import Catalog
from auditprep.evaluate import freshness, history, population, trail
from auditprep.evaluate.freshness import Period
from auditprep.report.facts import Facts
from auditprep.store import Engagement
from auditprep.store.history import samples

STATE_COLOURS = {
    history.IN_PLACE: "#2f855a",
    history.PARTIAL: "#d69e2e",
    history.NOT_IN_PLACE: "#c53030",
    history.UNKNOWN: "#a0aec0",
    history.NOT_OBSERVED: "#edf2f7",
}
DRIFT_SHOWN = 200


def period_context(eng: Engagement, catalog: Catalog, fid: str, facts: Facts, controls: set[str]) -> dict[str, Any]:
    info = eng.info()
    period = Period.of(info.period_start, info.period_end)
    fresh = freshness.control_freshness(
        [c for cid, c in catalog.controls.items() if cid in controls],
        facts.findings,
        facts.evidence,
        period,
        facts.stamp,
    )
    hist = history.build_history(eng, catalog, as_of=facts.stamp)
    themes = []
    for theme in catalog.themes:
        rows = [c for c in hist["controls"] if c["theme"] == theme.key and c["id"] in controls and c["points"]]
        if rows:
            themes.append({"key": theme.key, "title": theme.title, "controls": rows})
    drift = [d for d in hist["drift"] if set(_controls_of(hist, d)) & controls]
    past = trail.past_revisions_of(eng)  # reads the event records' content, which the fact set leaves out
    return {
        "period": freshness.summary(fresh, period)["period"],
        "measured": hist["measured"],
        "evaluations": hist["evaluations"],
        "freshness": freshness.summary(fresh, period),
        "themes": themes,
        "drift": drift[:DRIFT_SHOWN],
        "drift_total": len(drift),
        "drift_groups": history.drift_groups(drift)[:DRIFT_SHOWN],
        "past_revisions": past,
        "samples": sample_sets(eng),
    }


def _controls_of(hist: dict[str, Any], change: dict[str, Any]) -> list[str]:
    for s in hist["series"]:
        if s["check"] == change["check"] and s["resource"] == change["resource"] and s["where"] == change["where"]:
            return list(s["controls"])
    return []


def sample_sets(eng: Engagement) -> list[dict[str, Any]]:
    """Each sample drawn, as the ROC's sample-set table lists it."""
    return [
        {
            "reference": s.reference,
            "population": population.DESCRIPTIONS.get(s.population, s.population),
            "kind": s.population,
            "total": s.total,
            "sampled": s.size,
            "method": s.method,
            "seed": s.seed,
            "members": [m.rsplit("/", 1)[-1] for m in s.members],
            "drawn_by": s.drawn_by,
            "drawn_at": freshness._iso(s.drawn_at),  # noqa: SLF001
            "population_hash": s.population_hash,
        }
        for s in samples(eng)
    ]


def _x(at: str, start: datetime, span: float, left: int, width: int) -> float:
    t = datetime.fromisoformat(at.replace("Z", "+00:00"))
    return left + width * max(0.0, min(1.0, (t - start).total_seconds() / span)) if span else left


def timeline_svg(theme: dict[str, Any], measured: dict[str, str], evaluations: list[dict[str, Any]]) -> str:
    """One row per control: its state over the measured span, with a tick at each evaluation."""
    left, width, row, top = 90, 560, 16, 32  # SVG px; text at 11 px prints at 8 pt or more on the page
    start = datetime.fromisoformat(measured["from"].replace("Z", "+00:00"))
    end = datetime.fromisoformat(measured["to"].replace("Z", "+00:00"))
    span = (end - start).total_seconds()
    rows = theme["controls"]
    height = top + len(rows) * (row + 4) + 20
    title = f"{theme['title']}: controls over the period"
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {left + width + 10} {height}" '
        f'width="{left + width + 10}" height="{height}" role="img" aria-label="{escape(title)}"><title>{escape(title)}</title>',
        f'<text x="0" y="13" font-size="11">{measured["from"][:10]}</text>',
        f'<text x="{left + width}" y="13" font-size="11" text-anchor="end">{measured["to"][:10]}</text>',
    ]
    x = left
    for state in (history.IN_PLACE, history.PARTIAL, history.NOT_IN_PLACE, history.UNKNOWN, history.NOT_OBSERVED):
        out.append(
            f'<rect x="{x:.1f}" y="17" width="9" height="9" fill="{STATE_COLOURS[state]}" stroke="#718096" stroke-width="0.4"/>'
        )
        out.append(f'<text x="{x + 12:.1f}" y="26" font-size="11">{history.STATE_LABELS[state]}</text>')
        x += 18 + 6.0 * len(history.STATE_LABELS[state])
    for i, c in enumerate(rows):
        y = top + i * (row + 4)
        out.append(f'<text x="0" y="{y + row - 4}" font-size="11">{escape(c["id"])}</text>')
        for seg in c["segments"]:
            x1, x2 = _x(seg["from"], start, span, left, width), _x(seg["to"], start, span, left, width)
            out.append(
                f'<rect x="{x1:.1f}" y="{y}" width="{max(x2 - x1, 0.8):.1f}" height="{row}" '
                f'fill="{STATE_COLOURS.get(seg["state"], "#cccccc")}"/>'
            )
    for ev in evaluations:
        x1 = _x(ev["at"], start, span, left, width)
        out.append(
            f'<line x1="{x1:.1f}" y1="{top - 3}" x2="{x1:.1f}" y2="{height - 12}" stroke="#1a202c" stroke-width="0.5" '
            'stroke-dasharray="2,2"/>'
        )
    out.append(f'<text x="{left}" y="{height - 3}" font-size="11">dashed lines: evaluations after a collection</text>')
    out.append("</svg>")
    return "".join(out)
