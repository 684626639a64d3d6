"""The mapping tables that put third-party results onto the control library, kept as YAML data.

``questionnaires/imports/`` holds one table per tool:

* ``prowler.yaml``: Prowler check ids (``metadata.event_code`` in its OCSF output, or the part after
  ``prowler-`` in its ASFF ``GeneratorId``) -> controls;
* ``trivy.yaml``: rules over vulnerability severity and fix availability, evaluated per image;
* ``asff.yaml``: Security Hub control ids (``Compliance.SecurityControlId``, or the id at the end of
  ``GeneratorId``) and product names (GuardDuty, Inspector) -> controls.

Loading is strict like the catalog's: unknown keys, wrong types and any control id the catalog
does not define are errors naming file and line.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from auditprep import paths
from auditprep.catalog import Catalog, yamlsource
from auditprep.errors import InvalidInput
from auditprep.models import FindingStatus, Severity

M = TypeVar("M", bound=BaseModel)
Controls = tuple[str, ...]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ProwlerTable(_Strict):
    tool: Literal["prowler"]
    checks: dict[str, Controls]


class TrivyRule(_Strict):
    id: str = Field(pattern=r"^[a-z0-9_]+$")
    title: str
    severities: tuple[Literal["CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN"], ...] = Field(min_length=1)
    fix: Literal["available", "unavailable", "any"]
    status: Literal["fail", "warn"]
    severity: Severity
    controls: Controls = Field(min_length=1)

    @property
    def finding_status(self) -> FindingStatus:
        return FindingStatus(self.status)


class TrivyTable(_Strict):
    tool: Literal["trivy"]
    rules: tuple[TrivyRule, ...] = Field(min_length=1)


class AsffTable(_Strict):
    tool: Literal["asff"]
    security_controls: dict[str, Controls]
    products: dict[str, Controls] = {}


@dataclass(frozen=True)
class ImportMappings:
    prowler: ProwlerTable
    trivy: TrivyTable
    asff: AsffTable


FILES: dict[str, type[BaseModel]] = {"prowler.yaml": ProwlerTable, "trivy.yaml": TrivyTable, "asff.yaml": AsffTable}


def default_folder() -> Path:
    return paths.questionnaires_dir() / "imports"


def _describe(err: Any) -> str:
    if err.get("type") == "extra_forbidden":
        return "unknown key"
    if err.get("type") == "missing":
        return "required key is missing"
    return str(err.get("msg", "invalid value")).rstrip(".")


def _control_refs(table: BaseModel) -> list[tuple[tuple[Any, ...], str]]:
    """(location in the file, control id) for every control a table names."""
    out: list[tuple[tuple[Any, ...], str]] = []
    if isinstance(table, ProwlerTable):
        for key, ids in table.checks.items():
            out += [(("checks", key, i), cid) for i, cid in enumerate(ids)]
    elif isinstance(table, TrivyTable):
        for r, rule in enumerate(table.rules):
            out += [(("rules", r, "controls", i), cid) for i, cid in enumerate(rule.controls)]
    elif isinstance(table, AsffTable):
        for section in ("security_controls", "products"):
            for key, ids in getattr(table, section).items():
                out += [((section, key, i), cid) for i, cid in enumerate(ids)]
    return out


def mapping_problems(catalog: Catalog, folder: Path | None = None) -> tuple[ImportMappings | None, list[str]]:
    """Load every table and return them with all problems found (each naming file and line)."""
    folder = folder or default_folder()
    problems: list[str] = []
    loaded: dict[str, BaseModel] = {}
    for filename, model in FILES.items():
        path = folder / filename
        if not path.is_file():
            problems.append(f"{path}: the mapping table is missing.")
            continue
        try:
            data, locator = yamlsource.load(path)
        except InvalidInput as exc:
            problems.append(exc.message)
            continue
        if not isinstance(data, dict):
            problems.append(f"{path}:1: expected a mapping at the top of the file.")
            continue
        try:
            table = model.model_validate(data)
        except ValidationError as exc:
            for err in exc.errors():
                problems.append(
                    f"{locator.where(err['loc'])}: key '{yamlsource.format_loc(err['loc'])}': {_describe(err)}."
                )
            continue
        for loc, cid in _control_refs(table):
            if cid not in catalog.controls:
                problems.append(f"{locator.where(loc)}: '{cid}' is not a control of the catalog.")
        if isinstance(table, TrivyTable):
            seen: set[str] = set()
            for r, rule in enumerate(table.rules):
                if rule.id in seen:
                    problems.append(f"{locator.where(('rules', r, 'id'))}: rule id '{rule.id}' appears twice.")
                seen.add(rule.id)
        loaded[filename] = table
    if problems or len(loaded) != len(FILES):
        return None, problems
    return ImportMappings(loaded["prowler.yaml"], loaded["trivy.yaml"], loaded["asff.yaml"]), problems  # type: ignore[arg-type]


def load_mappings(catalog: Catalog, folder: Path | None = None) -> ImportMappings:
    """The mapping tables, or one InvalidInput naming the first problem's file and line."""
    mappings, problems = mapping_problems(catalog, folder)
    if problems:
        more = f" ({len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
        raise InvalidInput(problems[0].rstrip(".") + more + ".")
    assert mappings is not None
    return mappings
