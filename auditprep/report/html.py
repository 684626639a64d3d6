"""HTML from the report context through jinja2 templates (autoescaped, strictly undefined).

The same HTML is the self-contained ``--format html`` file and the input weasyprint lays out for
the PDF; only the medium differs (the PDF adds the embedded fonts and page furniture). Evidence
text reaches the page only through autoescaping; the few pieces of markup the project makes
itself (its SVG charts and diagrams, its stylesheet) are marked safe here and nowhere else.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from auditprep import paths
from auditprep.catalog import Catalog
from auditprep.concepts import diagram_svg
from auditprep.report import charts
from auditprep.report.context import REQUIREMENT_STATUSES, STATUS_LABELS, STATUS_ORDER, day, when
from auditprep.report.period import timeline_svg

MEDIA = ("pdf", "html")


def templates_root() -> Path:
    return paths.templates_dir().resolve()


@lru_cache(maxsize=4)
def _environment(root: str) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(root),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        when=when,
        day=day,
        status_label=lambda s: STATUS_LABELS.get(s, s),
        short=lambda h, n=12: (h or "")[:n],
        plural=lambda n, one, many=None: f"{n} {one if n == 1 else (many or one + 's')}",
        halves=lambda h: [h[: len(h) // 2], h[len(h) // 2 :]] if h else [],
    )
    return env


def _read(root: Path, name: str) -> str:
    return (root / name).read_text(encoding="utf-8")


def first_detail(ctx: dict[str, Any]) -> dict[str, str]:
    """control id -> id of the first requirement it appears under, where its evidence and gaps are shown in full."""
    out: dict[str, str] = {}
    for section in ctx["sections"]:
        for req in section["requirements"]:
            for cid in req["controls"]:
                out.setdefault(cid, req["id"])
    return out


def _art(ctx: dict[str, Any], catalog: Catalog) -> dict[str, Any]:
    labels = dict(STATUS_LABELS)
    summary = ctx["summary"]
    theme_rows = [{"label": t["title"], "counts": t["counts"]} for t in summary["by_theme"]]
    section_rows = [{"label": f"{s['id']}  {s['title']}", "counts": s["counts"]} for s in summary["by_section"]]
    control_statuses = [s.value for s in STATUS_ORDER]
    pe = ctx["period_evidence"]
    diagrams = {}
    for concept in ctx["concepts"]:
        c = catalog.concepts.get(concept["key"])
        if c is not None and c.diagram is not None:
            diagrams[concept["key"]] = Markup(diagram_svg(c.diagram))
    return {
        "requirement_donut": Markup(
            charts.donut(
                summary["requirements"],
                REQUIREMENT_STATUSES,
                {**labels, "_total": "requirements"},
                title="Requirements by status",
            )
        ),
        "control_donut": Markup(
            charts.donut(
                summary["controls"], control_statuses, {**labels, "_total": "controls"}, title="Controls by status"
            )
        ),
        "theme_chart": Markup(
            charts.stacked_bars(
                theme_rows, control_statuses, labels, title="Controls by theme and status", label_width=240
            )
        ),
        "section_chart": Markup(
            charts.stacked_bars(
                section_rows, REQUIREMENT_STATUSES, labels, title="Requirements by section and status", label_width=270
            )
        ),
        "diagrams": diagrams,
        "colours": charts.COLOURS,
        "timelines": {t["key"]: Markup(timeline_svg(t, pe["measured"], pe["evaluations"])) for t in pe["themes"]},
    }


def render_report_html(ctx: dict[str, Any], catalog: Catalog, medium: str) -> str:
    root = templates_root()
    env = _environment(str(root))
    css = _read(root, "report.css")
    fonts = _read(root, "fonts.css") if medium == "pdf" else ""
    return env.get_template("report.html.j2").render(
        ctx=ctx,
        eng=ctx["engagement"],
        fw=ctx["framework"],
        summary=ctx["summary"],
        inv=ctx["environment"],
        controls=ctx["controls"],
        art=_art(ctx, catalog),
        first_detail=first_detail(ctx),
        evidence_index={e["id"]: e for e in ctx["evidence"]},
        medium=medium,
        css=Markup(fonts + css),
        shown_evidence=5,
        shown_gaps=8,
        document_id=hashlib.sha256(f"{ctx['engagement']['fingerprint']}:{ctx['framework']['id']}".encode()).hexdigest()[
            :16
        ],
    )


def render_playbook_html(ctx: dict[str, Any], medium: str) -> str:
    root = templates_root()
    env = _environment(str(root))
    css = _read(root, "report.css")
    fonts = _read(root, "fonts.css") if medium == "pdf" else ""
    return env.get_template("playbook.html.j2").render(
        ctx=ctx,
        eng=ctx["engagement"],
        medium=medium,
        css=Markup(fonts + css),
    )
