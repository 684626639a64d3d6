"""Containers explained for assessors: finding, rendering and tailoring concept explanations.

Concepts are data (``questionnaires/concepts/*.yaml``, loaded and cross-checked by the catalog
loader). This module works on already-loaded :class:`~auditprep.models.Concept` objects so the same
text reaches the terminal (``auditprep explain``), the TUI and the PDF report unchanged. It is pure:
no I/O, no third-party imports beyond pydantic models.

Tailoring exists because the honest answer to "who patches the host?" depends on what the evidence
found: on Fargate only, AWS carries the host layer; with EC2 container instances or Docker hosts, the
team does, and the assessor tests it there.
"""

from __future__ import annotations

from auditprep.concepts.labels import FRAMEWORK_LABELS
from auditprep.concepts.search import find, lookup, suggest, unknown_term_message
from auditprep.concepts.svg import diagram_svg
from auditprep.concepts.tailoring import TAILORED, Environment, tailored_note
from auditprep.concepts.text import diagram_text, render_index, render_text

__all__ = [
    "FRAMEWORK_LABELS",
    "TAILORED",
    "Environment",
    "diagram_svg",
    "diagram_text",
    "find",
    "lookup",
    "render_index",
    "render_text",
    "suggest",
    "tailored_note",
    "unknown_term_message",
]
