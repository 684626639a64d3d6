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
    assert catalog.requirement_controls["pci-dss"] == {"2.2.1": ("HRD-01",), "12.9.1": ("HRD-01",)}
    assert catalog.controls["HRD-01"].mappings == {"pci-dss": ("2.2.1", "12.9.1")}
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


MAPS = "    concepts: [privileged-container]\n"


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "checks: [docker.container.privileged]",
            "checks: [docker.container.nope]",
            "unknown check 'docker.container.nope'",
        ),
        ("concepts: [privileged-container]", "concepts: [no-such-concept]", "unknown concept 'no-such-concept'"),
        (MAPS, MAPS + '    mappings:\n      pci-dss: ["99.9"]\n', "maps '99.9', which is not a pci-dss requirement"),
        (MAPS, MAPS + '    mappings:\n      pci-dss: ["9.4.1"]\n', "which pci-dss lists as outside this tool's scope"),
        (MAPS, MAPS + '    mappings:\n      hipaa: ["164.312(b)"]\n', "unknown framework 'hipaa'"),
    ],
)
def test_dangling_references(mini: Path, old: str, new: str, expected: str) -> None:
    path = mini / "controls" / "hardening.yaml"
    path.write_text(path.read_text().replace(old, new))
    found = problems_of(mini)
    assert any(expected in p and str(path) in p for p in found), found


def test_requirement_without_objectives_must_say_why_it_is_outside(mini: Path) -> None:
    path = mini / "frameworks" / "pci-dss.yaml"
    text = path.read_text()
    path.write_text(text.replace(next(t for t in text.splitlines() if t.startswith("    outside:")) + "\n", ""))
    line = next(i for i, t in enumerate(path.read_text().splitlines(), 1) if '"9.4.1"' in t)
    found = problems_of(mini)
    assert any("'9.4.1' has no objectives" in p and f"{path}:{line}:" in p for p in found), found


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("questions: [HRD-01.status]", "questions: [HRD-01.nope]", "names unknown question 'HRD-01.nope'"),
        (
            "checks: [docker.container.privileged]\n        documents",
            "checks: [docker.nope.x]\n        documents",
            "names unknown check 'docker.nope.x'",
        ),
        ("        questions: [HRD-01.reviewed]\n", "", "names no question or check"),
        (
            "pci.entity: [service-provider]",
            "pci.entitty: [service-provider]",
            "unknown applicability key 'pci.entitty'",
        ),
        ("pci.entity: [service-provider]", "pci.entity: [bank]", "'bank' is not a value of pci.entity"),
        (
            "    not_applicable: Only service providers give this acknowledgement.\n",
            "",
            "gives no 'not_applicable' reason",
        ),
    ],
)
def test_objectives_and_applicability_are_checked(mini: Path, old: str, new: str, expected: str) -> None:
    path = mini / "frameworks" / "pci-dss.yaml"
    assert old in path.read_text()
    path.write_text(path.read_text().replace(old, new))
    found = problems_of(mini)
    assert any(expected in p and str(path) in p for p in found), found


def test_links_come_only_from_objectives_in_the_shipped_library() -> None:
    """Every requirement a control is linked to names one of its questions or checks in an objective."""
    import yaml

    from auditprep import paths

    for path in sorted((paths.questionnaires_dir() / "controls").glob("*.yaml")):
        for control in yaml.safe_load(path.read_text())["controls"]:
            assert "mappings" not in control, f"{path.name}: {control['id']} declares mappings; write objectives"
    catalog = load_catalog()
    for cid, control in catalog.controls.items():
        own = {q.id for q in control.questions} | set(control.checks)
        for fid, rids in control.mappings.items():
            for rid in rids:
                req = catalog.requirement(fid, rid)
                assert req is not None
                assert any(own & (set(o.questions) | set(o.checks)) for o in req.objectives), (cid, fid, rid)


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
    from auditprep.catalog.schema import json_schema

    folder = paths.questionnaires_dir() / "schema"
    for kind in ("controls", "framework", "concepts", "checks"):
        shipped = json.loads((folder / f"{kind}.schema.json").read_text())
        assert shipped == json_schema(kind), f"regenerate: auditprep questionnaires schema --kind {kind}"


