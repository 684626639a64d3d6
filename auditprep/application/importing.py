"""Importing another tool's results (Prowler, Trivy, Security Hub): store the file as one run, then
evaluate. What ``auditprep import`` does."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from auditprep.application.evaluation import reevaluate
from auditprep.catalog import Catalog
from auditprep.imports import ImportMappings, ImportSummary, store_results
from auditprep.store import Engagement


def import_results(
    eng: Engagement,
    catalog: Catalog,
    path: Path,
    fmt: str,
    actor: str,
    *,
    mappings: ImportMappings | None = None,
) -> ImportSummary:
    """Import one result file (all of it, or nothing) and evaluate the engagement again."""
    summary = store_results(eng, catalog, path, fmt, actor, mappings=mappings)
    return replace(summary, evaluation_id=reevaluate(eng, catalog, actor))
