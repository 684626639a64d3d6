"""JSON Schemas of the questionnaire files, for editors (YAML language servers read them)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from auditprep.catalog.files import _CheckFile, _ConceptFile, _ControlFile
from auditprep.models import Framework

_KINDS: dict[str, type[BaseModel]] = {
    "controls": _ControlFile,
    "framework": Framework,
    "concepts": _ConceptFile,
    "checks": _CheckFile,
}


def json_schema(kind: str) -> dict[str, Any]:
    schema = _KINDS[kind].model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = f"auditprep {kind} file"
    return schema
