"""The open file: one connection, transactions, the hash-chained event log, and the engagement's
settings and scope. The record families (people's records, collected evidence) build on it."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Self

from auditprep.errors import EngagementError
from auditprep.store import integrity, schema
from auditprep.store.records import (
    Clock,
    EngagementInfo,
    Event,
    _applicability,
    _parsed,
    iso,
    parse_iso,
    settings_state,
)


class StoreCore:
    """An open engagement file. Thread-safe: one connection guarded by a lock."""

    def __init__(self, path: Path, conn: sqlite3.Connection, *, readonly: bool, clock: Clock):
        self.path = path
        self._conn = conn
        self.readonly = readonly
        self.clock = clock
        self._lock = threading.RLock()

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> Self:
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
