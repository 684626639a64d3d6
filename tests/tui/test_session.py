"""The TUI's plain-Python parts: the session's autosave, refusals and suggestions, the recent
list, and that importing the TUI package costs nothing."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
from kit import T0, build_engagement, frozen

from auditprep.application.recent import LIMIT, RecentList
from auditprep.errors import EngagementError, InvalidInput
from auditprep.store import Engagement
from auditprep.tui.session import Session
from auditprep.tui.suggestions import next_steps


@pytest.fixture
def session(engagement: Path, catalog):
    eng = Engagement.open(engagement, clock=frozen(T0 + timedelta(days=1)))
    s = Session(eng, catalog, actor="tester")
    yield s
    s.close()


def test_staged_typing_is_written_once_by_flush(session: Session) -> None:
    session.stage("HRD-02.status", "partial", "Dro")
    session.stage("HRD-02.status", "partial", "Drops ALL")
    assert session.current("HRD-02.status") == ("partial", "Drops ALL")
    assert "HRD-02.status" not in session.engagement.answers()
    revision = session.revision
    assert session.flush() == ["HRD-02"]
    history = [a for a in session.engagement.answer_history("HRD-02")]
    assert [(a.value, a.narrative, a.answered_by) for a in history] == [("partial", "Drops ALL", "tester")]
    assert session.revision > revision
    assert session.control_posture("HRD-02").status.value == "partial"
    assert session.flush() == []


def test_an_unchanged_answer_adds_no_history(session: Session) -> None:
    value, narrative = session.current("HRD-01.status")
    assert session.record_answer("HRD-01.status", value, narrative) is False
    assert len(session.engagement.answer_history("HRD-01")) == 2


def test_validation_speaks_in_sentences(session: Session) -> None:
    assert session.validate("HRD-01.count", " 3.0 ") == "3"
    with pytest.raises(InvalidInput, match=r"^The answer must be a date written YYYY-MM-DD, not '2026-02-30'\.$"):
        session.validate("HRD-01.reviewed", "2026-02-30")


def test_exceptions_and_attestations_are_checked_before_writing(session: Session) -> None:
    with pytest.raises(InvalidInput, match="owner"):
        session.add_exception("SEC-01", " ", "why", date(2027, 1, 1))
    with pytest.raises(InvalidInput, match="future"):
        session.add_exception("SEC-01", "CISO", "why", date(2026, 11, 1))
    with pytest.raises(InvalidInput, match="before attesting"):
        session.attest("SEC-01", 365)
    events = len(session.engagement.events())
    session.add_exception("SEC-01", "CISO", "Legacy worker", date(2027, 1, 1))
    assert session.control_posture("SEC-01").status.value == "exception"
    assert len(session.engagement.events()) == events + 1


def test_a_read_only_session_refuses_every_write(engagement: Path, catalog) -> None:
    eng = Engagement.open(engagement, readonly=True, clock=frozen(T0))
    s = Session(eng, catalog, actor="tester")
    for call in (
        lambda: s.stage("HRD-02.status", "yes"),
        lambda: s.attest("HRD-01", 30),
        lambda: s.add_exception("SEC-01", "x", "y", date(2030, 1, 1)),
        lambda: s.attach(engagement, control_id=None, description=""),
    ):
        with pytest.raises(EngagementError, match="read-only"):
            call()
    s.close()


def test_next_steps_lead_somewhere(session: Session) -> None:
    state = session.collection_state()
    steps = next_steps(session, state)
    assert [(s.control_id, s.section) for s in steps] == [
        ("HRD-01", None),
        ("SEC-02", None),
        ("HRD-02", None),
        (None, "collect"),
    ]
    assert steps[1].text == "SEC-02: the exception owned by CISO expires 2026-11-22."
    assert state.gap_counts == {"access_denied": 1} and state.integrity is None


def test_a_new_engagement_starts_with_collecting(tmp_path: Path, catalog) -> None:
    path = build_engagement(tmp_path / "fresh.auditprep", catalog, answered=False, collected=False)
    with Engagement.open(path, clock=frozen(T0)) as eng:
        s = Session(eng, catalog, actor="tester")
        steps = next_steps(s, s.collection_state())
    assert steps[0].section == "collect"
    assert steps[1].text == "Answer 6 open control(s), starting with HRD-01 Containers never run privileged."


def test_the_recent_list_keeps_the_last_ten_and_survives_damage(tmp_path: Path) -> None:
    recent = RecentList(tmp_path / "deep" / "recent.json")
    assert recent.load() == []
    assert not (tmp_path / "deep").exists(), "reading never creates anything"
    for n in range(LIMIT + 2):
        recent.remember(tmp_path / f"e{n}.auditprep", f"E{n}", T0)
    recent.remember(tmp_path / "e5.auditprep", "E5", T0)
    names = [e.name for e in recent.load()]
    assert names[0] == "E5" and len(names) == LIMIT and names.count("E5") == 1
    (tmp_path / "deep" / "recent.json").write_text("{not json")
    assert recent.load() == []
    recent.remember(tmp_path / "x.auditprep", "X", T0)
    assert json.loads((tmp_path / "deep" / "recent.json").read_text())["recent"][0]["name"] == "X"


def test_importing_the_tui_package_loads_nothing_and_creates_nothing(tmp_path: Path) -> None:
    code = (
        "import sys, auditprep.tui, auditprep.application.recent, auditprep.tui.session; "
        "print(','.join(m for m in ('textual', 'platformdirs', 'boto3', 'docker') if m in sys.modules))"
    )
    env = {"HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "data"), "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    assert out.stdout.strip() == ""
    assert list(tmp_path.iterdir()) == []
