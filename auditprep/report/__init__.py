"""Reports an assessor reads: the framework report (PDF, HTML, JSON, CSV, OSCAL) and the IR playbook.

Rendering reads only the engagement store and the catalog: it never calls AWS or Docker and never
needs credentials. Every format is a view of one context built in :mod:`.context`; the output is
written atomically, and the PDF's resource fetcher is locked to the templates folder.
"""

from __future__ import annotations

import gc
from pathlib import Path
from typing import TYPE_CHECKING, Any

from auditprep.catalog import Catalog
from auditprep.report.output import ReportError, write_atomic
from auditprep.store import Engagement

if TYPE_CHECKING:
    from auditprep.report.facts import Facts

POAM_FORMATS = ("poam-oscal", "poam-csv", "poam-xlsx")
# FedRAMP 20x machine-readable documents, written from the fedramp-20x report and the run history
TWENTY_X_FORMATS = ("sdr", "vdr", "ksi-metrics")
FORMATS = ("pdf", "html", "json", "csv", "oscal", *POAM_FORMATS, *TWENTY_X_FORMATS)
KINDS = ("framework", "playbook")
PLAYBOOK_FORMATS = ("pdf", "html")

__all__ = ["FORMATS", "KINDS", "PLAYBOOK_FORMATS", "ReportError", "render_report", "report_bytes"]


def _check(fmt: str, kind: str) -> None:
    if kind not in KINDS:
        raise ReportError(f"unknown report kind '{kind}'; choose one of: {', '.join(KINDS)}.")
    if fmt not in FORMATS:
        raise ReportError(f"unknown report format '{fmt}'; choose one of: {', '.join(FORMATS)}.")
    if kind == "playbook" and fmt not in PLAYBOOK_FORMATS:
        raise ReportError(f"the playbook is drafted as pdf or html, not {fmt}.")


def twenty_x_bytes(eng: Engagement, catalog: Catalog, ctx: dict[str, Any], fmt: str) -> bytes:
    """The SDR, VDR or KSI metrics of a fedramp-20x report context, as JSON bytes."""
    from auditprep.report.tabular import to_json

    if ctx["framework"]["id"] != "fedramp-20x":
        raise ReportError(f"--format {fmt} is a FedRAMP 20x document; report on --framework fedramp-20x.")
    if fmt == "ksi-metrics":
        from auditprep.report.ksi_metrics import build_metrics

        return to_json(build_metrics(eng, catalog, ctx))
    if fmt == "vdr":
        from auditprep.report.vdr import build_vdr

        return to_json(build_vdr(eng, catalog, ctx))
    return to_json(ctx["sdr"])


def build(
    eng: Engagement,
    catalog: Catalog,
    *,
    framework: str | None,
    kind: str = "framework",
    package_hash: str | None = None,
    facts: Facts | None = None,
) -> dict[str, Any]:
    """The context a report of ``kind`` is rendered from (plain data).

    ``facts``: the engagement's evaluated fact set (:class:`~auditprep.report.facts.Facts`). Pass
    the same one to every deliverable rendered together so they all state the same facts; it is
    read from the store when omitted.
    """
    from auditprep.report.facts import Facts

    facts = facts or Facts.load(eng)
    if kind == "playbook":
        from auditprep.report.playbook import build_playbook

        return build_playbook(eng, catalog, package_hash=package_hash, facts=facts)
    from auditprep.report.context import build_context
    from auditprep.report.workpapers import add_working_papers

    ctx = add_working_papers(
        build_context(eng, catalog, framework, package_hash=package_hash, facts=facts), eng, catalog, facts
    )
    if ctx["framework"]["id"] == "fedramp-20x":  # the human-readable SDR is the report itself
        from auditprep.report.sdr import build_sdr

        ctx["sdr"] = build_sdr(eng, catalog, ctx)
    return ctx


def html_of(ctx: dict[str, Any], catalog: Catalog, medium: str) -> str:
    from auditprep.report import html

    if ctx["kind"] == "playbook":
        return html.render_playbook_html(ctx, medium)
    return html.render_report_html(ctx, catalog, medium)


def report_bytes(ctx: dict[str, Any], catalog: Catalog, fmt: str) -> bytes:
    """Any format except PDF, as bytes (deterministic for a given engagement)."""
    if fmt == "json":
        from auditprep.report.tabular import to_json

        return to_json(ctx)
    if fmt == "csv":
        from auditprep.report.tabular import to_csv

        return to_csv(ctx)
    if fmt == "oscal":
        from auditprep.report.oscal import build_oscal
        from auditprep.report.tabular import to_json

        return to_json(build_oscal(ctx))
    if fmt == "html":
        return html_of(ctx, catalog, "html").encode("utf-8")
    if fmt in POAM_FORMATS:
        from auditprep.report.workpapers import poam_bytes

        return poam_bytes(ctx, fmt)
    raise ReportError(f"unknown report format '{fmt}'.")


def render_report(
    eng: Engagement,
    catalog: Catalog,
    *,
    framework: str | None,
    fmt: str,
    out: Path,
    kind: str = "framework",
    package_hash: str | None = None,
    facts: Facts | None = None,
) -> Path:
    """Render one report of ``kind`` in ``fmt`` to ``out`` (replaced atomically) and return the path.

    ``framework``: which of the engagement's frameworks to report on (framework reports; may be
    omitted when the engagement has exactly one). ``package_hash``: the evidence package's root
    hash, shown on the cover when the report travels inside a package. ``facts``: the evaluated
    fact set shared by deliverables rendered together (see :func:`build`).
    """
    _check(fmt, kind)
    out = Path(out)
    ctx = build(eng, catalog, framework=framework, kind=kind, package_hash=package_hash, facts=facts)
    if fmt == "pdf":
        from auditprep.report.pdf import write_pdf

        document = html_of(ctx, catalog, "pdf")
        ident = f"{ctx['engagement']['fingerprint']}:{kind}:{ctx.get('framework', {}).get('id', '')}"
        # The context (every finding and evidence row) is no longer needed: free it, so weasyprint's
        # many short-lived objects do not make the garbage collector walk it again and again.
        del ctx
        gc.collect()
        return write_atomic(out, lambda fh: write_pdf(document, fh, identifier=ident))
    data = twenty_x_bytes(eng, catalog, ctx, fmt) if fmt in TWENTY_X_FORMATS else report_bytes(ctx, catalog, fmt)
    return write_atomic(out, lambda fh: fh.write(data))
