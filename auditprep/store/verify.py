"""Verify an engagement file: the event chain, and every record against the event that wrote it.

Returns problems as sentences; an empty list means intact. A row edited, added or deleted
outside auditprep, an event edited or removed, or a blob whose bytes no longer match its hash
is reported by what it is, so the reader knows exactly what changed.
"""

from __future__ import annotations

import json
from collections import defaultdict

from auditprep.models import Finding, FindingStatus, Scope, Severity
from auditprep.store import integrity
from auditprep.store.engagement import (
    Engagement,
    evidence_record,
    finding_record,
    settings_state,
    trace_fields,
)
from auditprep.store.workpapers import decision_record, worksheet_record

# tables whose "current" row is the latest by the chain: their row ids must follow the event order
ORDERED = {
    "answers": "answer",
    "attestations": "attestation",
    "exceptions": "exception",
    "attachments": "attachment",
    "evaluations": "evaluation",
    "scope": "scope entry",
    "samples": "sample",
}
# working-paper tables (schema 3): absent from older files
WORKPAPERS = {"exception_worksheets": "compensating-control worksheet", "addressable_decisions": "decision"}


def verify_engagement(eng: Engagement) -> list[str]:
    problems: list[str] = []
    q = eng._query  # noqa: SLF001 - the verifier reads the raw rows on purpose

    events = q("SELECT seq, at, actor, action, subject, record_hash, prev_hash, hash FROM events ORDER BY seq")
    by_seq = {}
    prev = integrity.GENESIS
    expected_seq = 1
    for seq, at, actor, action, subject, rec, prev_hash, h in events:
        if seq != expected_seq:
            problems.append(f"event {expected_seq} is missing from the event log")
        expected_seq = seq + 1
        if prev_hash != prev:
            problems.append(f"event {seq} ({action} {subject}) does not follow the event before it")
        if integrity.event_hash(prev_hash, seq, at, actor, action, subject, rec) != h:
            problems.append(f"event {seq} ({action} {subject}) was altered after it was written")
        prev = h
        by_seq[seq] = (action, rec)

    def match(table: str, seq: int, record: dict, what: str, action: str) -> None:
        ev = by_seq.get(seq)
        if ev is None or ev[0] != action:
            problems.append(f"{what} has no matching '{action}' event (added outside auditprep)")
        elif integrity.record_hash(record) != ev[1]:
            problems.append(f"{what} was changed outside auditprep")

    seen: dict[str, set[int]] = defaultdict(set)
    try:
        _check_records(eng, q, by_seq, seen, match, problems)
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        problems.append(
            f"a stored record holds a value auditprep never writes ({type(exc).__name__}: {str(exc)[:120]}), so it "
            "was altered outside auditprep; the records after it were not checked"
        )

    for seq, (action, _) in by_seq.items():
        if action in (
            "answer.set",
            "attestation.add",
            "exception.add",
            "attachment.add",
            "run.add",
            "evaluation.add",
            "scope.add",
            "worksheet.set",
            "decision.set",
            "sample.draw",
        ):
            if seq not in seen[action]:
                problems.append(f"the record written by event {seq} ({action}) was deleted outside auditprep")
    return problems


