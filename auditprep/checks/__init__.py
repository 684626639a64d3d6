"""Automated checks: small pure functions over stored evidence, registered by catalogue id.

Check modules live in the ``aws`` and ``docker`` sub-packages; importing them registers their
checks. Nothing here calls AWS or Docker.
"""

from __future__ import annotations

import importlib
import pkgutil

from auditprep.checks.engine import REGISTRY, CheckSpec, EvidenceView, Result, check, evaluate

__all__ = ["REGISTRY", "CheckSpec", "EvidenceView", "Result", "check", "evaluate", "load_all"]

_SUBPACKAGES = ("auditprep.checks.aws", "auditprep.checks.docker")


def load_all() -> dict[str, CheckSpec]:
    """Import every check module once and return the registry."""
    for name in _SUBPACKAGES:
        try:
            package = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue
            raise
        for info in pkgutil.iter_modules(package.__path__):
            importlib.import_module(f"{name}.{info.name}")
    return REGISTRY
