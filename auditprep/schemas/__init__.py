"""JSON Schemas published by others that auditprep's machine-readable outputs must satisfy.

``fedramp-20x/``: FedRAMP's Security Decision Record, Vulnerability Detail Report and common
definitions (draft 2020-12, FedRAMP/schemas, published 2026-06-24), copied unchanged. They refer to
each other by ``https://fedramp.gov/schemas/...`` addresses; :func:`registry` resolves every such
reference from these files, so validating never reaches the network.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

FOLDER = Path(__file__).resolve().parent
FEDRAMP_BASE = "https://fedramp.gov/schemas/"
SDR = "fedramp-security-decision-record-schema-2026-06-24.json"
VDR = "fedramp-vulnerability-detail-report-schema-2026-06-24.json"
COMMON = "fedramp-common-definitions-schema-2026-06-24.json"


@cache
def load(name: str) -> dict[str, Any]:
    """One shipped FedRAMP schema by file name."""
    path = FOLDER / "fedramp-20x" / name
    if not path.is_file() or "/" in name:
        raise FileNotFoundError(f"no shipped schema named {name}")
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def _retrieve(uri: str) -> Any:
    """Resolve a FedRAMP schema address (``.../NAME.json`` or ``.../NAME.json/$defs/X``) from the shipped files."""
    from referencing import Resource
    from referencing.exceptions import NoSuchResource

    if not uri.startswith(FEDRAMP_BASE):
        raise NoSuchResource(ref=uri)
    rest = uri[len(FEDRAMP_BASE) :]
    name, _, pointer = rest.partition("/")
    try:
        doc: Any = load(name)
    except FileNotFoundError:
        raise NoSuchResource(ref=uri) from None
    whole = doc
    # FedRAMP writes references to a definition as a path, not a '#' fragment: walk it here, and keep the
    # file's $defs beside the definition so its own '#/$defs/...' references still resolve
    try:
        for part in [p for p in pointer.split("/") if p]:
            doc = doc[part]
    except (KeyError, TypeError):
        raise NoSuchResource(ref=uri) from None
    if pointer:
        doc = {"$schema": whole["$schema"], **doc, "$id": uri, "$defs": whole.get("$defs", {})}
    return Resource.from_contents(doc)


def registry() -> Any:
    """A ``referencing.Registry`` that finds every FedRAMP schema locally and refuses anything else."""
    from referencing import Registry

    return Registry(retrieve=_retrieve)  # type: ignore[call-arg]


def problems(document: Any, name: str) -> list[str]:
    """Every way ``document`` breaks the shipped schema ``name``, as 'path: message' lines (needs jsonschema)."""
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(
        load(name), registry=registry(), format_checker=Draft202012Validator.FORMAT_CHECKER
    )
    out = []
    for err in sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path)):
        where = "/".join(str(p) for p in err.absolute_path) or "(top)"
        out.append(f"{where}: {err.message}")
    return out
