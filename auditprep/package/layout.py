"""What an evidence package holds, and how its files and hashes are derived from an engagement.

The data files (the engagement copy and its JSON views) are a pure function of the engagement
file: ``data_files`` builds them the same way at export and at verification, so a verifier can
rebuild them from the packaged engagement copy and tell whether the JSON a reader browses still
agrees with the hash-chained records it came from.

Hashes reuse the store's one canonical form (``auditprep.store.integrity``): a tree hash is the
SHA-256 of the canonical JSON of the file list sorted by path.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field

from auditprep.checks.engine import finding_id
from auditprep.models import Evidence, Finding
from auditprep.store import Engagement, integrity, iso

FORMAT: Final = "auditprep-package"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
SUMS = "SHA256SUMS"
SIGNATURE: Final = "manifest.sig"
INDEX = "index.html"
ENGAGEMENT_COPY = "engagement/engagement.sqlite"
CONTROL_FILES = (MANIFEST, SUMS, SIGNATURE)

Role = Literal["data", "report", "index"]

HASH_METHOD = (
    "Each hash is the SHA-256 of the canonical JSON (keys sorted, no spaces, UTF-8) of a list of "
    "file entries {path, sha256, size, role} sorted by path. data_root_hash covers the files whose "
    "role is 'data'; root_hash covers every file listed here."
)
COVER_NOTE = (
    "The PDF reports cannot contain a hash of themselves, so their covers show data_root_hash: it "
    "was computed over the evidence, findings, answers and engagement copy before the reports were "
    "rendered, and it pins everything the reports describe. root_hash then covers every file, "
    "reports and index included; manifest.json is covered by SHA256SUMS and, when present, by the "
    "Ed25519 signature in manifest.sig."
)

# Package paths use a deliberately small alphabet; anything else in an archive is foreign.
_SAFE_PART = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FileEntry(_Strict):
    path: str
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    size: int = Field(ge=0)
    role: Role


class ToolInfo(_Strict):
    name: str
    version: str


class EngagementSummary(_Strict):
    name: str
    organisation: str
    created_at: str
    created_by: str
    period_start: str
    period_end: str
    fingerprint: str
    events: int


class ScopeItem(_Strict):
    kind: str
    value: str
    note: str


class ReportEntry(_Strict):
    framework: str
    path: str


class SignatureInfo(_Strict):
    algorithm: Literal["ed25519"]
    file: Literal["manifest.sig"]
    public_key_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


class Hashes(_Strict):
    method: str
    cover: str


class Manifest(_Strict):
    format: Literal["auditprep-package"]
    format_version: int
    tool: ToolInfo
    created: str
    engagement: EngagementSummary
    frameworks: tuple[str, ...]
    scope: tuple[ScopeItem, ...]
    reports: tuple[ReportEntry, ...]
    signature: SignatureInfo | None
    hashes: Hashes
    data_root_hash: str = Field(pattern=r"^[0-9a-f]{64}$")
    root_hash: str = Field(pattern=r"^[0-9a-f]{64}$")
    files: tuple[FileEntry, ...]


def unsafe_path_reason(path: str) -> str | None:
    """Why ``path`` may not appear in a package, or None when it is an ordinary package path."""
    if not path:
        return "it is empty"
    if path.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", path):
        return "it is an absolute path"
    if "\\" in path:
        return "it contains a backslash"
    parts = path.split("/")
    if any(p == ".." for p in parts):
        return "it climbs out of the package with '..'"
    if any(p in ("", ".") for p in parts):
        return "it has an empty or '.' component"
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in path):
        return "it contains control characters"
    if len(parts) > 8 or len(path) > 512:
        return "it is too long"
    if not all(_SAFE_PART.match(p) for p in parts):
        return "it uses characters a package never uses"
    return None


def tree_hash(entries: Iterable[FileEntry]) -> str:
    ordered = sorted(entries, key=lambda e: e.path)
    return integrity.sha256(integrity.canonical([e.model_dump() for e in ordered]))


def entry(path: str, data: bytes, role: Role) -> FileEntry:
    return FileEntry(path=path, sha256=integrity.sha256(data), size=len(data), role=role)


def sums_text(files: Sequence[tuple[str, str]]) -> bytes:
    """SHA256SUMS in the format ``sha256sum -c`` reads: '<hex>  <path>' per line, sorted by path."""
    return "".join(f"{digest}  {path}\n" for path, digest in sorted(files)).encode()


def parse_sums(raw: bytes) -> dict[str, str] | None:
    """path -> hash from a SHA256SUMS file, or None when it is not in that format."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    out: dict[str, str] = {}
    for line in text.splitlines():
        m = re.fullmatch(r"([0-9a-f]{64}) [ *](.+)", line)
        if not m or m.group(2) in out:
            return None
        out[m.group(2)] = m.group(1)
    return out


def dump(obj: Any) -> bytes:
    """The JSON form of every package data file: readable, and byte-for-byte reproducible."""
    return (json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False, default=str) + "\n").encode()


