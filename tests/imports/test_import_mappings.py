"""The mapping tables are data, validated on load against the catalog with file and line in every error."""

from __future__ import annotations

import shutil
from datetime import UTC
from pathlib import Path

import pytest

from auditprep.catalog import Catalog
from auditprep.errors import InvalidInput
from auditprep.imports import findings_from_evidence, load_mappings, mapping_problems
from auditprep.imports.mappings import default_folder


def test_shipped_tables_name_only_controls_of_the_catalog(catalog: Catalog) -> None:
    mappings, problems = mapping_problems(catalog)
    assert problems == [] and mappings is not None
    assert mappings.prowler.checks["ecs_task_definitions_no_privileged_containers"] == ("HRD-01",)
    assert mappings.asff.security_controls["ECS.4"] == ("HRD-01",)
    assert [r.id for r in mappings.trivy.rules][0] == "critical_fixable"


@pytest.fixture
def tables(tmp_path: Path) -> Path:
    folder = tmp_path / "imports"
    shutil.copytree(default_folder(), folder)
    return folder


def test_an_unknown_control_is_named_with_file_and_line(catalog: Catalog, tables: Path) -> None:
    text = (tables / "prowler.yaml").read_text()
    (tables / "prowler.yaml").write_text(
        text.replace(
            "ecs_task_definitions_no_privileged_containers: [HRD-01]",
            "ecs_task_definitions_no_privileged_containers: [HRD-99]",
        )
    )
    line = next(
        i for i, s in enumerate(text.splitlines(), 1) if s.strip().startswith("ecs_task_definitions_no_privileged")
    )
    with pytest.raises(InvalidInput, match=rf"prowler.yaml:{line}: 'HRD-99' is not a control of the catalog"):
        load_mappings(catalog, tables)


def test_unknown_keys_bad_values_and_duplicates(catalog: Catalog, tables: Path) -> None:
    (tables / "trivy.yaml").write_text(
        (tables / "trivy.yaml")
        .read_text()
        .replace("fix: available", "fix: maybe", 1)
        .replace("    status: warn", "    status: warn\n    colour: red", 1)
    )
    (tables / "asff.yaml").write_text(
        (tables / "asff.yaml").read_text().replace("security_controls:\n", "security_controls:\n  ECS.4: [HRD-02]\n")
    )
    _, problems = mapping_problems(catalog, tables)
    assert any("trivy.yaml:" in p and "rules[0].fix" in p for p in problems)
    assert any("trivy.yaml:" in p and "rules[1].colour': unknown key" in p for p in problems)
    assert any("asff.yaml:" in p and "key 'ECS.4' appears twice" in p for p in problems)
    (tables / "prowler.yaml").unlink()
    _, problems = mapping_problems(catalog, tables)
    assert any("prowler.yaml: the mapping table is missing" in p for p in problems)


def test_findings_need_no_tables_when_nothing_was_imported(catalog: Catalog, tmp_path: Path) -> None:
    from datetime import datetime

    from auditprep.models import Evidence, Scope, Source

    ev = Evidence(
        source=Source.DOCKER,
        collector="docker",
        operation="info",
        kind="docker.daemon",
        scope=Scope(host="h"),
        resource="h",
        collected_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    assert findings_from_evidence([ev], catalog) == []
