"""Working papers in the assessor's own form, added to the report context.

A 3PAO reads a risk table and a POA&M, a QSA a Report on Compliance with its evidence reference
table and compensating-control worksheets, a HIPAA auditor the documented decisions on addressable
specifications. Each is computed here from the same fact set as the rest of the report, and added
to the context under its own key, so every format shows the same items.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from auditprep.report.output import ReportError

if TYPE_CHECKING:
    from auditprep.catalog import Catalog
    from auditprep.report.facts import Facts
    from auditprep.store import Engagement


def add_working_papers(ctx: dict[str, Any], eng: Engagement, catalog: Catalog, facts: Facts) -> dict[str, Any]:
    fid = ctx["framework"]["id"]
    if fid == "fedramp-moderate":
        from auditprep.report.poam import build_poam

        ctx["poam"] = build_poam(eng, catalog, facts).as_dict()
    return ctx


def poam_bytes(ctx: dict[str, Any], fmt: str) -> bytes:
    """The POA&M in one of its formats (poam-oscal, poam-csv, poam-xlsx)."""
    if "poam" not in ctx:
        raise ReportError(
            f"the POA&M is a FedRAMP deliverable; {ctx['framework']['name']} has none: use --framework fedramp-moderate."
        )
    if fmt == "poam-oscal":
        from auditprep.report.poam_oscal import build_poam_oscal
        from auditprep.report.tabular import to_json

        return to_json(build_poam_oscal(ctx))
    from auditprep.report import poam_table

    return poam_table.to_poam_csv(ctx) if fmt == "poam-csv" else poam_table.to_poam_xlsx(ctx)
