"""The FedRAMP 20x map: every Key Security Indicator of the published rules, in its theme, with FedRAMP's
related NIST controls, and each either bound to objectives the tool can show or marked outside with a reason."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from auditprep.catalog import load_catalog
from auditprep.cli import main

RULES = json.loads((Path(__file__).parent / "fixtures" / "fedramp-20x-ksi.json").read_text())


def _nist(token: str) -> str:
    """FedRAMP's OSCAL token (ac-17.3) in the form the maps use (AC-17(3))."""
    m = re.fullmatch(r"([a-z]{2})-(\d+)(?:\.(\d+))?", token)
    assert m, token
    return f"{m.group(1).upper()}-{m.group(2)}" + (f"({m.group(3)})" if m.group(3) else "")


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


def test_every_published_indicator_is_listed_once_in_its_theme(catalog) -> None:
    fw = catalog.frameworks["fedramp-20x"]
    listed = [r.id for r in fw.requirements]
    assert len(listed) == len(set(listed)) == 46
    expected = {ksi: theme for theme, t in RULES["themes"].items() for ksi in t["indicators"]}
    assert {r.id: r.section for r in fw.requirements} == expected
    assert [s.id for s in fw.sections] == list(RULES["themes"])


def test_related_controls_are_fedramps_own(catalog) -> None:
    fw = catalog.frameworks["fedramp-20x"]
    published = {ksi: c for t in RULES["themes"].values() for ksi, c in t["indicators"].items()}
    assert {r.id: list(r.related) for r in fw.requirements} == {k: [_nist(c) for c in v] for k, v in published.items()}


def test_each_indicator_is_addressed_or_says_why_not(catalog) -> None:
    fw = catalog.frameworks["fedramp-20x"]
    questions = {q.id for c in catalog.controls.values() for q in c.questions}
    for req in fw.requirements:
        assert bool(req.objectives) != bool(req.outside), req.id
        if req.outside:
            assert len(req.outside.split()) >= 12 and req.outside.rstrip().endswith("."), req.id
            continue
        for obj in req.objectives:
            assert obj.questions or obj.checks, req.id
            assert set(obj.checks) <= set(catalog.checks), (req.id, set(obj.checks) - set(catalog.checks))
            assert set(obj.questions) <= questions, (req.id, set(obj.questions) - questions)
        # the links the verdicts rest on are derived from these objectives
        assert catalog.requirement_controls["fedramp-20x"][req.id], req.id


def test_automated_measures_cover_most_indicators(catalog) -> None:
    """The point of 20x is persistent automated validation: most addressed KSIs carry at least one check."""
    fw = catalog.frameworks["fedramp-20x"]
    addressed = [r for r in fw.requirements if not r.outside]
    automated = [r for r in addressed if any(o.checks for o in r.objectives)]
    assert len(addressed) == 42
    assert len(automated) >= 30


def test_frameworks_command_lists_46_indicators_and_init_accepts_it(tmp_path) -> None:
    runner = CliRunner()
    out = runner.invoke(main, ["frameworks"])
    assert out.exit_code == 0, out.output
    row = next(line for line in out.output.splitlines() if line.startswith("fedramp-20x"))
    assert re.search(r"\s46\s+42\s+4\s", row), row
    eng = tmp_path / "x.engagement"
    made = runner.invoke(main, ["init", str(eng), "--name", "Twenty", "--framework", "fedramp-20x"])
    assert made.exit_code == 0, made.output
