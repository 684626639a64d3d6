"""The catalog's YAML files: their shapes, how each is parsed, and problems named by file and line."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from auditprep.catalog import yamlsource
from auditprep.errors import InvalidInput
from auditprep.models import (
    ApplicabilityKey,
    CheckMeta,
    Concept,
    Control,
    Theme,
)

M = TypeVar("M", bound=BaseModel)


class _ThemeFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    themes: list[Theme]


class _ControlFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    controls: list[Control]


class _ConceptFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    concepts: list[Concept]


class _CheckFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    checks: list[CheckMeta]


class _ApplicabilityFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    keys: list[ApplicabilityKey]


_MESSAGES = {
    "extra_forbidden": "unknown key",
    "missing": "required key is missing",
}


def _describe(error: Mapping[str, Any]) -> str:
    kind = error.get("type", "")
    if kind in _MESSAGES:
        return _MESSAGES[kind]
    return str(error.get("msg", "invalid value")).rstrip(".")


@dataclass
class Problems:
    """Every problem found, in file order; ``raise_first`` turns them into one error."""

    items: list[str] = field(default_factory=list)

    def add(self, where: str, message: str) -> None:
        self.items.append(f"{where}: {message}.")

    def raise_if_any(self) -> None:
        if self.items:
            more = (
                f" ({len(self.items) - 1} more problem(s); run 'auditprep questionnaires validate')"
                if len(self.items) > 1
                else ""
            )
            raise InvalidInput(self.items[0].rstrip(".") + more + ".")


def _parse(model: type[M], path: Path, problems: Problems) -> tuple[M | None, yamlsource.Locator | None]:
    try:
        data, locator = yamlsource.load(path)
    except InvalidInput as exc:
        problems.items.append(exc.message)
        return None, None
    if not isinstance(data, dict):
        problems.add(f"{path}:1", "expected a mapping at the top of the file")
        return None, locator
    try:
        return model.model_validate(data), locator
    except ValidationError as exc:
        for err in exc.errors():
            loc = err["loc"]
            problems.add(locator.where(loc), f"key '{yamlsource.format_loc(loc)}': {_describe(err)}")
        return None, locator


@dataclass
class _Located:
    obj: Any
    where: yamlsource.Locator
    loc: tuple[Any, ...]

    def at(self, *more: Any) -> str:
        return self.where.where(self.loc + more)


def _yaml_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
