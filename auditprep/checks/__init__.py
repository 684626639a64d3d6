"""Automated checks: small pure functions over stored evidence, registered by catalogue id.

Check modules live in the ``aws`` and ``docker`` sub-packages; importing them registers their
checks. Nothing here calls AWS or Docker.
"""

from __future__ import annotations

from auditprep.checks.engine import REGISTRY, CheckSpec, EvidenceView, Result, check, evaluate, load_all

__all__ = ["REGISTRY", "CheckSpec", "EvidenceView", "Result", "check", "evaluate", "load_all"]
