"""The strict questionnaire loader: valid trees load; each kind of breakage names file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditprep.catalog import collect_problems, load_catalog
from auditprep.errors import InvalidInput


def problems_of(root: Path, extra: list[Path] | None = None) -> list[str]:
    _, problems = collect_problems(root, extra or [])
    return problems.items


def test_minimal_tree_loads_and_derives_requirement_links(mini: Path) -> None:
    catalog = load_catalog(mini)
    assert list(catalog.controls) == ["HRD-01"]
    assert catalog.requirement_controls["pci-dss"] == {"2.2.1": ("HRD-01",)}
    assert catalog.check_controls == {"docker.container.privileged": ("HRD-01",)}


def test_yaml_syntax_error_names_file_and_line(mini: Path) -> None:
    path = mini / "controls" / "hardening.yaml"
    lines = path.read_text().splitlines()
    lines[4] = "    questions: [unclosed"
    path.write_text("\n".join(lines) + "\n")
    found = problems_of(mini)
    assert len(found) == 1
    assert found[0].startswith(f"{path}:")
    assert "YAML syntax error" in found[0]


def test_unknown_key_names_the_key_and_its_line(mini: Path) -> None:
    path = mini / "controls" / "hardening.yaml"
    path.write_text(path.read_text().replace("    guidance:", "    guidence: oops\n    guidance:"))
    line = next(i for i, text in enumerate(path.read_text().splitlines(), 1) if "guidence" in text)
    assert problems_of(mini) == [f"{path}:{line}: key 'controls[0].guidence': unknown key."]


def test_duplicate_control_id_across_files(mini: Path) -> None:
    src = mini / "controls" / "hardening.yaml"
    (mini / "controls" / "more.yaml").write_text(src.read_text())
    found = problems_of(mini)
    assert any(
        "duplicate control id 'HRD-01'" in p and "more.yaml:2:" in p and "hardening.yaml:2)" in p for p in found
    ), found


def test_duplicate_yaml_key_is_an_error_not_a_silent_overwrite(mini: Path) -> None:
    path = mini / "controls" / "hardening.yaml"
    path.write_text(path.read_text().replace("    theme: hardening", "    theme: hardening\n    theme: logging"))
    found = problems_of(mini)
    assert found and "key 'theme' appears twice" in found[0] and ":5:" in found[0]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "checks: [docker.container.privileged]",
            "checks: [docker.container.nope]",
            "unknown check 'docker.container.nope'",
        ),
        ("concepts: [privileged-container]", "concepts: [no-such-concept]", "unknown concept 'no-such-concept'"),
        ('pci-dss: ["2.2.1"]', 'pci-dss: ["2.2.1", "99.9"]', "maps '99.9', which is not a pci-dss requirement"),
        ('pci-dss: ["2.2.1"]', 'pci-dss: ["2.2.1", "9.4.1"]', "which pci-dss lists as not covered"),
        ('pci-dss: ["2.2.1"]', 'hipaa: ["164.312(b)"]', "unknown framework 'hipaa'"),
    ],
)
def test_dangling_references(mini: Path, old: str, new: str, expected: str) -> None:
    path = mini / "controls" / "hardening.yaml"
    path.write_text(path.read_text().replace(old, new))
    found = problems_of(mini)
    assert any(expected in p and str(path) in p for p in found), found


def test_requirement_addressed_by_nobody_must_say_why(mini: Path) -> None:
    path = mini / "frameworks" / "pci-dss.yaml"
    path.write_text(
        path.read_text().replace("    not_covered: Physical media is outside a container configuration tool.\n", "")
    )
    line = next(i for i, t in enumerate(path.read_text().splitlines(), 1) if '"9.4.1"' in t)
    found = problems_of(mini)
    assert any("'9.4.1' is addressed by no control" in p and f"{path}:{line}:" in p for p in found), found


def test_unreferenced_concept_and_check_are_reported(mini: Path) -> None:
    path = mini / "controls" / "hardening.yaml"
    path.write_text(
        path.read_text()
        .replace("checks: [docker.container.privileged]", "checks: []")
        .replace("concepts: [privileged-container]", "concepts: []")
    )
    found = problems_of(mini)
    assert any("check 'docker.container.privileged' informs no control" in p for p in found)
    assert any("concept 'privileged-container' is referenced by no control" in p for p in found)


def test_non_utf8_file_names_the_line(mini: Path) -> None:
    path = mini / "controls" / "hardening.yaml"
    data = path.read_bytes().replace(b"every host device", b"every h\xf4st device")
    path.write_bytes(data)
    found = problems_of(mini)
    line = data[: data.index(b"\xf4")].count(b"\n") + 1
    assert found == [f"{path}:{line}: the file is not UTF-8 (byte 0xf4 cannot be decoded); save it as UTF-8."]


def test_choice_question_rules(mini: Path) -> None:
    path = mini / "controls" / "hardening.yaml"
    path.write_text(path.read_text().replace("choices: [pipeline, admission, none]", "choices: [pipeline]"))
    assert any("needs at least two choices" in p for p in problems_of(mini))


def test_first_question_must_be_status(mini: Path) -> None:
    path = mini / "controls" / "hardening.yaml"
    path.write_text(path.read_text().replace("type: status", "type: text"))
    assert any("first question must be of type 'status'" in p for p in problems_of(mini))


def test_load_catalog_raises_one_sentence(mini: Path) -> None:
    path = mini / "controls" / "hardening.yaml"
    path.write_text(path.read_text().replace("theme: hardening", "theme: nowhere"))
    with pytest.raises(InvalidInput) as info:
        load_catalog(mini)
    assert info.value.message.startswith(f"{path}:4: control HRD-01 names unknown theme 'nowhere'")
    assert "\n" not in info.value.message


def test_organisation_control_folder_is_loaded(mini: Path, tmp_path: Path) -> None:
    org = tmp_path / "org"
    org.mkdir()
    text = (mini / "controls" / "hardening.yaml").read_text().replace("HRD-01", "ORG-01")
    (org / "ours.yaml").write_text(text)
    catalog = load_catalog(mini, [org])
    assert set(catalog.controls) == {"HRD-01", "ORG-01"}
    assert catalog.requirement_controls["pci-dss"]["2.2.1"] == ("HRD-01", "ORG-01")


def test_published_json_schemas_are_current() -> None:
    """Editors read questionnaires/schema/*.json; they must match the models the loader enforces."""
    import json

    from auditprep import paths
    from auditprep.schema import json_schema

    folder = paths.questionnaires_dir() / "schema"
    for kind in ("controls", "framework", "concepts", "checks"):
        shipped = json.loads((folder / f"{kind}.schema.json").read_text())
        assert shipped == json_schema(kind), f"regenerate: auditprep questionnaires schema --kind {kind}"