def test_fedramp_map_is_exactly_the_moderate_baseline() -> None:
    """The denominator is the baseline itself: every control and enhancement of the official profile, no more."""
    import re

    listed = [
        line.strip()
        for line in (Path(__file__).parent / "fixtures" / "fedramp-rev5-moderate-ids.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    expected = [re.sub(r"\.(\d+)$", r"(\1)", i).upper() for i in listed]
    fw = load_catalog().frameworks["fedramp-moderate"]
    assert [r.id for r in fw.requirements] == expected


@pytest.mark.parametrize("fid", ["pci-dss", "hipaa", "hitrust", "fedramp-moderate"])
def test_every_requirement_is_addressed_or_says_where_to_look(fid: str) -> None:
    catalog = load_catalog()
    for req in catalog.frameworks[fid].requirements:
        assert bool(req.objectives) != bool(req.outside), req.id
        texts = [o.text for o in req.objectives]
        assert len(texts) == len(set(texts)), req.id
    # objectives are specific: no objective text is shared between two requirements
    seen: dict[str, str] = {}
    for req in catalog.frameworks[fid].requirements:
        for o in req.objectives:
            assert o.text not in seen, (req.id, seen.get(o.text))
            seen[o.text] = req.id


def test_the_corrected_links_hold() -> None:
    """Links an assessor found wrong stay fixed: each requirement rests only on what speaks to it."""
    catalog = load_catalog()

    def names(fid: str, rid: str) -> set[str]:
        req = catalog.requirement(fid, rid)
        assert req is not None, rid
        return {x for o in req.objectives for x in (*o.questions, *o.checks)}

    for rid in ("12.9.1", "12.9.2"):
        assert not any(n.startswith("AUD-04.artifacts") or n == "AUD-04.status" for n in names("pci-dss", rid))
        assert catalog.requirement("pci-dss", rid).applies_when == {"pci.entity": ("service-provider",)}
    assert not any(n.startswith("aws.ecr") or n.startswith("aws.inspector") for n in names("pci-dss", "11.3.2"))
    assert not any("readonly" in n or "read_only" in n for n in names("pci-dss", "11.5.2"))
    assert "aws.securityhub.enabled" not in names("pci-dss", "2.2.1")
    assert "aws.inspector.critical_age" in names("pci-dss", "6.3.3")
    assert "docker.image.vulnerable_packages" in names("pci-dss", "6.3.3")
    assert not any(n.startswith("aws.elb") for n in names("fedramp-moderate", "SC-13"))
    assert not any(n.startswith("IAM-06") for n in names("fedramp-moderate", "AC-2(1)"))
    assert not any(n.startswith("IMG-04") for n in names("hipaa", "164.312(c)(2)"))
    assert not any(n.startswith("TLS-06") for n in names("hipaa", "164.312(e)(2)(i)"))
    assert not any(n.startswith(("AUD-03", "AUD-06.status")) for n in names("hitrust", "09.r"))
    assert not any(n.startswith("SEC-02") for n in names("hitrust", "10.j"))
    for fid, rid in [
        ("pci-dss", "1.2.7"),
        ("pci-dss", "6.4.2"),
        ("pci-dss", "8.2.8"),
        ("pci-dss", "12.3.3"),
        ("pci-dss", "11.4.1"),
        ("fedramp-moderate", "CA-8"),
        ("fedramp-moderate", "CP-4"),
        ("fedramp-moderate", "AC-12"),
        ("fedramp-moderate", "SC-5"),
        ("fedramp-moderate", "IA-3"),
        ("fedramp-moderate", "CM-10"),
        ("fedramp-moderate", "CM-11"),
        ("hipaa", "164.306(d)(3)"),
    ]:
        assert catalog.requirement(fid, rid).objectives, (fid, rid)


def test_a_claim_names_a_real_choice_and_check(mini: Path) -> None:
    path = mini / "controls" / "hardening.yaml"
    text = path.read_text()
    claim = "        choices: [pipeline, admission, none]\n        claims:\n          {}: {}\n"
    path.write_text(
        text.replace("        choices: [pipeline, admission, none]\n", claim.format("admision", "docker.nope.x"))
    )
    found = problems_of(mini)
    assert any("has no choice 'admision'" in p for p in found), found
    assert any("claims unknown check 'docker.nope.x'" in p for p in found), found
