"""The engagement file's schema and its migrations.

The schema version lives in ``PRAGMA user_version``; ``application_id`` marks the file as an
auditprep engagement so another SQLite database is refused instead of being written to.
Migrations are applied in order inside one transaction.
"""

from __future__ import annotations

APPLICATION_ID = 0x41505250  # "APRP"

MIGRATIONS: list[str] = [
    # 1: initial schema
    """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE frameworks (id TEXT PRIMARY KEY, position INTEGER NOT NULL);
    CREATE TABLE events (
        seq INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        subject TEXT NOT NULL,
        record_hash TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL UNIQUE
    );
    CREATE TABLE scope (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,
        value TEXT NOT NULL,
        note TEXT NOT NULL DEFAULT '',
        event_seq INTEGER NOT NULL REFERENCES events(seq),
        UNIQUE (kind, value)
    );
    CREATE TABLE answers (
        id INTEGER PRIMARY KEY,
        control_id TEXT NOT NULL,
        question_id TEXT NOT NULL,
        value TEXT NOT NULL,
        narrative TEXT NOT NULL,
        answered_by TEXT NOT NULL,
        answered_at TEXT NOT NULL,
        event_seq INTEGER NOT NULL REFERENCES events(seq)
    );
    CREATE INDEX answers_question ON answers (question_id, id);
    CREATE TABLE attestations (
        id INTEGER PRIMARY KEY,
        control_id TEXT NOT NULL,
        attested_by TEXT NOT NULL,
        attested_at TEXT NOT NULL,
        reattest_days INTEGER NOT NULL,
        event_seq INTEGER NOT NULL REFERENCES events(seq)
    );
    CREATE TABLE exceptions (
        id INTEGER PRIMARY KEY,
        control_id TEXT NOT NULL,
        owner TEXT NOT NULL,
        rationale TEXT NOT NULL,
        expires TEXT NOT NULL,
        recorded_by TEXT NOT NULL,
        recorded_at TEXT NOT NULL,
        event_seq INTEGER NOT NULL REFERENCES events(seq)
    );
    CREATE TABLE blobs (sha256 TEXT PRIMARY KEY, size INTEGER NOT NULL, data BLOB NOT NULL);
    CREATE TABLE attachments (
        id INTEGER PRIMARY KEY,
        control_id TEXT,
        filename TEXT NOT NULL,
        media_type TEXT NOT NULL,
        sha256 TEXT NOT NULL REFERENCES blobs(sha256),
        size INTEGER NOT NULL,
        description TEXT NOT NULL,
        added_by TEXT NOT NULL,
        added_at TEXT NOT NULL,
        event_seq INTEGER NOT NULL REFERENCES events(seq)
    );
    CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        started_at TEXT NOT NULL,
        finished_at TEXT NOT NULL,
        actor TEXT NOT NULL,
        source TEXT NOT NULL,
        identity TEXT NOT NULL,
        targets TEXT NOT NULL,
        tool_version TEXT NOT NULL,
        cancelled INTEGER NOT NULL,
        event_seq INTEGER NOT NULL REFERENCES events(seq)
    );
    CREATE TABLE evidence (
        id TEXT PRIMARY KEY,
        run_id INTEGER NOT NULL REFERENCES runs(id),
        source TEXT NOT NULL,
        collector TEXT NOT NULL,
        operation TEXT NOT NULL,
        kind TEXT NOT NULL,
        account TEXT,
        region TEXT,
        host TEXT,
        resource TEXT NOT NULL,
        resource_name TEXT NOT NULL,
        collected_at TEXT NOT NULL,
        status TEXT NOT NULL,
        message TEXT NOT NULL,
        sha256 TEXT NOT NULL REFERENCES blobs(sha256),
        redactions TEXT NOT NULL
    );
    CREATE INDEX evidence_run ON evidence (run_id);
    CREATE INDEX evidence_kind ON evidence (kind);
    CREATE TABLE evaluations (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        event_seq INTEGER NOT NULL REFERENCES events(seq)
    );
    CREATE TABLE findings (
        id TEXT NOT NULL,
        evaluation_id INTEGER NOT NULL REFERENCES evaluations(id),
        check_id TEXT NOT NULL,
        title TEXT NOT NULL,
        status TEXT NOT NULL,
        severity TEXT NOT NULL,
        resource TEXT NOT NULL,
        account TEXT,
        region TEXT,
        host TEXT,
        message TEXT NOT NULL,
        controls TEXT NOT NULL,
        evidence TEXT NOT NULL,
        PRIMARY KEY (evaluation_id, id)
    );
    """,
    # 2: where each evidence record came from: AWS request ids, Docker Engine API requests (JSON lists)
    """
    ALTER TABLE evidence ADD COLUMN request_ids TEXT NOT NULL DEFAULT '[]';
    ALTER TABLE evidence ADD COLUMN api_paths TEXT NOT NULL DEFAULT '[]'
    """,
    # 3: assessor working papers: an exception's compensating-control worksheet (the latest row of an
    # exception counts; fields as a JSON object), and decisions on HIPAA addressable specifications
    """
    CREATE TABLE exception_worksheets (
        id INTEGER PRIMARY KEY,
        exception_id INTEGER NOT NULL REFERENCES exceptions(id),
        fields TEXT NOT NULL,
        recorded_by TEXT NOT NULL,
        recorded_at TEXT NOT NULL,
        event_seq INTEGER NOT NULL REFERENCES events(seq)
    );
    CREATE TABLE addressable_decisions (
        id INTEGER PRIMARY KEY,
        specification TEXT NOT NULL,
        decision TEXT NOT NULL,
        rationale TEXT NOT NULL,
        decided_by TEXT NOT NULL,
        decided_at TEXT NOT NULL,
        event_seq INTEGER NOT NULL REFERENCES events(seq)
    )
    """,
    # 4: samples drawn from populations (the selection and its method, pinned by a sample.draw event)
    """
    CREATE TABLE samples (
        id INTEGER PRIMARY KEY,
        population TEXT NOT NULL,
        population_hash TEXT NOT NULL,
        total INTEGER NOT NULL,
        size INTEGER NOT NULL,
        seed TEXT NOT NULL,
        method TEXT NOT NULL,
        members TEXT NOT NULL,
        drawn_by TEXT NOT NULL,
        drawn_at TEXT NOT NULL,
        event_seq INTEGER NOT NULL REFERENCES events(seq)
    )
    """,
]

SCHEMA_VERSION = len(MIGRATIONS)
