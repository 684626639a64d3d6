"""The engagement file: one SQLite database holding everything about one audit preparation.

Writes are transactional (a crash or a kill leaves the file as it was before the write), every
write appends a hash-chained event, evidence and attachments are content-addressed by SHA-256,
and answers keep their whole history. Nothing is overwritten: a new answer is a new row.
"""

from __future__ import annotations

import functools
import json
import os
import re
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from auditprep import __version__
from auditprep.errors import EngagementError
from auditprep.models import (
    Answer,
    Attestation,
    CallStatus,
    ControlException,
    Evidence,
    Finding,
    FindingStatus,
    Scope,
    Severity,
    Source,
)
from auditprep.store import integrity, schema

Clock = Callable[[], datetime]
SQLITE_HEADER = b"SQLite format 3\x00"


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def iso(dt: datetime) -> str:
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC).isoformat().replace("+00:00", "Z")


def parse_iso(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


@dataclass(frozen=True)
class EngagementInfo:
    name: str
    organisation: str
    frameworks: tuple[str, ...]
    created_at: datetime
    created_by: str
    period_start: str
    period_end: str
    # facts that decide applicability: pci.entity -> ("service-provider",), fedramp.regions -> (...)
    applicability: dict[str, tuple[str, ...]] = field(default_factory=dict)


def _parsed(what: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Turn a stored value auditprep never writes (an edit outside it) into one clear error."""

    def wrap(fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def inner(self: Engagement, *args: Any, **kwargs: Any) -> Any:
            try:
                return fn(self, *args, **kwargs)
            except (ValueError, TypeError, KeyError) as exc:
                raise EngagementError(
                    f"{self.path} holds {what} with a value auditprep never writes ({str(exc)[:100]}), so it was "
                    f"altered outside auditprep; run 'auditprep verify {self.path}' to see what changed."
                ) from None

        return inner

    return wrap


def readonly_uri(path: Path) -> str:
    """Read without writing anything, even in a folder that cannot be written (no -shm can be made there).

    SQLite's WAL mode needs a shared-memory file beside the database; where the folder is read-only and
    no write-ahead log is pending, the file is opened as immutable, which needs none. A pending log in
    a read-only folder cannot be read that way, and that is said plainly instead of looking like damage.
    """
    uri = f"file:{quote(str(path.resolve()))}?mode=ro"
    if os.access(path.parent, os.W_OK | os.X_OK) and (
        not Path(f"{path}-shm").exists() or os.access(f"{path}-shm", os.W_OK)
    ):
        return uri
    wal = Path(f"{path}-wal")
    if wal.exists() and wal.stat().st_size > 0:
        raise EngagementError(
            f"{path} is in a folder auditprep cannot write to and has recent changes in {wal.name} that SQLite must "
            "merge first; copy the engagement file and its -wal file to a writable folder and open that copy."
        )
    return uri + "&immutable=1"


def settings_state(cur: Any) -> dict[str, Any]:
    """The engagement's settings and frameworks as one record (what engagement events pin)."""
    meta = dict(cur.execute("SELECT key, value FROM meta").fetchall())
    frameworks = [r[0] for r in cur.execute("SELECT id FROM frameworks ORDER BY position").fetchall()]
    return {**meta, "frameworks": frameworks}


def same_person(a: str, b: str) -> bool:
    """Names compared as people write them: case, spacing and an '<email>' part do not matter."""

    def norm(x: str) -> str:  # the name before any '<email>' or '(role, or how it was recorded)'
        return " ".join(re.split(r"[<(]", x, maxsplit=1)[0].split()).casefold()

    return norm(a) == norm(b)


def _applicability(raw: str) -> dict[str, tuple[str, ...]]:
    if not raw:
        return {}
    try:
        data = json.loads(raw)
    except ValueError:
        raise EngagementError("the engagement's applicability record is not valid JSON; it was altered.") from None
    if not isinstance(data, dict):
        raise EngagementError("the engagement's applicability record is not a mapping; it was altered.")
    return {str(k): tuple(str(v) for v in (vals if isinstance(vals, list) else [vals])) for k, vals in data.items()}


@dataclass(frozen=True)
class Run:
    id: int
    started_at: datetime
    finished_at: datetime
    actor: str
    source: str
    identity: str
    targets: tuple[str, ...]
    tool_version: str
    cancelled: bool


@dataclass(frozen=True)
class Evaluation:
    """One evaluation of the checks: the findings as they stood at ``at``, over the evidence of
    every run up to ``last_run`` (0 when no run had been stored)."""

    id: int
    at: datetime
    last_run: int


@dataclass(frozen=True)
class Attachment:
    id: int
    control_id: str | None
    filename: str
    media_type: str
    sha256: str
    size: int
    description: str
    added_by: str
    added_at: datetime


@dataclass(frozen=True)
class Event:
    seq: int
    at: str
    actor: str
    action: str
    subject: str
    record_hash: str
    prev_hash: str
    hash: str


def _scope_cols(scope: Scope) -> tuple[str | None, str | None, str | None]:
    return scope.account, scope.region, scope.host


def trace_fields(request_ids: Sequence[str], api_paths: Sequence[str]) -> dict[str, Any]:
    """Where a record came from, as hashed: present only when known, so records stored before
    they were kept hash as they always did, and removing them from a record changes its hash."""
    out: dict[str, Any] = {}
    if request_ids:
        out["request_ids"] = list(request_ids)
    if api_paths:
        out["api_paths"] = list(api_paths)
    return out


def evidence_record(ev: Evidence, run_id: int) -> dict[str, Any]:
    """The hashed form of an evidence row (its content is pinned by ``content_hash``).

    Its hash is the evidence item's published hash (``Evidence.record_hash``): it identifies the
    record (which call, where, on what, when, with which request ids, returning which content),
    and the collection run's event pins it, so ``auditprep verify`` detects any change to it.
    """
    return {
        "id": ev.id,
        "run": run_id,
        "source": ev.source.value,
        "collector": ev.collector,
        "operation": ev.operation,
        "kind": ev.kind,
        "scope": [ev.scope.account, ev.scope.region, ev.scope.host],
        "resource": ev.resource,
        "resource_name": ev.resource_name,
        "collected_at": iso(ev.collected_at),
        "status": ev.status.value,
        "message": ev.message,
        "sha256": ev.content_hash,
        "redactions": list(ev.redactions),
        **trace_fields(ev.request_ids, ev.api_paths),
    }


def finding_record(f: Finding, fid: str) -> dict[str, Any]:
    return {
        "id": fid,
        "check": f.check,
        "title": f.title,
        "status": f.status.value,
        "severity": f.severity.value,
        "resource": f.resource,
        "scope": [f.scope.account, f.scope.region, f.scope.host],
        "message": f.message,
        "controls": list(f.controls),
        "evidence": list(f.evidence),
    }


class Engagement:
    """An open engagement file. Thread-safe: one connection guarded by a lock."""

    def __init__(self, path: Path, conn: sqlite3.Connection, *, readonly: bool, clock: Clock):
        self.path = path
        self._conn = conn
        self.readonly = readonly
        self.clock = clock
        self._lock = threading.RLock()

    # --- opening ----------------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        path: Path,
        *,
        name: str,
        organisation: str,
        frameworks: Sequence[str],
        actor: str,
        clock: Clock = _utcnow,
    ) -> Engagement:
        path = Path(path)
        if path.exists():
            raise EngagementError(f"{path} already exists; auditprep never overwrites an engagement.")
        if not path.parent.is_dir():
            raise EngagementError(f"cannot create {path}: the folder {path.parent} does not exist.")
        try:
            conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
        except sqlite3.Error as exc:
            raise EngagementError(f"cannot create {path}: {exc}.") from None
        eng = cls(path, conn, readonly=False, clock=clock)
        try:
            eng._migrate()
            now = iso(clock())
            with eng._tx() as cur:
                meta = {
                    "name": name,
                    "organisation": organisation,
                    "created_at": now,
                    "created_by": actor,
                    "tool_version": __version__,
                    "period_start": "",
                    "period_end": "",
                }
                cur.executemany("INSERT INTO meta (key, value) VALUES (?, ?)", sorted(meta.items()))
                cur.executemany(
                    "INSERT INTO frameworks (id, position) VALUES (?, ?)",
                    [(fid, i) for i, fid in enumerate(frameworks)],
                )
                eng._event(cur, actor, "engagement.create", name, {**meta, "frameworks": list(frameworks)})
        except BaseException:
            conn.close()
            for suffix in ("", "-wal", "-shm"):
                Path(str(path) + suffix).unlink(missing_ok=True)
            raise
        return eng

    @classmethod
    def open(cls, path: Path, *, readonly: bool = False, clock: Clock = _utcnow) -> Engagement:
        path = Path(path)
        if not path.exists():
            raise EngagementError(f"{path} does not exist; create it with 'auditprep init {path} --framework ID'.")
        if path.is_dir():
            raise EngagementError(f"{path} is a folder, not an engagement file.")
        try:
            with path.open("rb") as fh:
                header = fh.read(len(SQLITE_HEADER))
        except OSError as exc:
            raise EngagementError(f"cannot read {path}: {exc.strerror or exc}.") from None
        if header != SQLITE_HEADER:
            raise EngagementError(f"{path} is not an auditprep engagement file (it is not a SQLite database).")
        try:
            if readonly:
                conn = sqlite3.connect(readonly_uri(path), uri=True, isolation_level=None, check_same_thread=False)
            else:
                conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            app_id = conn.execute("PRAGMA application_id").fetchone()[0]
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if app_id != schema.APPLICATION_ID:
                conn.close()
                raise EngagementError(f"{path} is a SQLite database but not an auditprep engagement file.")
            if version > schema.SCHEMA_VERSION:
                conn.close()
                raise EngagementError(
                    f"{path} was written by a newer auditprep (schema {version}); upgrade auditprep to open it."
                )
            check = conn.execute("PRAGMA quick_check").fetchone()[0]
            if check != "ok":
                conn.close()
                raise EngagementError(f"{path} is damaged ({check}); restore it from a backup or an export.")
            if not readonly:
                conn.execute("PRAGMA journal_mode=WAL")
        except sqlite3.DatabaseError as exc:
            raise EngagementError(f"{path} is damaged or truncated and cannot be read ({exc}).") from None
        eng = cls(path, conn, readonly=readonly, clock=clock)
        if not readonly and version < schema.SCHEMA_VERSION:
            eng._migrate()
        return eng

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> Engagement:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _migrate(self) -> None:
        current = self._conn.execute("PRAGMA user_version").fetchone()[0]
        with self._tx() as cur:
            for number, ddl in enumerate(schema.MIGRATIONS, start=1):
                if number > current:
                    for statement in ddl.split(";"):
                        if statement.strip():
                            cur.execute(statement)
            cur.execute(f"PRAGMA application_id = {schema.APPLICATION_ID}")
            cur.execute(f"PRAGMA user_version = {schema.SCHEMA_VERSION}")

    # --- transactions and the event chain ---------------------------------------------------

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Cursor]:
        if self.readonly:
            raise EngagementError(f"{self.path} is open read-only; nothing can be changed here.")
        with self._lock:
            cur = self._conn.cursor()
            try:
                cur.execute("PRAGMA foreign_keys = ON")
                cur.execute("BEGIN IMMEDIATE")
                yield cur
                cur.execute("COMMIT")
            except sqlite3.OperationalError as exc:
                self._rollback(cur)
                if "disk" in str(exc).lower() or "full" in str(exc).lower():
                    raise EngagementError(
                        f"could not write {self.path}: the disk is full; nothing was changed."
                    ) from None
                raise EngagementError(f"could not write {self.path} ({exc}); nothing was changed.") from None
            except BaseException:
                self._rollback(cur)
                raise
            finally:
                cur.close()

    @staticmethod
    def _rollback(cur: sqlite3.Cursor) -> None:
        try:
            cur.execute("ROLLBACK")
        except sqlite3.Error:
            pass

    def _event(self, cur: sqlite3.Cursor, actor: str, action: str, subject: str, record: Any) -> int:
        row = cur.execute("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1").fetchone()
        seq, prev = (row[0] + 1, row[1]) if row else (1, integrity.GENESIS)
        at = iso(self.clock())
        rec = record if isinstance(record, str) else integrity.record_hash(record)
        h = integrity.event_hash(prev, seq, at, actor, action, subject, rec)
        cur.execute(
            "INSERT INTO events (seq, at, actor, action, subject, record_hash, prev_hash, hash) VALUES (?,?,?,?,?,?,?,?)",
            (seq, at, actor, action, subject, rec, prev, h),
        )
        return seq

    def _put_blob(self, cur: sqlite3.Cursor, data: bytes) -> str:
        digest = integrity.sha256(data)
        cur.execute("INSERT OR IGNORE INTO blobs (sha256, size, data) VALUES (?, ?, ?)", (digest, len(data), data))
        return digest

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            try:
                return self._conn.execute(sql, params).fetchall()
            except sqlite3.DatabaseError as exc:
                raise EngagementError(f"{self.path} is damaged and cannot be read ({exc}).") from None

    # --- engagement metadata ----------------------------------------------------------------

    @_parsed("an engagement setting")
    def info(self) -> EngagementInfo:
        meta = dict(self._query("SELECT key, value FROM meta"))
        fws = tuple(r[0] for r in self._query("SELECT id FROM frameworks ORDER BY position"))
        return EngagementInfo(
            name=meta.get("name", ""),
            organisation=meta.get("organisation", ""),
            frameworks=fws,
            created_at=parse_iso(meta["created_at"]),
            created_by=meta.get("created_by", ""),
            period_start=meta.get("period_start", ""),
            period_end=meta.get("period_end", ""),
            applicability=_applicability(meta.get("applicability", "")),
        )

    def set_meta(self, actor: str, **values: str) -> None:
        allowed = {"name", "organisation", "period_start", "period_end", "applicability"}
        unknown = set(values) - allowed
        if unknown:
            raise EngagementError(f"unknown engagement setting(s): {', '.join(sorted(unknown))}.")
        with self._tx() as cur:
            for key, value in sorted(values.items()):
                cur.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))
            # the event pins the whole resulting settings, so any later edit of them is detectable
            self._event(cur, actor, "engagement.state", ",".join(sorted(values)), settings_state(cur))

    def add_scope(self, actor: str, kind: str, value: str, note: str = "") -> None:
        with self._tx() as cur:
            if cur.execute("SELECT 1 FROM scope WHERE kind = ? AND value = ?", (kind, value)).fetchone():
                return  # already in scope: nothing new to record
            seq = self._event(cur, actor, "scope.add", f"{kind}:{value}", {"kind": kind, "value": value, "note": note})
            cur.execute(
                "INSERT OR IGNORE INTO scope (kind, value, note, event_seq) VALUES (?, ?, ?, ?)",
                (kind, value, note, seq),
            )

    def scope_items(self) -> list[tuple[str, str, str]]:
        return [tuple(r) for r in self._query("SELECT kind, value, note FROM scope ORDER BY kind, value")]  # type: ignore[misc]

    # --- answers, attestations, exceptions --------------------------------------------------

    @staticmethod
    def _answer_record(a: Answer) -> dict[str, Any]:
        return {
            "control_id": a.control_id,
            "question_id": a.question_id,
            "value": a.value,
            "narrative": a.narrative,
            "answered_by": a.answered_by,
            "answered_at": iso(a.answered_at),
        }

    def record_answers(self, answers: Iterable[Answer]) -> int:
        """Record several answers in one transaction: all of them, or none."""
        count = 0
        with self._tx() as cur:
            for a in answers:
                rec = self._answer_record(a)
                seq = self._event(cur, a.answered_by, "answer.set", a.question_id, rec)
                cur.execute(
                    "INSERT INTO answers (control_id, question_id, value, narrative, answered_by, answered_at, event_seq)"
                    " VALUES (?,?,?,?,?,?,?)",
                    (a.control_id, a.question_id, a.value, a.narrative, a.answered_by, rec["answered_at"], seq),
                )
                count += 1
        return count

    def record_answer(self, answer: Answer) -> None:
        self.record_answers([answer])

    @_parsed("an answer")
    def _answers(self, where: str = "", params: Sequence[Any] = ()) -> list[Answer]:
        rows = self._query(
            "SELECT control_id, question_id, value, narrative, answered_by, answered_at FROM answers "
            f"{where} ORDER BY event_seq, id",
            params,
        )
        return [
            Answer(
                control_id=r[0],
                question_id=r[1],
                value=r[2],
                narrative=r[3],
                answered_by=r[4],
                answered_at=parse_iso(r[5]),
            )
            for r in rows
        ]

    def answers(self) -> dict[str, Answer]:
        """The current answer to each question (the latest one recorded)."""
        current: dict[str, Answer] = {}
        for a in self._answers():
            current[a.question_id] = a
        return current

    def answer_history(self, control_id: str | None = None) -> list[Answer]:
        if control_id is None:
            return self._answers()
        return self._answers("WHERE control_id = ?", (control_id,))

    def attest(self, att: Attestation) -> None:
        rec = {
            "control_id": att.control_id,
            "attested_by": att.attested_by,
            "attested_at": iso(att.attested_at),
            "reattest_days": att.reattest_days,
        }
        answered_by = {
            r[0]
            for r in self._query(
                "SELECT answered_by FROM answers WHERE event_seq IN (SELECT MAX(event_seq) FROM answers WHERE control_id = ? "
                "GROUP BY question_id)",
                (att.control_id,),
            )
        }
        if any(same_person(att.attested_by, who) for who in answered_by):
            raise EngagementError(
                f"{att.attested_by} answered {att.control_id} and cannot also attest it; another person must attest "
                "(segregation of duties)."
            )
        with self._tx() as cur:
            seq = self._event(cur, att.attested_by, "attestation.add", att.control_id, rec)
            cur.execute(
                "INSERT INTO attestations (control_id, attested_by, attested_at, reattest_days, event_seq) VALUES (?,?,?,?,?)",
                (att.control_id, att.attested_by, rec["attested_at"], att.reattest_days, seq),
            )

    @_parsed("an attestation")
    def attestations(self) -> dict[str, Attestation]:
        """The latest attestation of each control."""
        out: dict[str, Attestation] = {}
        for r in self._query(
            "SELECT control_id, attested_by, attested_at, reattest_days FROM attestations ORDER BY event_seq, id"
        ):
            out[r[0]] = Attestation(control_id=r[0], attested_by=r[1], attested_at=parse_iso(r[2]), reattest_days=r[3])
        return out

    def add_exception(self, exc: ControlException) -> int:
        rec = {
            "control_id": exc.control_id,
            "owner": exc.owner,
            "rationale": exc.rationale,
            "expires": iso(exc.expires),
            "recorded_by": exc.recorded_by,
            "recorded_at": iso(exc.recorded_at),
        }
        with self._tx() as cur:
            seq = self._event(cur, exc.recorded_by, "exception.add", exc.control_id, rec)
            cur.execute(
                "INSERT INTO exceptions (control_id, owner, rationale, expires, recorded_by, recorded_at, event_seq)"
                " VALUES (?,?,?,?,?,?,?)",
                (exc.control_id, exc.owner, exc.rationale, rec["expires"], exc.recorded_by, rec["recorded_at"], seq),
            )
            return int(cur.lastrowid or 0)

    @_parsed("an exception")
    def exceptions(self) -> list[ControlException]:
        rows = self._query(
            "SELECT id, control_id, owner, rationale, expires, recorded_by, recorded_at FROM exceptions ORDER BY event_seq, id"
        )
        return [
            ControlException(
                id=r[0],
                control_id=r[1],
                owner=r[2],
                rationale=r[3],
                expires=parse_iso(r[4]),
                recorded_by=r[5],
                recorded_at=parse_iso(r[6]),
            )
            for r in rows
        ]

    # --- attachments (manual evidence) ------------------------------------------------------

    def attach(
        self,
        data: bytes,
        *,
        filename: str,
        media_type: str,
        actor: str,
        control_id: str | None = None,
        description: str = "",
    ) -> Attachment:
        added_at = iso(self.clock())
        with self._tx() as cur:
            digest = self._put_blob(cur, data)
            rec = {
                "control_id": control_id,
                "filename": filename,
                "media_type": media_type,
                "sha256": digest,
                "size": len(data),
                "description": description,
                "added_by": actor,
                "added_at": added_at,
            }
            seq = self._event(cur, actor, "attachment.add", filename, rec)
            cur.execute(
                "INSERT INTO attachments (control_id, filename, media_type, sha256, size, description, added_by, added_at, event_seq)"
                " VALUES (?,?,?,?,?,?,?,?,?)",
                (control_id, filename, media_type, digest, len(data), description, actor, added_at, seq),
            )
            aid = int(cur.lastrowid or 0)
        return Attachment(
            aid, control_id, filename, media_type, digest, len(data), description, actor, parse_iso(added_at)
        )

    @_parsed("an attachment")
    def attachments(self) -> list[Attachment]:
        rows = self._query(
            "SELECT id, control_id, filename, media_type, sha256, size, description, added_by, added_at FROM attachments ORDER BY event_seq, id"
        )
        return [Attachment(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], parse_iso(r[8])) for r in rows]

    def blob(self, digest: str) -> bytes:
        rows = self._query("SELECT data FROM blobs WHERE sha256 = ?", (digest,))
        if not rows:
            raise EngagementError(f"{self.path} has no stored content with hash {digest}.")
        return bytes(rows[0][0])

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

    # --- the event chain --------------------------------------------------------------------

    def events(self) -> list[Event]:
        return [
            Event(*r)
            for r in self._query(
                "SELECT seq, at, actor, action, subject, record_hash, prev_hash, hash FROM events ORDER BY seq"
            )
        ]

    def fingerprint(self) -> str:
        """The head of the event chain: one hash that pins everything recorded so far."""
        rows = self._query("SELECT hash FROM events ORDER BY seq DESC LIMIT 1")
        return rows[0][0] if rows else integrity.GENESIS
