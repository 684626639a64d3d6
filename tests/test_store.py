"""The engagement file: creation, history, integrity, and clear errors on damaged files."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from auditprep.errors import EngagementError
from auditprep.models import (
    Answer,
    Attestation,
    CallStatus,
    ControlException,
    Evidence,
    Scope,
    Source,
)
from auditprep.store import Engagement
from auditprep.store.verify import verify_engagement

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def make(tmp_path: Path, clock) -> Engagement:
    return Engagement.create(
        tmp_path / "acme.engagement",
        name="acme",
        organisation="Acme Pay",
        frameworks=["pci-dss"],
        actor="ana",
        clock=clock,
    )


def answer(value: str, narrative: str = "", who: str = "ana") -> Answer:
    return Answer(
        control_id="HRD-01",
        question_id="HRD-01.status",
        value=value,
        narrative=narrative,
        answered_by=who,
        answered_at=T0,
    )


def test_create_refuses_to_overwrite(tmp_path: Path, clock) -> None:
    make(tmp_path, clock).close()
    before = (tmp_path / "acme.engagement").read_bytes()
    with pytest.raises(EngagementError, match="already exists"):
        make(tmp_path, clock)
    assert (tmp_path / "acme.engagement").read_bytes() == before


def test_answers_keep_their_history(tmp_path: Path, clock) -> None:
    with make(tmp_path, clock) as eng:
        eng.record_answer(answer("no", "not yet"))
        eng.record_answer(answer("yes", "all task definitions set privileged false", "bo"))
        assert eng.answers()["HRD-01.status"].value == "yes"
        assert [a.value for a in eng.answer_history("HRD-01")] == ["no", "yes"]
        assert verify_engagement(eng) == []


def test_reopen_reads_everything_back(tmp_path: Path, clock) -> None:
    with make(tmp_path, clock) as eng:
        eng.record_answer(answer("partial", "two services remain"))
        eng.attest(Attestation(control_id="HRD-01", attested_by="cio", attested_at=T0, reattest_days=90))
        eng.add_exception(
            ControlException(
                control_id="HRD-01",
                owner="ops",
                rationale="legacy agent",
                expires=T0 + timedelta(days=30),
                recorded_by="ana",
                recorded_at=T0,
            )
        )
        att = eng.attach(
            b"%PDF-1.4 runbook",
            filename="runbook.pdf",
            media_type="application/pdf",
            actor="ana",
            control_id="IR-01",
            description="IR runbook",
        )
    with Engagement.open(tmp_path / "acme.engagement", readonly=True) as eng:
        assert eng.info().organisation == "Acme Pay"
        assert eng.answers()["HRD-01.status"].narrative == "two services remain"
        assert eng.attestations()["HRD-01"].reattest_days == 90
        assert eng.exceptions()[0].owner == "ops"
        assert eng.blob(att.sha256) == b"%PDF-1.4 runbook"
        assert verify_engagement(eng) == []


def test_read_only_open_refuses_writes(tmp_path: Path, clock) -> None:
    make(tmp_path, clock).close()
    with Engagement.open(tmp_path / "acme.engagement", readonly=True) as eng:
        with pytest.raises(EngagementError, match="read-only"):
            eng.record_answer(answer("yes"))


def _evidence(region: str, resource: str, status=CallStatus.COLLECTED) -> Evidence:
    return Evidence(
        source=Source.AWS,
        collector="test",
        operation="ecs:DescribeClusters",
        kind="aws.ecs.cluster",
        scope=Scope(account="111111111111", region=region),
        resource=resource,
        collected_at=T0,
        status=status,
        data={"clusterName": resource},
    )


def test_current_evidence_is_latest_run_per_scope(tmp_path: Path, clock) -> None:
    with make(tmp_path, clock) as eng:
        eng.add_run(
            actor="ana",
            source=Source.AWS,
            started_at=T0,
            evidence=[_evidence("eu-west-1", "a"), _evidence("us-east-1", "b")],
        )
        eng.add_run(actor="ana", source=Source.AWS, started_at=T0, evidence=[_evidence("eu-west-1", "c")])
        current = {(e.scope.region, e.resource) for e in eng.current_evidence()}
        assert current == {("eu-west-1", "c"), ("us-east-1", "b")}
        assert all(e.content_hash for e in eng.current_evidence())
        assert verify_engagement(eng) == []


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("UPDATE answers SET value = 'yes' WHERE id = 1", "answer 1 to HRD-01.status was changed outside auditprep"),
        ("DELETE FROM answers WHERE id = 1", "was deleted outside auditprep"),
        ("UPDATE events SET actor = 'mallory' WHERE seq = 2", "event 2 (answer.set HRD-01.status) was altered"),
        ('UPDATE blobs SET data = CAST(\'{"clusterName":"x"}\' AS BLOB)', "no longer matches its hash"),
        ("UPDATE evidence SET resource = 'zzz'", "collection run 1 or its evidence was changed"),
        ("DELETE FROM events WHERE seq = 2", "event 2 is missing"),
    ],
)
def test_tampering_outside_the_tool_is_detected(tmp_path: Path, clock, sql: str, expected: str) -> None:
    with make(tmp_path, clock) as eng:
        eng.record_answer(answer("no", "not yet"))
        eng.add_run(actor="ana", source=Source.AWS, started_at=T0, evidence=[_evidence("eu-west-1", "a")])
        assert verify_engagement(eng) == []
    conn = sqlite3.connect(tmp_path / "acme.engagement")
    conn.execute(sql)
    conn.commit()
    conn.close()
    with Engagement.open(tmp_path / "acme.engagement", readonly=True) as eng:
        problems = verify_engagement(eng)
    assert any(expected in p for p in problems), problems


def test_not_an_engagement(tmp_path: Path) -> None:
    junk = tmp_path / "notes.engagement"
    junk.write_text("hello")
    with pytest.raises(EngagementError, match="not an auditprep engagement file"):
        Engagement.open(junk)
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.commit()
    with pytest.raises(EngagementError, match="SQLite database but not an auditprep engagement"):
        Engagement.open(other)


def test_truncated_file_gets_a_clear_error(tmp_path: Path, clock) -> None:
    with make(tmp_path, clock) as eng:
        for i in range(300):
            eng.record_answer(answer("yes", f"narrative {i} " * 20))
    path = tmp_path / "acme.engagement"
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(EngagementError, match="damaged|truncated"):
        eng = Engagement.open(path)
        eng.answers()


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(EngagementError, match="does not exist; create it with 'auditprep init"):
        Engagement.open(tmp_path / "nope.engagement")


def test_current_evidence_can_be_narrowed_to_kinds(tmp_path: Path, clock) -> None:
    with make(tmp_path, clock) as eng:
        other = _evidence("eu-west-1", "x").model_copy(update={"kind": "aws.ecs.service"})
        eng.add_run(actor="ana", source=Source.AWS, started_at=T0, evidence=[_evidence("eu-west-1", "a"), other])
        assert {e.kind for e in eng.current_evidence()} == {"aws.ecs.cluster", "aws.ecs.service"}
        assert [e.resource for e in eng.current_evidence(kinds=("aws.ecs.service",))] == ["x"]


def _traced(region: str, rid: str) -> Evidence:
    """A scope record as the AWS collector writes it: same answer everywhere, its own request id."""
    return Evidence(
        source=Source.AWS,
        collector="aws",
        operation="guardduty:ListDetectors",
        kind="aws.guardduty.detector",
        scope=Scope(account="111111111111", region=region),
        collected_at=T0,
        message="GuardDuty has no detector in this region",
        data={"count": 0},
        request_ids=(rid,),
    )


def test_the_published_hash_identifies_the_record_not_only_its_content(tmp_path: Path, clock) -> None:
    with make(tmp_path, clock) as eng:
        _, stored = eng.add_run(
            actor="ana",
            source=Source.AWS,
            started_at=T0,
            evidence=[_traced("eu-west-1", "4a1d0c6e-rid-eu"), _traced("us-east-1", "77be09f2-rid-us")],
        )
        read = eng.current_evidence()
    assert stored[0].content_hash == stored[1].content_hash  # the same {"count": 0} ...
    assert stored[0].record_hash != stored[1].record_hash  # ... from two different calls
    assert [e.record_hash for e in read] == [e.record_hash for e in stored]
    assert [e.request_ids for e in read] == [("4a1d0c6e-rid-eu",), ("77be09f2-rid-us",)]
    with Engagement.open(tmp_path / "acme.engagement", readonly=True) as eng:
        assert eng.evidence_item(stored[1].id).record_hash == stored[1].record_hash
        # the run's event pins exactly these published hashes
        from auditprep.store import integrity

        run_event = [e for e in eng.events() if e.action == "run.add"][0]
        assert run_event.record_hash == integrity.record_hash(
            {**_run_record(eng), "evidence": integrity.list_hash([e.record_hash for e in stored])}
        )


def _run_record(eng: Engagement) -> dict:
    r = eng.runs()[0]
    from auditprep import __version__
    from auditprep.store import iso

    return {
        "id": r.id,
        "started_at": iso(r.started_at),
        "finished_at": iso(r.finished_at),
        "actor": r.actor,
        "source": r.source,
        "identity": r.identity,
        "targets": list(r.targets),
        "tool_version": __version__,
        "cancelled": r.cancelled,
    }


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE evidence SET request_ids = '[\"77be09f2-rid-forged\"]' WHERE region = 'us-east-1'",
        "UPDATE evidence SET request_ids = '[]' WHERE region = 'us-east-1'",
        "UPDATE evidence SET api_paths = '[\"GET /v1.41/info\"]' WHERE region = 'us-east-1'",
    ],
)
def test_tampering_with_a_request_id_is_detected(tmp_path: Path, clock, sql: str) -> None:
    with make(tmp_path, clock) as eng:
        eng.add_run(
            actor="ana",
            source=Source.AWS,
            started_at=T0,
            evidence=[_traced("eu-west-1", "4a1d0c6e-rid-eu"), _traced("us-east-1", "77be09f2-rid-us")],
        )
    conn = sqlite3.connect(tmp_path / "acme.engagement")
    conn.execute(sql)
    conn.commit()
    conn.close()
    with Engagement.open(tmp_path / "acme.engagement", readonly=True) as eng:
        assert verify_engagement(eng) == ["collection run 1 or its evidence was changed outside auditprep"]


def test_a_file_written_before_request_ids_were_kept_still_reads_verifies_and_migrates(tmp_path: Path, clock) -> None:
    from auditprep.package.verify import verify_target

    path = tmp_path / "acme.engagement"
    with make(tmp_path, clock) as eng:
        old = Evidence(**{**_traced("eu-west-1", "x").model_dump(), "request_ids": ()})
        _, stored = eng.add_run(actor="ana", source=Source.AWS, started_at=T0, evidence=[old])
    # back to schema 1 exactly as it was written then (SQLite restores the original table text)
    conn = sqlite3.connect(path)
    conn.execute("DROP TABLE exception_worksheets")  # schema 3's tables did not exist then either
    conn.execute("DROP TABLE addressable_decisions")
    conn.execute("ALTER TABLE evidence DROP COLUMN api_paths")
    conn.execute("ALTER TABLE evidence DROP COLUMN request_ids")
    conn.execute("DROP TABLE samples")  # added by a later schema
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()
    assert verify_target(path).exit_code == 0  # read-only, as it is
    with Engagement.open(path, readonly=True) as eng:
        assert eng.current_evidence()[0].record_hash == stored[0].record_hash
    with Engagement.open(path) as eng:  # migrated on a writable open
        assert verify_engagement(eng) == []
        assert eng.current_evidence()[0].record_hash == stored[0].record_hash
    assert verify_target(path).exit_code == 0


def _tamper(path: Path, *statements: str) -> None:
    conn = sqlite3.connect(path)
    for sql in statements:
        conn.execute(sql)
    conn.commit()
    conn.close()


@pytest.mark.parametrize(
    ("statements", "expected"),
    [
        # swap two answers' row ids: the old answer would come back as current
        (
            (
                "UPDATE answers SET id = -1 WHERE id = 1",
                "UPDATE answers SET id = 1 WHERE id = 2",
                "UPDATE answers SET id = 2 WHERE id = -1",
            ),
            "answer rows were reordered outside auditprep",
        ),
        (("UPDATE meta SET value = 'Evil Corp' WHERE key = 'organisation'",), "settings"),
        (("UPDATE meta SET value = '2020-01-01' WHERE key = 'period_start'",), "settings"),
        (("UPDATE frameworks SET id = 'hipaa'",), "settings"),
        (("UPDATE scope SET value = 'eu-central-1'",), "scope entry aws-region:eu-central-1 was changed"),
        (("DELETE FROM scope",), "(scope.add) was deleted outside auditprep"),
        (("UPDATE evidence SET redactions = '{'",), "a value auditprep never writes"),
    ],
)
def test_reordering_settings_and_scope_edits_are_detected(tmp_path: Path, clock, statements, expected: str) -> None:
    path = tmp_path / "acme.engagement"
    with make(tmp_path, clock) as eng:
        eng.set_meta("ana", period_start="2026-01-01", period_end="2026-12-31")
        eng.add_scope("ana", "aws-region", "eu-west-1", "primary")
        eng.record_answer(answer("yes", "first"))
        eng.record_answer(answer("no", "second, current"))
        eng.add_run(actor="ana", source=Source.AWS, started_at=T0, evidence=[_evidence("eu-west-1", "a")])
        assert verify_engagement(eng) == []
    _tamper(path, *statements)
    with Engagement.open(path, readonly=True) as eng:
        problems = verify_engagement(eng)
    assert any(expected in p for p in problems), problems


def test_current_answer_follows_the_chain_not_row_ids(tmp_path: Path, clock) -> None:
    path = tmp_path / "acme.engagement"
    with make(tmp_path, clock) as eng:
        eng.record_answer(answer("yes", "first"))
        eng.record_answer(answer("no", "second, current"))
    _tamper(
        path,
        "UPDATE answers SET id = -1 WHERE id = 1",
        "UPDATE answers SET id = 1 WHERE id = 2",
        "UPDATE answers SET id = 2 WHERE id = -1",
    )
    with Engagement.open(path, readonly=True) as eng:
        assert eng.answers()["HRD-01.status"].narrative == "second, current"


def test_a_value_auditprep_never_writes_is_one_clear_error(tmp_path: Path, clock) -> None:
    path = tmp_path / "acme.engagement"
    with make(tmp_path, clock) as eng:
        eng.record_answer(answer("no", "not yet"))
        eng.replace_findings([], "ana")
    _tamper(path, "UPDATE meta SET value = '{' WHERE key = 'created_at'")
    with Engagement.open(path, readonly=True) as eng, pytest.raises(EngagementError, match="altered outside auditprep"):
        eng.info()


def test_an_engagement_in_a_read_only_folder_opens_and_verifies(tmp_path: Path, clock) -> None:
    """No -shm file can be made in a read-only folder; reading must not need one (no false 'damaged')."""
    import subprocess

    src = tmp_path / "src"
    src.mkdir()
    with Engagement.create(
        src / "e.eng", name="e", organisation="", frameworks=["pci-dss"], actor="ana", clock=clock
    ) as eng:
        eng.record_answer(answer("yes", "done"))
    ro = tmp_path / "ro"
    ro.mkdir()
    bind = subprocess.run(["mount", "--bind", str(src), str(ro)], capture_output=True)
    if bind.returncode != 0:
        pytest.skip("a read-only folder needs a bind mount, which needs root here (root ignores permissions)")
    try:
        subprocess.run(["mount", "-o", "remount,bind,ro", str(ro)], check=True, capture_output=True)
        with Engagement.open(ro / "e.eng", readonly=True) as eng:
            assert verify_engagement(eng) == []
            assert eng.answers()["HRD-01.status"].narrative == "done"
        from auditprep.package.verify import verify_target

        assert verify_target(ro / "e.eng").exit_code == 0
        assert not (ro / "e.eng-shm").exists()
    finally:
        subprocess.run(["umount", str(ro)], capture_output=True)


def test_a_recomputed_chain_is_caught_against_a_fingerprint_published_earlier(tmp_path: Path, clock) -> None:
    """Without a key anyone can recompute the chain; the earlier head printed on a report is the anchor."""
    import subprocess
    import sys

    from auditprep.store import integrity

    path = tmp_path / "acme.engagement"
    with make(tmp_path, clock) as eng:
        eng.record_answer(answer("no", "not yet"))
        published = eng.fingerprint()  # e.g. the head on a PDF cover given to the assessor
        eng.record_answer(answer("no", "still not"))
    # rewrite the first answer and recompute every hash after it with the project's own module
    conn = sqlite3.connect(path)
    conn.execute("UPDATE answers SET value = 'yes', narrative = 'done long ago' WHERE id = 1")
    rec = conn.execute(
        "SELECT control_id, question_id, value, narrative, answered_by, answered_at FROM answers WHERE id = 1"
    ).fetchone()
    record = dict(
        zip(("control_id", "question_id", "value", "narrative", "answered_by", "answered_at"), rec, strict=True)
    )
    conn.execute("UPDATE events SET record_hash = ? WHERE seq = 2", (integrity.record_hash(record),))
    prev = integrity.GENESIS
    for seq, at, actor, action, subject, rh in conn.execute(
        "SELECT seq, at, actor, action, subject, record_hash FROM events ORDER BY seq"
    ).fetchall():
        h = integrity.event_hash(prev, seq, at, actor, action, subject, rh)
        conn.execute("UPDATE events SET prev_hash = ?, hash = ? WHERE seq = ?", (prev, h, seq))
        prev = h
    conn.commit()
    conn.close()
    with Engagement.open(path, readonly=True) as eng:
        assert verify_engagement(eng) == []  # the rewrite is self-consistent, as documented

    def run(*a: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "auditprep", "verify", str(path), *a], capture_output=True, text=True
        )

    plain = run()
    assert plain.returncode == 0 and "Not detectable from this file alone" in plain.stdout
    anchored = run("--since", published)
    assert anchored.returncode == 1 and "was rewritten or cut off" in anchored.stderr


def test_every_evaluation_keeps_its_findings_and_the_run_it_followed(tmp_path: Path, clock) -> None:
    from auditprep.models import Finding, FindingStatus, Severity

    def finding(status: FindingStatus) -> Finding:
        return Finding(
            check="aws.ecs.task_definition.privileged",
            title="privileged",
            status=status,
            severity=Severity.HIGH,
            resource="arn:aws:ecs:eu-west-1:111111111111:task-definition/web:7",
            scope=Scope(account="111111111111", region="eu-west-1"),
            message="m",
            controls=("HRD-01",),
            evidence=(),
        )

    with make(tmp_path, clock) as eng:
        assert eng.evaluations() == [] and eng.findings() == []
        eng.replace_findings([finding(FindingStatus.PASS)], "ana")  # before any run
        eng.add_run(actor="ana", source=Source.AWS, started_at=T0, evidence=[_evidence("eu-west-1", "a")])
        eng.replace_findings([finding(FindingStatus.PASS)], "ana")
        eng.add_run(actor="ana", source=Source.AWS, started_at=T0, evidence=[_evidence("eu-west-1", "b")])
        eng.replace_findings([finding(FindingStatus.FAIL)], "ana")
        history = eng.evaluations()
        assert [(e.id, e.last_run) for e in history] == [(1, 0), (2, 1), (3, 2)]
        assert [f.status for f in eng.findings(evaluation=2)] == [FindingStatus.PASS]
        assert [f.status for f in eng.findings()] == [FindingStatus.FAIL]
        assert eng.findings(evaluation=99) == []
