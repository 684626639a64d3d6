"""Answers files: round trip, strict validation, and all-or-nothing import (even when killed)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from auditprep.catalog import load_catalog
from auditprep.errors import InvalidInput
from auditprep.evaluate.answers import export_answers, import_answers
from auditprep.store import Engagement
from auditprep.store.verify import verify_engagement


@pytest.fixture
def setup(tmp_path: Path, mini: Path, clock):
    catalog = load_catalog(mini)
    eng = Engagement.create(
        tmp_path / "e.engagement", name="e", organisation="", frameworks=["pci-dss"], actor="ana", clock=clock
    )
    yield eng, catalog, tmp_path
    eng.close()


GOOD = """\
format: auditprep-answers/1
answers:
  HRD-01:
    HRD-01.status: {value: partial, narrative: "Two legacy services still run privileged."}
    HRD-01.enforced: admission
    HRD-01.reviewed: 2026-10-01
    HRD-01.count: 2
"""


def test_import_then_export_round_trips(setup) -> None:
    eng, catalog, tmp = setup
    (tmp / "in.yaml").write_text(GOOD)
    assert import_answers(eng, catalog, tmp / "in.yaml", "ana") == (4, 0)
    export_answers(eng, catalog, tmp / "out.yaml")
    assert import_answers(eng, catalog, tmp / "out.yaml", "bo") == (0, 4)  # nothing new: no history noise
    current = eng.answers()
    assert current["HRD-01.status"].value == "partial"
    assert current["HRD-01.reviewed"].value == "2026-10-01"
    assert current["HRD-01.count"].value == "2"
    assert current["HRD-01.enforced"].answered_by == "ana"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            GOOD.replace("value: partial", "value: mostly"),
            ":4: answer to HRD-01.status must be one of yes, partial, no, n-a",
        ),
        (
            GOOD.replace("HRD-01.enforced: admission", "HRD-01.enforced: hope"),
            ":5: answer to HRD-01.enforced must be one of",
        ),
        (GOOD.replace("2026-10-01", "last week"), ":6: answer to HRD-01.reviewed must be a date"),
        (GOOD.replace("HRD-01.count: 2", "HRD-01.count: many"), ":7: answer to HRD-01.count must be a number"),
        (GOOD.replace("  HRD-01:", "  XYZ-99:"), ":3: unknown control 'XYZ-99'"),
        (GOOD.replace("HRD-01.count: 2", "HRD-01.colour: 2"), ":7: control HRD-01 has no question 'HRD-01.colour'"),
        (GOOD + "  HRD-01:\n    HRD-01.status: yes\n", ":8: key 'HRD-01' appears twice"),
        (GOOD.replace("answers:", "answers: [oops"), "YAML syntax error"),
    ],
)
def test_a_bad_file_changes_nothing(setup, text: str, expected: str) -> None:
    eng, catalog, tmp = setup
    (tmp / "in.yaml").write_text(GOOD.replace("partial", "no"))
    import_answers(eng, catalog, tmp / "in.yaml", "ana")
    before = eng.answers(), len(eng.events())
    (tmp / "bad.yaml").write_text(text)
    with pytest.raises(InvalidInput) as info:
        import_answers(eng, catalog, tmp / "bad.yaml", "ana")
    assert str(tmp / "bad.yaml") in info.value.message and expected in info.value.message
    assert (eng.answers(), len(eng.events())) == before


KILLER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from auditprep.store import Engagement
    from auditprep.models import Answer
    from datetime import datetime, timezone
    eng = Engagement.open(Path(sys.argv[1]))
    marker = Path(sys.argv[2])
    def slow():
        for i in range(1000):
            if i == 500:
                marker.write_text("half")
                time.sleep(60)
            yield Answer(control_id="HRD-01", question_id="HRD-01.status", value="yes", narrative=f"n{i}",
                         answered_by="bulk", answered_at=datetime.now(timezone.utc))
    eng.record_answers(slow())
    """
)


def test_import_killed_half_way_leaves_the_engagement_as_before(setup) -> None:
    eng, catalog, tmp = setup
    (tmp / "in.yaml").write_text(GOOD)
    import_answers(eng, catalog, tmp / "in.yaml", "ana")
    before_answers, before_head = eng.answers(), eng.fingerprint()
    eng.close()
    marker = tmp / "marker"
    proc = subprocess.Popen([sys.executable, "-c", KILLER, str(tmp / "e.engagement"), str(marker)])
    deadline = time.monotonic() + 30
    while not marker.exists():
        assert time.monotonic() < deadline, "the importer never reached half-way"
        assert proc.poll() is None, "the importer exited early"
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    with Engagement.open(tmp / "e.engagement") as again:
        assert again.answers() == before_answers
        assert again.fingerprint() == before_head
        assert verify_engagement(again) == []


def test_an_imported_file_cannot_put_words_in_someone_elses_mouth(setup) -> None:
    """The file's claimed author and date are kept apart; the person importing is who the record names."""
    eng, catalog, tmp = setup
    (tmp / "forged.yaml").write_text(
        "format: auditprep-answers/1\n"
        "answers:\n"
        "  HRD-01:\n"
        "    HRD-01.status: {value: 'yes', narrative: fine, answered_by: 'Jane Doe (QSA)',"
        " answered_at: '2025-01-01T00:00:00Z'}\n"
    )
    import_answers(eng, catalog, tmp / "forged.yaml", "Sam Ortiz")
    got = eng.answers()["HRD-01.status"]
    assert got.answered_by.startswith("Sam Ortiz (imported; the file attributes it to Jane Doe (QSA), dated 2025-01-01")
    assert got.answered_at.year == 2026  # the import's own time, not the file's claim
    assert eng.events()[-1].actor.startswith("Sam Ortiz")
    from auditprep.models import Attestation

    with pytest.raises(Exception, match="segregation of duties"):
        eng.attest(Attestation(control_id="HRD-01", attested_by="Sam Ortiz", attested_at=got.answered_at))
