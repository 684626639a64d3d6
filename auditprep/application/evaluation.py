"""Evaluating the engagement: every check over the current evidence, with imported findings mapped
to controls, recorded as one evaluation. Each use case that stores evidence ends with this."""

from __future__ import annotations

from auditprep.catalog import Catalog
from auditprep.checks.engine import evaluate
from auditprep.imports import findings_from_evidence
from auditprep.store import Engagement


def reevaluate(eng: Engagement, catalog: Catalog, actor: str) -> int:
    """Evaluate the current evidence and record the findings; returns the evaluation's id."""
    evidence = eng.current_evidence()
    result = evaluate(evidence, catalog.checks, catalog.check_controls)
    return eng.replace_findings(result.findings + findings_from_evidence(evidence, catalog), actor)
