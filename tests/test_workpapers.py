"""Compensating-control worksheets and HIPAA addressable decisions: store, CLI, tamper evidence."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from auditprep.catalog import load_catalog
from auditprep.errors import InvalidInput
from auditprep.models import ControlException
from auditprep.store import Engagement
from auditprep.store.verify import verify_engagement
from auditprep.store.workpapers import (
    FIELD_KEYS,
    decisions,
    record_decision,
    record_worksheet,
    worksheets,
)

T0 = datetime(2026, 11, 2, 9, tzinfo=UTC)
FULL = {k: f"{k} text" for k in FIELD_KEYS}


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


@pytest.fixture
def eng(tmp_path: Path):
    e = Engagement.create(
        tmp_path / "e.engagement", name="e", organisation="o", frameworks=["pci-dss", "hipaa"], actor="ana",
        clock=Clock(),
    )  # fmt: skip
    e.add_exception(
        ControlException(
            control_id="HRD-06",
            owner="Tom",
            rationale="needs the socket",
            expires=T0 + timedelta(days=90),
            recorded_by="ana",
            recorded_at=T0,
        )  # fmt: skip
    )
    yield e
    e.close()


def _addressable() -> list[str]:
    return [r.id for r in load_catalog().frameworks["hipaa"].requirements if r.designation == "addressable"]


def test_a_worksheet_is_incomplete_until_every_field_is_written_and_keeps_earlier_fields(eng: Engagement) -> None:
    [exc] = eng.exceptions()
    first = record_worksheet(eng, exc.id or 0, {"constraints": "The batch needs the socket.", "risk": "  "}, "ana")
    assert not first.complete and "Constraints" not in first.missing() and "Identified risk" in first.missing()
    assert len(first.missing()) == len(FIELD_KEYS) - 1  # a blank value does not count as written
    rest = {k: v for k, v in FULL.items() if k != "constraints"}
    done = record_worksheet(eng, exc.id or 0, rest, "ben")
    assert done.complete and done.fields["constraints"] == "The batch needs the socket."
    assert worksheets(eng)[exc.id or 0].recorded_by == "ben"
    with pytest.raises(InvalidInput, match="no exception 9"):
        record_worksheet(eng, 9, FULL, "ana")
    with pytest.raises(InvalidInput, match="unknown worksheet field"):
        record_worksheet(eng, exc.id or 0, {"colour": "blue"}, "ana")
    assert verify_engagement(eng) == []


def test_decisions_need_a_known_spec_and_reasons_for_anything_but_implemented(eng: Engagement) -> None:
    specs = _addressable()
    assert "164.312(a)(2)(iv)" in specs and "164.312(a)(1)" not in specs
    with pytest.raises(InvalidInput, match="not an addressable"):
        record_decision(eng, "164.312(a)(1)", "implemented", "", "ana", specs)
    with pytest.raises(InvalidInput, match="needs its reasons"):
        record_decision(eng, "164.312(a)(2)(iv)", "not-reasonable", " ", "ana", specs)
    with pytest.raises(InvalidInput, match="unknown decision"):
        record_decision(eng, "164.312(a)(2)(iv)", "maybe", "x", "ana", specs)
    record_decision(eng, "164.312(a)(2)(iv)", "implemented", "", "ana", specs)
    record_decision(eng, "164.312(a)(2)(iv)", "alternative", "KMS volumes", "ben", specs)
    current = decisions(eng)["164.312(a)(2)(iv)"]
    assert (current.decision, current.decided_by, current.rationale) == ("alternative", "ben", "KMS volumes")
    assert current.decided_at > T0 and verify_engagement(eng) == []


def test_editing_or_deleting_a_working_paper_outside_auditprep_is_detected(eng: Engagement, tmp_path: Path) -> None:
    [exc] = eng.exceptions()
    record_worksheet(eng, exc.id or 0, FULL, "ana")
    record_decision(eng, "164.312(c)(2)", "implemented", "", "ana", _addressable())
    path = eng.path
    eng.close()
    conn = sqlite3.connect(path)
    conn.execute('UPDATE exception_worksheets SET fields = \'{"approver": "nobody"}\'')
    conn.execute("DELETE FROM addressable_decisions")
    conn.commit()
    conn.close()
    with Engagement.open(path, readonly=True) as again:
        problems = verify_engagement(again)
    assert any("worksheet 1 of exception 1 was changed outside auditprep" in p for p in problems)
    assert any("(decision.set) was deleted outside auditprep" in p for p in problems)


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "AUDITPREP_USER": "Dana Reyes"}
    return subprocess.run([sys.executable, "-m", "auditprep", *args], capture_output=True, text=True, env=env)


def test_cli_records_an_exception_with_its_worksheet_and_a_decision(eng: Engagement) -> None:
    path = str(eng.path)
    eng.close()
    expires = (datetime.now(UTC) + timedelta(days=30)).date().isoformat()
    out = _cli("exception", path, "SEC-01", "--owner", "Ana", "--rationale", "legacy env vars", "--expires", expires,
               "--constraints", "The vendor image reads its key from the environment.")  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "Recorded exception 2 to SEC-01" in out.stdout and "worksheet is incomplete" in out.stdout
    flags = [a for k in FIELD_KEYS if k != "constraints" for a in (f"--{k.replace('_', '-')}", f"{k} written")]
    out = _cli("exception", path, "--id", "2", *flags)
    assert out.returncode == 0 and "worksheet of exception 2 is complete" in out.stdout
    listed = _cli("exception", path, "--list").stdout.splitlines()
    assert "all worksheet fields missing" in listed[0] and listed[1].endswith("worksheet complete")
    out = _cli("decide", path, "164.312(a)(2)(iv)", "--decision", "alternative", "--rationale", "volume encryption")
    assert out.returncode == 0 and "by Dana Reyes" in out.stdout
    assert "alternative by Dana Reyes" in _cli("decide", path, "--list").stdout


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("decide", "{p}", "164.312(a)(2)(v)", "--decision", "implemented"), "is not an addressable HIPAA"),
        (("decide", "{p}", "164.312(a)(2)(iv)", "--decision", "not-reasonable"), "needs its reasons"),
        (("exception", "{p}", "--id", "7", "--risk", "x"), "there is no exception 7"),
        (("exception", "{p}", "NOPE-01", "--owner", "a", "--rationale", "b", "--expires", "2099-01-01"),
         "there is no control NOPE-01"),
        (("exception", "{p}", "SEC-01", "--owner", "a"), "needs --rationale, --expires"),
    ],
)  # fmt: skip
def test_cli_bad_input_is_one_clear_sentence_and_nothing_is_recorded(eng: Engagement, args: tuple, says: str) -> None:
    path = str(eng.path)
    before = eng.fingerprint()
    eng.close()
    out = _cli(*(a.format(p=path) for a in args))
    assert out.returncode == 2 and says in out.stderr and "Traceback" not in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1
    with Engagement.open(Path(path), readonly=True) as again:
        assert again.fingerprint() == before
