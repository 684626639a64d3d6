"""Verify an evidence package or an engagement file: is it exactly what was exported?

For a package: every file against the manifest, both root hashes, SHA256SUMS, the signature
(when there is one), the packaged engagement copy's event chain, that the manifest describes
that copy, and that every JSON data file still agrees with the copy it was built from.
For an engagement file: its event chain and every record against the event that wrote it.

``VerifyReport.exit_code`` is 0 when intact, 1 when anything was altered, 2 when the target
cannot be read (or is unsafe to read).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Literal

from auditprep.errors import AuditprepError, EngagementError
from auditprep.package import signing
from auditprep.package.layout import ENGAGEMENT_COPY, data_files
from auditprep.package.reader import DEFAULT_LIMITS, Limits, OpenedPackage, open_package
from auditprep.store import Engagement, integrity, iso, schema
from auditprep.store.engagement import SQLITE_HEADER, readonly_uri
from auditprep.store.verify import verify_engagement

SignatureState = Literal["valid", "invalid", "unchecked", "unsigned"]


@dataclass
class VerifyReport:
    target: Path
    kind: Literal["package", "engagement", "unknown"] = "unknown"
    problems: list[str] = field(default_factory=list)
    unreadable: str | None = None
    notes: list[str] = field(default_factory=list)
    root_hash: str | None = None
    data_root_hash: str | None = None
    fingerprint: str | None = None
    signature: SignatureState = "unsigned"
    files_checked: int = 0
    since: str | None = None  # a fingerprint published earlier, which must still be in the chain

    @property
    def ok(self) -> bool:
        return self.unreadable is None and not self.problems

    @property
    def exit_code(self) -> int:
        if self.unreadable is not None:
            return 2
        return 1 if self.problems else 0

    def render(self) -> str:
        """The text ``auditprep verify`` prints (problems go first; one per line)."""
        if self.unreadable is not None:
            return self.unreadable
        lines = [f"ALTERED: {p}" for p in self.problems]
        what = "Package" if self.kind == "package" else "Engagement"
        if self.ok:
            detail = f"{self.files_checked} files, " if self.kind == "package" else ""
            lines.append(f"{what} {self.target.name} is intact ({detail}event chain verified).")
            lines.append(
                "Detected: any record edited, added, deleted or reordered outside auditprep, and any event altered "
                "or removed from within the chain. Not detectable from this file alone: a rewrite that recomputes "
                "the whole chain, or the newest events cut off; compare the engagement fingerprint below with one "
                "published earlier (a PDF cover, a package index, 'auditprep status'), or give it with --since."
            )
            if self.since:
                lines.append(f"The fingerprint {self.since[:16]}… published earlier is part of this history.")
        else:
            lines.append(f"{what} {self.target.name} was altered: {len(self.problems)} problem(s).")
        if self.root_hash:
            lines.append(f"Root hash: {self.root_hash}")
        if self.data_root_hash:
            lines.append(f"Data root hash (every file of the package): {self.data_root_hash}")
        if self.fingerprint:
            lines.append(f"Engagement fingerprint: {self.fingerprint}")
        lines.extend(f"Note: {n}" for n in self.notes)
        return "\n".join(lines)


@cache
def _expected_schema(version: int = schema.SCHEMA_VERSION) -> frozenset[tuple[str, str, str | None]]:
    """The schema an engagement of ``version`` has: the first ``version`` migrations applied."""
    conn = sqlite3.connect(":memory:")
    try:
        for ddl in schema.MIGRATIONS[:version]:
            for statement in ddl.split(";"):
                if statement.strip():
                    conn.execute(statement)
        return frozenset(conn.execute("SELECT type, name, sql FROM sqlite_master").fetchall())
    finally:
        conn.close()


def engagement_schema_problem(path: Path) -> str | None:
    """Why ``path`` is not a plain auditprep engagement (triggers, views, foreign tables), or None.

    Checked before the file is opened as an engagement, so that a hostile database cannot make
    a read run code it defines (a trigger or a view).
    """
    try:
        conn = sqlite3.connect(readonly_uri(Path(path)), uri=True)
    except (sqlite3.Error, EngagementError) as exc:
        return f"{path} cannot be opened ({exc})."
    try:
        conn.execute("PRAGMA trusted_schema = OFF")
        rows = conn.execute("SELECT type, name, sql FROM sqlite_master").fetchall()
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    except sqlite3.DatabaseError as exc:
        return f"{path} is damaged or is not a database ({exc})."
    finally:
        conn.close()
    # a file written before a migration keeps the schema of its version (it is read as it is)
    expected = _expected_schema(version if 1 <= version <= schema.SCHEMA_VERSION else schema.SCHEMA_VERSION)
    for kind, name, _ in rows:
        if kind in ("trigger", "view"):
            return f"{path} contains a {kind} ('{name}'), which an auditprep engagement never has; it is not opened."
    for kind, name, sql in rows:
        if str(name).startswith("sqlite_"):
            continue
        if (kind, name, sql) not in expected:
            return (
                f"{path} has a {kind} '{name}' that is not part of the auditprep engagement schema; it is not opened."
            )
    return None


def _verify_engagement_file(path: Path, report: VerifyReport) -> None:
    report.kind = "engagement"
    problem = engagement_schema_problem(path)
    if problem:
        report.unreadable = problem
        return
    try:
        with Engagement.open(path, readonly=True) as eng:
            report.problems.extend(verify_engagement(eng))
            report.fingerprint = eng.fingerprint()
            if report.since and (problem := anchor_problem(eng, report.since)):
                report.problems.append(problem)
    except AuditprepError as exc:
        report.unreadable = exc.message


def _check_signature(opened: OpenedPackage, public_key: Path | None, report: VerifyReport) -> None:
    declared = opened.manifest.signature
    key = signing.load_public_key(public_key) if public_key is not None else None
    if declared is None:
        if opened.signature is not None:
            report.problems.append("manifest.sig is present but manifest.json says the package is not signed.")
            report.signature = "invalid"
        elif key is not None:
            report.problems.append("the package is not signed, but a public key was given to check its signature.")
            report.signature = "invalid"
        else:
            report.notes.append("the package is not signed; its integrity rests on the hashes alone.")
        return
    if opened.signature is None:
        report.problems.append("manifest.sig is missing although manifest.json says the package is signed.")
        report.signature = "invalid"
        return
    if key is None:
        report.signature = "unchecked"
        report.notes.append(
            f"the package is signed (key {declared.public_key_sha256[:16]}…) but no public key was given, "
            "so the signature was not checked; pass --public-key."
        )
        return
    if signing.verify(key, opened.manifest_bytes, opened.signature):
        report.signature = "valid"
        report.notes.append(f"signature valid (key {signing.key_fingerprint(key)[:16]}…).")
        return
    report.signature = "invalid"
    other = (
        ""
        if signing.key_fingerprint(key) == declared.public_key_sha256
        else (f"; the package names another signing key ({declared.public_key_sha256[:16]}…)")
    )
    report.problems.append(
        "manifest.sig does not match manifest.json for the given public key (the manifest or the signature "
        f"was altered, or it is the wrong key){other}."
    )


def _check_copy(opened: OpenedPackage, report: VerifyReport) -> None:
    if ENGAGEMENT_COPY not in opened.extracted:
        report.problems.append("the engagement copy could not be checked, so the JSON files could not be either.")
        return
    copy = opened.file(ENGAGEMENT_COPY)
    problem = engagement_schema_problem(copy)
    if problem:
        report.problems.append(f"the engagement copy is not a plain engagement: {problem.split(': ', 1)[-1]}")
        return
    m = opened.manifest
    try:
        with Engagement.open(copy, readonly=True) as eng:
            report.problems.extend(f"engagement copy: {p}" for p in verify_engagement(eng))
            report.fingerprint = eng.fingerprint()
            if report.since and (problem := anchor_problem(eng, report.since)):
                report.problems.append(problem)
            info = eng.info()
            described = (
                m.engagement.name,
                m.engagement.organisation,
                m.engagement.fingerprint,
                tuple(m.frameworks),
                m.engagement.created_at,
            )
            actual = (info.name, info.organisation, eng.fingerprint(), info.frameworks, iso(info.created_at))
            if described != actual:
                report.problems.append("manifest.json describes the engagement differently from the engagement copy.")
            rebuilt = {p: integrity.sha256(b) for p, b in data_files(eng, copy.read_bytes())}
    except AuditprepError as exc:
        report.problems.append(f"the engagement copy cannot be read: {exc.message}")
        return
    listed = {e.path: e.sha256 for e in m.files if e.role == "data"}
    for path, digest in sorted(rebuilt.items()):
        if path not in listed:
            report.problems.append(f"{path} is missing: the engagement copy has it but the package does not list it.")
        elif listed[path] != digest:
            report.problems.append(f"{path} does not agree with the engagement copy it was exported from.")
    for path in sorted(set(listed) - set(rebuilt)):
        report.problems.append(f"{path} is an extra data file: the engagement copy has no such record.")


def anchor_problem(eng: Engagement, earlier: str) -> str | None:
    """Whether a fingerprint published earlier is still a point of this engagement's chain.

    A chain rewritten from some event on (even with every hash recomputed), or cut off before that
    point, no longer contains the earlier head: that is how a rewrite is caught without a key.
    """
    earlier = earlier.strip().lower()
    hashes = [r[0] for r in eng._query("SELECT hash FROM events ORDER BY seq")]  # noqa: SLF001
    if earlier in hashes:
        return None
    return (
        f"the fingerprint {earlier[:16]}… published earlier is not in this engagement's event chain: its history "
        "was rewritten or cut off after that point"
    )


def verify_target(
    path: Path, *, public_key: Path | None = None, limits: Limits = DEFAULT_LIMITS, since: str | None = None
) -> VerifyReport:
    """Verify a package (.zip) or an engagement file; never raises for what the target contains."""
    path = Path(path)
    report = VerifyReport(target=path, since=since)
    try:
        with path.open("rb") as fh:
            head = fh.read(len(SQLITE_HEADER))
    except IsADirectoryError:
        report.unreadable = f"{path} is a folder, not a package or an engagement file."
        return report
    except OSError as exc:
        report.unreadable = f"cannot read {path}: {exc.strerror or exc}."
        return report
    try:
        if public_key is not None:
            signing.load_public_key(public_key)
        if head == SQLITE_HEADER:
            _verify_engagement_file(path, report)
            if public_key is not None:
                report.notes.append("an engagement file is not signed; the public key applies to packages only.")
            return report
        if not head.startswith(b"PK"):
            report.unreadable = f"{path} is neither an evidence package (zip) nor an engagement file."
            return report
        report.kind = "package"
        with open_package(path, limits=limits, require_intact=False) as opened:
            report.problems.extend(opened.problems)
            report.root_hash = opened.manifest.root_hash
            report.data_root_hash = opened.manifest.data_root_hash
            report.files_checked = len(opened.manifest.files)
            _check_signature(opened, public_key, report)
            _check_copy(opened, report)
    except AuditprepError as exc:
        report.unreadable = exc.message
    return report