def safe_name(name: str) -> str:
    """A file name made of the package alphabet, keeping the extension readable."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._-") or "file"
    return cleaned[:80]


def attachment_path(attachment_id: int, filename: str) -> str:
    return f"attachments/{attachment_id:04d}-{safe_name(filename)}"


def evidence_path(ev: Evidence, run_id: int) -> str:
    return f"evidence/run-{run_id:04d}/{safe_name(ev.id)}.json"


# --- reading the engagement ---------------------------------------------------------------


def all_evidence(eng: Engagement) -> list[tuple[int, Evidence]]:
    """Every evidence item of every run, oldest first, with its run id."""
    rows = eng._query("SELECT id, run_id FROM evidence ORDER BY rowid")  # noqa: SLF001 - no public listing yet
    out = []
    for evidence_id, run_id in rows:
        ev = eng.evidence_item(evidence_id)
        if ev is not None:
            out.append((int(run_id), ev))
    return out


def _evidence_doc(ev: Evidence, run_id: int, current: bool) -> dict[str, Any]:
    return {
        "id": ev.id,
        "run": run_id,
        "current": current,
        "source": ev.source.value,
        "collector": ev.collector,
        "operation": ev.operation,
        "kind": ev.kind,
        "scope": {"account": ev.scope.account, "region": ev.scope.region, "host": ev.scope.host},
        "resource": ev.resource,
        "resource_name": ev.resource_name,
        "collected_at": iso(ev.collected_at),
        "status": ev.status.value,
        "message": ev.message,
        "request_ids": list(ev.request_ids),
        "api_paths": list(ev.api_paths),
        "sha256": ev.record_hash,
        "content_sha256": ev.content_hash,
        "redactions": list(ev.redactions),
        "data": ev.data,
    }


def finding_docs(findings: Sequence[Finding]) -> list[dict[str, Any]]:
    out, seen = [], set()
    for f in findings:
        fid, base, n = finding_id(f), finding_id(f), 2
        while fid in seen:
            fid, n = f"{base}-{n}", n + 1
        seen.add(fid)
        out.append({"id": fid, **f.model_dump(mode="json")})
    return out


def data_files(eng: Engagement, copy_bytes: bytes) -> list[tuple[str, bytes]]:
    """Every data file of a package made from ``eng`` (which must be the engagement copy itself)."""
    info = eng.info()
    runs = eng.runs()
    files: list[tuple[str, bytes]] = [(ENGAGEMENT_COPY, copy_bytes)]

    evidence = all_evidence(eng)
    current = {ev.id for ev in eng.current_evidence(with_data=False)}
    per_run: dict[int, int] = {}
    for run_id, ev in evidence:
        per_run[run_id] = per_run.get(run_id, 0) + 1
        files.append((evidence_path(ev, run_id), dump(_evidence_doc(ev, run_id, ev.id in current))))

    files.append(
        (
            "engagement/engagement.json",
            dump(
                {
                    "name": info.name,
                    "organisation": info.organisation,
                    "frameworks": list(info.frameworks),
                    "created_at": iso(info.created_at),
                    "created_by": info.created_by,
                    "period_start": info.period_start,
                    "period_end": info.period_end,
                    "fingerprint": eng.fingerprint(),
                    "scope": [{"kind": k, "value": v, "note": n} for k, v, n in eng.scope_items()],
                    "runs": [
                        {
                            "id": r.id,
                            "started_at": iso(r.started_at),
                            "finished_at": iso(r.finished_at),
                            "actor": r.actor,
                            "source": r.source,
                            "identity": r.identity,
                            "targets": list(r.targets),
                            "tool_version": r.tool_version,
                            "cancelled": r.cancelled,
                            "evidence_items": per_run.get(r.id, 0),
                        }
                        for r in runs
                    ],
                }
            ),
        )
    )
    files.append(
        (
            "engagement/events.json",
            dump(
                [
                    {
                        "seq": e.seq,
                        "at": e.at,
                        "actor": e.actor,
                        "action": e.action,
                        "subject": e.subject,
                        "record_hash": e.record_hash,
                        "prev_hash": e.prev_hash,
                        "hash": e.hash,
                    }
                    for e in eng.events()
                ]
            ),
        )
    )
    files.append(("findings/findings.json", dump(finding_docs(eng.findings()))))
    files.append(
        (
            "answers/answers.json",
            dump(
                {
                    "current": [a.model_dump(mode="json") for a in eng.answers().values()],
                    "history": [a.model_dump(mode="json") for a in eng.answer_history()],
                }
            ),
        )
    )
    files.append(("answers/attestations.json", dump([a.model_dump(mode="json") for a in eng.attestations().values()])))
    files.append(("exceptions/exceptions.json", dump([e.model_dump(mode="json") for e in eng.exceptions()])))

    attachments = eng.attachments()
    listing = []
    for att in attachments:
        path = attachment_path(att.id, att.filename)
        files.append((path, eng.blob(att.sha256)))
        listing.append(
            {
                "id": att.id,
                "path": path,
                "control_id": att.control_id,
                "filename": att.filename,
                "media_type": att.media_type,
                "sha256": att.sha256,
                "size": att.size,
                "description": att.description,
                "added_by": att.added_by,
                "added_at": iso(att.added_at),
            }
        )
    files.append(("attachments/attachments.json", dump(listing)))
    return files
