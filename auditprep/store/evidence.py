"""What collection puts in an engagement: runs and their evidence (content-addressed), and each
evaluation of the checks with its findings."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from auditprep import __version__
from auditprep.models import (
    CallStatus,
    Evidence,
    Finding,
    FindingStatus,
    Scope,
    Severity,
    Source,
)
from auditprep.store import integrity
from auditprep.store.core import StoreCore
from auditprep.store.records import (
    Evaluation,
    Run,
    _parsed,
    _scope_cols,
    evidence_record,
    finding_record,
    iso,
    parse_iso,
)


class EvidenceRecords(StoreCore):
    # --- collection runs and evidence -------------------------------------------------------

    def add_run(
        self,
        *,
        actor: str,
        source: Source,
        started_at: datetime,
        evidence: Sequence[Evidence],
        identity: str = "",
        targets: Sequence[str] = (),
        cancelled: bool = False,
    ) -> tuple[int, list[Evidence]]:
        """Store one collection run and its evidence in one transaction. Returns the stored items
        with their ids and content hashes filled in."""
        finished = iso(self.clock())
        stored: list[Evidence] = []
        with self._tx() as cur:
            row = cur.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM runs").fetchone()
            run_id = int(row[0])
            blob_rows: dict[str, bytes] = {}
            ev_rows = []
            hashes = []
            for n, ev in enumerate(evidence):
                body = integrity.canonical(ev.data)
                digest = integrity.sha256(body)
                blob_rows[digest] = body
                eid = f"E{run_id}-{n + 1:05d}"
                ev = ev.model_copy(update={"id": eid, "content_hash": digest})
                rec = evidence_record(ev, run_id)
                published = integrity.record_hash(rec)
                stored.append(ev.model_copy(update={"record_hash": published}))
                hashes.append(published)
                ev_rows.append(
                    (
                        eid,
                        run_id,
                        ev.source.value,
                        ev.collector,
                        ev.operation,
                        ev.kind,
                        *_scope_cols(ev.scope),
                        ev.resource,
                        ev.resource_name,
                        rec["collected_at"],
                        ev.status.value,
                        ev.message,
                        digest,
                        json.dumps(list(ev.redactions)),
                        json.dumps(list(ev.request_ids)),
                        json.dumps(list(ev.api_paths)),
                    )
                )
            cur.executemany(
                "INSERT OR IGNORE INTO blobs (sha256, size, data) VALUES (?, ?, ?)",
                [(d, len(b), b) for d, b in blob_rows.items()],
            )
            run_rec = {
                "id": run_id,
                "started_at": iso(started_at),
                "finished_at": finished,
                "actor": actor,
                "source": source.value,
                "identity": identity,
                "targets": list(targets),
                "tool_version": __version__,
                "cancelled": cancelled,
                "evidence": integrity.list_hash(hashes),
            }
            seq = self._event(cur, actor, "run.add", f"{source.value} run {run_id}", run_rec)
            cur.execute(
                "INSERT INTO runs (id, started_at, finished_at, actor, source, identity, targets, tool_version, cancelled, event_seq)"
                " VALUES (?,?,?,?,?,?,?,?,?,?)",
                (
                    run_id,
                    run_rec["started_at"],
                    finished,
                    actor,
                    source.value,
                    identity,
                    json.dumps(list(targets)),
                    __version__,
                    int(cancelled),
                    seq,
                ),
            )
            cur.executemany(
                "INSERT INTO evidence (id, run_id, source, collector, operation, kind, account, region, host, resource,"
                " resource_name, collected_at, status, message, sha256, redactions, request_ids, api_paths)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                ev_rows,
            )
        return run_id, stored

    @_parsed("a collection run")
    def runs(self) -> list[Run]:
        rows = self._query(
            "SELECT id, started_at, finished_at, actor, source, identity, targets, tool_version, cancelled FROM runs ORDER BY id"
        )
        return [
            Run(r[0], parse_iso(r[1]), parse_iso(r[2]), r[3], r[4], r[5], tuple(json.loads(r[6])), r[7], bool(r[8]))
            for r in rows
        ]

    @property
    def _EVIDENCE_COLS(self) -> str:  # noqa: N802 - reads like the column list it is
        # a file opened read-only may predate the trace columns (schema 1): they read as empty
        trace = "e.request_ids, e.api_paths" if self._has_trace_columns() else "'[]', '[]'"
        return (
            "e.id, e.source, e.collector, e.operation, e.kind, e.account, e.region, e.host, e.resource,"
            f" e.resource_name, e.collected_at, e.status, e.message, e.sha256, e.redactions, {trace}, e.run_id"
        )

    def _has_trace_columns(self) -> bool:
        found = getattr(self, "_trace_columns", None)
        if found is None:
            found = "request_ids" in {r[1] for r in self._query("PRAGMA table_info(evidence)")}
            self._trace_columns = found
        return found

    def _row_to_evidence(self, r: Sequence[Any], data: dict[str, Any] | None) -> Evidence:
        """A row selected with ``_EVIDENCE_COLS`` (18 columns) and its content."""
        ev = Evidence(
            id=r[0],
            source=Source(r[1]),
            collector=r[2],
            operation=r[3],
            kind=r[4],
            scope=Scope(account=r[5], region=r[6], host=r[7]),
            resource=r[8],
            resource_name=r[9],
            collected_at=parse_iso(r[10]),
            status=CallStatus(r[11]),
            message=r[12],
            content_hash=r[13],
            redactions=tuple(json.loads(r[14])),
            request_ids=tuple(json.loads(r[15])),
            api_paths=tuple(json.loads(r[16])),
            data=data or {},
        )
        return ev.model_copy(update={"record_hash": integrity.record_hash(evidence_record(ev, int(r[17])))})

    @_parsed("an evidence record")
    def current_evidence(self, *, with_data: bool = True, kinds: Sequence[str] = ()) -> list[Evidence]:
        """The evidence of the latest run that covered each (source, scope); only ``kinds`` if given.

        A later run of one region does not hide another region's older evidence; a later run of
        the same scope replaces it (the older run stays in the file and in the history).
        """
        latest = {
            (r[0], r[1], r[2], r[3]): r[4]
            for r in self._query(
                "SELECT source, IFNULL(account,''), IFNULL(region,''), IFNULL(host,''), MAX(run_id)"
                " FROM evidence GROUP BY 1,2,3,4"
            )
        }
        if not latest:
            return []
        run_ids = sorted(set(latest.values()))
        marks = ",".join("?" * len(run_ids))
        data_col = ", b.data" if with_data else ", NULL"
        join = "JOIN blobs b ON b.sha256 = e.sha256 " if with_data else ""
        kind_filter = f" AND e.kind IN ({','.join('?' * len(kinds))})" if kinds else ""
        rows = self._query(
            f"SELECT {self._EVIDENCE_COLS}{data_col} FROM evidence e {join}"
            f"WHERE e.run_id IN ({marks}){kind_filter} ORDER BY e.rowid",
            [*run_ids, *kinds],
        )
        out = []
        for r in rows:
            if latest.get((r[1], r[5] or "", r[6] or "", r[7] or "")) != r[17]:
                continue
            out.append(self._row_to_evidence(r, json.loads(r[18]) if with_data else None))
        return out

    def evidence_item(self, evidence_id: str) -> Evidence | None:
        rows = self._query(
            f"SELECT {self._EVIDENCE_COLS}, b.data FROM evidence e JOIN blobs b ON b.sha256 = e.sha256 WHERE e.id = ?",
            (evidence_id,),
        )
        return self._row_to_evidence(rows[0], json.loads(rows[0][18])) if rows else None

    def evidence_count(self) -> int:
        return int(self._query("SELECT COUNT(*) FROM evidence")[0][0])

    # --- findings ---------------------------------------------------------------------------

    def replace_findings(self, findings: Sequence[Finding], actor: str) -> int:
        """Record a new evaluation; the current findings are those of the latest evaluation."""
        from auditprep.checks.engine import finding_id

        at = iso(self.clock())
        with self._tx() as cur:
            rows, hashes, seen = [], [], set()
            eval_id = int(cur.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM evaluations").fetchone()[0])
            for f in findings:
                fid = finding_id(f)
                n = 2
                base = fid
                while fid in seen:
                    fid = f"{base}-{n}"
                    n += 1
                seen.add(fid)
                hashes.append(integrity.record_hash(finding_record(f, fid)))
                rows.append(
                    (
                        fid,
                        eval_id,
                        f.check,
                        f.title,
                        f.status.value,
                        f.severity.value,
                        f.resource,
                        *_scope_cols(f.scope),
                        f.message,
                        json.dumps(list(f.controls)),
                        json.dumps(list(f.evidence)),
                    )
                )
            seq = self._event(cur, actor, "evaluation.add", f"evaluation {eval_id}", integrity.list_hash(hashes))
            cur.execute("INSERT INTO evaluations (id, at, event_seq) VALUES (?, ?, ?)", (eval_id, at, seq))
            cur.executemany(
                "INSERT INTO findings (id, evaluation_id, check_id, title, status, severity, resource, account, region,"
                " host, message, controls, evidence) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                rows,
            )
        return eval_id

    @_parsed("an evaluation")
    def evaluations(self) -> list[Evaluation]:
        """Every evaluation in the order it was recorded: the history of the findings."""
        rows = self._query(
            "SELECT v.id, v.at, (SELECT COALESCE(MAX(r.event_seq), 0) FROM runs r WHERE r.event_seq < v.event_seq)"
            " FROM evaluations v ORDER BY v.event_seq, v.id"
        )
        seq_to_run = {int(r[1]): int(r[0]) for r in self._query("SELECT id, event_seq FROM runs")}
        return [Evaluation(int(r[0]), parse_iso(r[1]), seq_to_run.get(int(r[2]), 0)) for r in rows]

    @_parsed("a finding")
    def findings(self, evaluation: int | None = None) -> list[Finding]:
        """The findings of one evaluation: by default the latest."""
        latest = "(SELECT id FROM evaluations ORDER BY event_seq DESC, id DESC LIMIT 1)"
        rows = self._query(
            "SELECT check_id, title, status, severity, resource, account, region, host, message, controls, evidence "
            f"FROM findings WHERE evaluation_id = {'?' if evaluation is not None else latest} ORDER BY rowid",
            (evaluation,) if evaluation is not None else (),
        )
        return [
            Finding(
                check=r[0],
                title=r[1],
                status=FindingStatus(r[2]),
                severity=Severity(r[3]),
                resource=r[4],
                scope=Scope(account=r[5], region=r[6], host=r[7]),
                message=r[8],
                controls=tuple(json.loads(r[9])),
                evidence=tuple(json.loads(r[10])),
            )
            for r in rows
        ]
