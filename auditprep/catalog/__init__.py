"""The control catalog: themes, controls, frameworks, concepts and check metadata, loaded strictly.

Everything here comes from YAML files. Loading checks each file against the models (unknown keys,
wrong types), then checks the references between files (a control's checks, concepts, mapped
requirements; a concept's related concepts) and reports each problem as one sentence naming the
file and line. Each framework lists the whole standard: a requirement is addressed by assessment
objectives (each bound to the questions and checks that speak to it), or says why it is outside the
tool's reach. Requirement -> control links are derived from the objectives, so there is a single
source of truth and every link names the question or check that justifies it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from auditprep.catalog.checking import collect_problems
from auditprep.catalog.files import Problems, _CheckFile, _ConceptFile, _ControlFile
from auditprep.catalog.model import Catalog

__all__ = ["Catalog", "Problems", "_CheckFile", "_ConceptFile", "_ControlFile", "collect_problems", "load_catalog"]


def load_catalog(root: Path | None = None, extra_control_dirs: Sequence[Path] = ()) -> Catalog:
    """Load the catalog or raise one InvalidInput naming the first problem's file and line."""
    catalog, problems = collect_problems(root, extra_control_dirs)
    problems.raise_if_any()
    assert catalog is not None
    return catalog
