"""The engagement file: one SQLite database holding everything about one audit preparation.

Writes are transactional (a crash or a kill leaves the file as it was before the write), every
write appends a hash-chained event, evidence and attachments are content-addressed by SHA-256,
and answers keep their whole history. Nothing is overwritten: a new answer is a new row.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path

from auditprep import __version__
from auditprep.errors import EngagementError
from auditprep.store import schema
from auditprep.store.evidence import EvidenceRecords
from auditprep.store.people import PeopleRecords
from auditprep.store.records import (  # noqa: F401 - the names other modules import from here
    SQLITE_HEADER,
    Attachment,
    Clock,
    EngagementInfo,
    Evaluation,
    Event,
    Run,
    _parsed,
    _utcnow,
    evidence_record,
    finding_record,
    iso,
    parse_iso,
    readonly_uri,
    same_person,
    settings_state,
    trace_fields,
)


class Engagement(EvidenceRecords, PeopleRecords):
    """An open engagement file. Thread-safe: one connection guarded by a lock.

    The parts: ``StoreCore`` (connection, transactions, event chain, settings and scope),
    ``PeopleRecords`` (answers, attestations, exceptions, attachments) and ``EvidenceRecords``
    (runs, evidence, evaluations and findings). This class opens and creates the file.
    """

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