def _check_records(eng, q, by_seq, seen, match, problems) -> None:  # type: ignore[no-untyped-def]
    """Every stored record against the event that wrote it (raises on a value auditprep never writes)."""
    for r in q(
        "SELECT id, control_id, question_id, value, narrative, answered_by, answered_at, event_seq FROM answers"
    ):
        rec = dict(
            zip(("control_id", "question_id", "value", "narrative", "answered_by", "answered_at"), r[1:7], strict=True)
        )
        match("answers", r[7], rec, f"answer {r[0]} to {r[2]}", "answer.set")
        seen["answer.set"].add(r[7])
    for r in q("SELECT id, control_id, attested_by, attested_at, reattest_days, event_seq FROM attestations"):
        rec = dict(zip(("control_id", "attested_by", "attested_at", "reattest_days"), r[1:5], strict=True))
        match("attestations", r[5], rec, f"attestation {r[0]} of {r[1]}", "attestation.add")
        seen["attestation.add"].add(r[5])
    for r in q("SELECT id, control_id, owner, rationale, expires, recorded_by, recorded_at, event_seq FROM exceptions"):
        rec = dict(
            zip(("control_id", "owner", "rationale", "expires", "recorded_by", "recorded_at"), r[1:7], strict=True)
        )
        match("exceptions", r[7], rec, f"exception {r[0]} on {r[1]}", "exception.add")
        seen["exception.add"].add(r[7])
    for r in q(
        "SELECT id, control_id, filename, media_type, sha256, size, description, added_by, added_at, event_seq FROM attachments"
    ):
        rec = dict(
            zip(
                ("control_id", "filename", "media_type", "sha256", "size", "description", "added_by", "added_at"),
                r[1:9],
                strict=True,
            )
        )
        match("attachments", r[9], rec, f"attachment {r[0]} ({r[2]})", "attachment.add")
        seen["attachment.add"].add(r[9])

    from auditprep.store.history import verify_samples

    sample_seen: set[int] = set()
    problems.extend(verify_samples(eng, by_seq, sample_seen))
    seen["sample.draw"].update(sample_seen)
    for r in q("SELECT id, kind, value, note, event_seq FROM scope"):
        match("scope", r[4], {"kind": r[1], "value": r[2], "note": r[3]}, f"scope entry {r[1]}:{r[2]}", "scope.add")
        seen["scope.add"].add(r[4])

    _check_workpapers(q, seen, match)
    present = {r[0] for r in q("SELECT name FROM sqlite_master WHERE type = 'table'")}
    for table, what in {**ORDERED, **WORKPAPERS}.items():
        if table not in present:
            continue
        ids = [r[0] for r in q(f"SELECT id FROM {table} ORDER BY event_seq, id")]
        if ids != sorted(ids):
            moved = next(a for a, b in zip(ids, sorted(ids), strict=True) if a != b)
            problems.append(
                f"{what} rows were reordered outside auditprep ({what} {moved} is out of the order its events "
                "were written in), which would change which one counts as current"
            )

    settings_events = [
        (seq, action, rec)
        for seq, (action, rec) in by_seq.items()
        if action in ("engagement.create", "engagement.state")
    ]
    legacy = [seq for seq, (action, _) in by_seq.items() if action == "engagement.update"]
    if settings_events and not (legacy and max(legacy) > settings_events[-1][0]):
        state = settings_state(eng._conn)  # noqa: SLF001
        if integrity.record_hash(state) != settings_events[-1][2]:
            problems.append(
                "the engagement's settings (name, organisation, period, applicability or frameworks) were changed "
                "outside auditprep"
            )

    for digest, data in q("SELECT sha256, data FROM blobs"):
        if integrity.sha256(bytes(data)) != digest:
            problems.append(f"stored content {digest[:12]}… no longer matches its hash")

    evidence_by_run: dict[int, list[str]] = defaultdict(list)
    trace = (
        "request_ids, api_paths" if "request_ids" in {c[1] for c in q("PRAGMA table_info(evidence)")} else "'[]', '[]'"
    )
    for r in q(
        "SELECT id, run_id, source, collector, operation, kind, account, region, host, resource, resource_name,"
        f" collected_at, status, message, sha256, redactions, {trace} FROM evidence ORDER BY rowid"
    ):
        rec = {
            "id": r[0],
            "run": r[1],
            "source": r[2],
            "collector": r[3],
            "operation": r[4],
            "kind": r[5],
            "scope": [r[6], r[7], r[8]],
            "resource": r[9],
            "resource_name": r[10],
            "collected_at": r[11],
            "status": r[12],
            "message": r[13],
            "sha256": r[14],
            "redactions": json.loads(r[15]),
            **trace_fields(json.loads(r[16]), json.loads(r[17])),
        }
        evidence_by_run[r[1]].append(integrity.record_hash(rec))
    for r in q(
        "SELECT id, started_at, finished_at, actor, source, identity, targets, tool_version, cancelled, event_seq FROM runs"
    ):
        rec = {
            "id": r[0],
            "started_at": r[1],
            "finished_at": r[2],
            "actor": r[3],
            "source": r[4],
            "identity": r[5],
            "targets": json.loads(r[6]),
            "tool_version": r[7],
            "cancelled": bool(r[8]),
            "evidence": integrity.list_hash(evidence_by_run.pop(r[0], [])),
        }
        match("runs", r[9], rec, f"collection run {r[0]} or its evidence", "run.add")
        seen["run.add"].add(r[9])
    for run_id in evidence_by_run:
        problems.append(f"evidence of run {run_id} has no collection run (added outside auditprep)")

    for eval_id, seq in q("SELECT id, event_seq FROM evaluations"):
        hashes = []
        for r in q(
            "SELECT id, check_id, title, status, severity, resource, account, region, host, message, controls, evidence"
            " FROM findings WHERE evaluation_id = ? ORDER BY rowid",
            (eval_id,),
        ):
            f = Finding(
                check=r[1],
                title=r[2],
                status=FindingStatus(r[3]),
                severity=Severity(r[4]),
                resource=r[5],
                scope=Scope(account=r[6], region=r[7], host=r[8]),
                message=r[9],
                controls=tuple(json.loads(r[10])),
                evidence=tuple(json.loads(r[11])),
            )
            hashes.append(integrity.record_hash(finding_record(f, r[0])))
        ev = by_seq.get(seq)
        if ev is None or ev[0] != "evaluation.add" or ev[1] != integrity.list_hash(hashes):
            problems.append(f"the findings of evaluation {eval_id} were changed outside auditprep")
        seen["evaluation.add"].add(seq)


def _check_workpapers(q, seen, match) -> None:  # type: ignore[no-untyped-def]
    """Compensating-control worksheets and addressable decisions against the events that wrote them."""
    present = {r[0] for r in q("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if "exception_worksheets" in present:
        for r in q("SELECT id, exception_id, fields, recorded_by, recorded_at, event_seq FROM exception_worksheets"):
            rec = worksheet_record(r[1], r[2], r[3], r[4])
            match("exception_worksheets", r[5], rec, f"worksheet {r[0]} of exception {r[1]}", "worksheet.set")
            seen["worksheet.set"].add(r[5])
    if "addressable_decisions" in present:
        for r in q(
            "SELECT id, specification, decision, rationale, decided_by, decided_at, event_seq FROM addressable_decisions"
        ):
            rec = decision_record(r[1], r[2], r[3], r[4], r[5])
            match("addressable_decisions", r[6], rec, f"decision {r[0]} on {r[1]}", "decision.set")
            seen["decision.set"].add(r[6])


__all__ = ["verify_engagement", "evidence_record"]
