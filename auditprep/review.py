"""The reviewer's file: comments and flags an assessor writes while reviewing evidence.

It lives apart from what it reviews (a package or an engagement is never modified by a review)
and is bound to the engagement fingerprint it reviewed, so it cannot be loaded into the wrong
engagement. Writes are atomic (a temporary file, then a rename). The team loads it back with
``load_review_into``: the file is recorded in the engagement as an attachment, so it joins the
event chain, travels in the next package and can be read back with ``engagement_reviews``.

A flag is one of ``question`` or ``concern`` (open) or ``accepted`` (closed); a comment with flag
``none`` leaves the target's flag as it was.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import tempfile
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from auditprep.errors import AuditprepError, InvalidInput
from auditprep.safeio import read_regular

if TYPE_CHECKING:
    from auditprep.catalog import Catalog
    from auditprep.store import Engagement
    from auditprep.store.engagement import Attachment

FORMAT: Final = "auditprep-review"
FORMAT_VERSION = 1
MEDIA_TYPE = "application/vnd.auditprep.review+json"
FLAGS = ("none", "question", "concern", "accepted")
OPEN_FLAGS = ("question", "concern")
TargetKind = Literal["control", "evidence"]
Flag = Literal["none", "question", "concern", "accepted"]
_TARGET_ID = {"control": re.compile(r"^[A-Z]{2,4}-\d{2}$"), "evidence": re.compile(r"^E\d+-\d{5,}$")}
MAX_TEXT = 20_000
MAX_REVIEW_BYTES = 32 * 1024 * 1024  # thousands of comments at the longest fit in a fraction of this


class ReviewError(AuditprepError):
    exit_code = 2
    title = "Review file"


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _iso(dt: datetime) -> str:
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC).isoformat().replace("+00:00", "Z")


class ReviewComment(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: int = Field(ge=1)
    target_kind: TargetKind
    target_id: str
    flag: Flag = "none"
    text: str
    author: str = Field(min_length=1)
    at: datetime

    @field_validator("at")
    @classmethod
    def _utc(cls, v: datetime) -> datetime:
        v = v if v.tzinfo else v.replace(tzinfo=UTC)
        try:
            v.astimezone(UTC)
        except OverflowError:
            raise ValueError("the date is outside the range of dates that can be recorded") from None
        return v

    @property
    def target(self) -> str:
        return f"{self.target_kind}:{self.target_id}"

    @property
    def kind(self) -> str:
        """comment / flag / unflag, as the review screens show it."""
        if self.flag in OPEN_FLAGS:
            return "flag"
        return "unflag" if self.flag == "accepted" else "comment"


class ReviewedEngagement(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    fingerprint: str = Field(pattern=r"^[0-9a-f]{64}$")
    package_root_hash: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")


class ReviewDocument(BaseModel):
    model_config = ConfigDict(extra="forbid")

    format: Literal["auditprep-review"]
    format_version: int
    engagement: ReviewedEngagement
    created_at: datetime
    comments: list[ReviewComment] = []


def _split_target(target: str) -> tuple[str, str]:
    kind, _, ident = target.partition(":")
    return kind, ident


def _check(kind: str, ident: str, text: str, flag: str, author: str) -> None:
    if kind not in _TARGET_ID:
        raise InvalidInput(f"a review comment is about a control or an evidence item, not '{kind}'.")
    if not _TARGET_ID[kind].match(ident):
        raise InvalidInput(f"'{ident}' is not a {kind} id.")
    if flag not in FLAGS:
        raise InvalidInput(f"'{flag}' is not a review flag; use one of {', '.join(FLAGS)}.")
    if not text.strip() and flag == "none":
        raise InvalidInput("a review comment cannot be empty.")
    if len(text) > MAX_TEXT:
        raise InvalidInput(f"a review comment is limited to {MAX_TEXT} characters.")
    if not author.strip():
        raise InvalidInput("a review comment needs its author.")


def parse_review(raw: bytes, where: str) -> ReviewDocument:
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ReviewError(f"{where} is not a review file (it is not UTF-8 text).") from None
    except ValueError as exc:
        raise ReviewError(f"{where} is not a review file (invalid JSON: {exc}).") from None
    except RecursionError:
        raise ReviewError(f"{where} is not a review file (it is nested too deeply).") from None
    try:  # a lone surrogate (\\ud800) decodes from JSON but can never be written out again
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise ReviewError(f"{where} is not a review file (it holds text that is not valid Unicode).") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ReviewError(f"{where} is not an auditprep review file.")
    if isinstance(data.get("format_version"), int) and data["format_version"] > FORMAT_VERSION:
        raise ReviewError(f"{where} was written by a newer auditprep; upgrade to read it.")
    try:
        doc = ReviewDocument.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err["loc"])
        raise ReviewError(f"{where} is damaged (at '{loc}': {str(err['msg']).rstrip('.')}).") from None
    for c in doc.comments:
        try:
            _check(c.target_kind, c.target_id, c.text, c.flag, c.author)
        except InvalidInput as exc:
            raise ReviewError(f"{where} is damaged: comment {c.id}: {exc.message}") from None
    return doc


class ReviewFile:
    """An open review file. Every change is written to disk at once, atomically."""

    def __init__(self, path: Path, doc: ReviewDocument, clock: Callable[[], datetime] = _utcnow):
        self.path = Path(path)
        self.doc = doc
        self.clock = clock

    # --- opening ----------------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        path: Path,
        *,
        engagement_name: str,
        fingerprint: str,
        package_root_hash: str | None = None,
        clock: Callable[[], datetime] = _utcnow,
    ) -> ReviewFile:
        path = Path(path)
        if path.exists():
            raise ReviewError(f"{path} already exists; open it instead of creating it.")
        doc = ReviewDocument(
            format=FORMAT,
            format_version=FORMAT_VERSION,
            created_at=clock(),
            engagement=ReviewedEngagement(
                name=engagement_name, fingerprint=fingerprint, package_root_hash=package_root_hash
            ),
        )
        review = cls(path, doc, clock)
        review._save()
        return review

    @classmethod
    def open(cls, path: Path, *, clock: Callable[[], datetime] = _utcnow) -> ReviewFile:
        path = Path(path)
        raw = read_regular(path, MAX_REVIEW_BYTES, "a review file", ReviewError)
        return cls(path, parse_review(raw, str(path)), clock)

    @classmethod
    def for_engagement(
        cls,
        path: Path,
        eng: Engagement,
        *,
        package_root_hash: str | None = None,
        clock: Callable[[], datetime] = _utcnow,
    ) -> ReviewFile:
        """Open the review of ``eng`` at ``path``, creating it on first use."""
        fingerprint = eng.fingerprint()
        if not Path(path).exists():
            return cls.create(
                path,
                engagement_name=eng.info().name,
                fingerprint=fingerprint,
                package_root_hash=package_root_hash,
                clock=clock,
            )
        review = cls.open(path, clock=clock)
        if review.fingerprint != fingerprint:
            raise ReviewError(
                f"{path} reviews another engagement state (fingerprint {review.fingerprint[:12]}…, this one is "
                f"{fingerprint[:12]}…); give another review file."
            )
        return review

    @property
    def fingerprint(self) -> str:
        return self.doc.engagement.fingerprint

    @property
    def engagement_name(self) -> str:
        return self.doc.engagement.name

    def _save(self) -> None:
        data = json.dumps(self.doc.model_dump(mode="json"), indent=2, ensure_ascii=False).encode() + b"\n"
        folder = self.path.parent
        try:
            fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".part", dir=folder)
        except OSError as exc:
            raise ReviewError(f"cannot write {self.path}: {exc.strerror or exc}.") from None
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, 0o644)
            os.replace(tmp, self.path)
        except OSError as exc:
            Path(tmp).unlink(missing_ok=True)
            raise ReviewError(f"cannot write {self.path}: {exc.strerror or exc}; the comment was not saved.") from None

    # --- comments ---------------------------------------------------------------------------

    def comment(
        self,
        target_kind: str,
        target_id: str,
        text: str,
        flag: str = "none",
        *,
        author: str,
        at: datetime | None = None,
    ) -> ReviewComment:
        text = text.strip()
        _check(target_kind, target_id, text, flag, author)
        c = ReviewComment(
            id=len(self.doc.comments) + 1,
            target_kind=target_kind,
            target_id=target_id,  # type: ignore[arg-type]
            flag=flag,
            text=text,
            author=author.strip(),
            at=at or self.clock(),  # type: ignore[arg-type]
        )
        self.doc.comments.append(c)
        try:
            self._save()
        except BaseException:
            self.doc.comments.pop()
            raise
        return c

    def comments(
        self, target_kind: str | None = None, target_id: str | None = None, flag: str | None = None
    ) -> list[ReviewComment]:
        return [
            c
            for c in self.doc.comments
            if (target_kind is None or c.target_kind == target_kind)
            and (target_id is None or c.target_id == target_id)
            and (flag is None or c.flag == flag)
        ]

    def current_flags(self) -> dict[str, ReviewComment]:
        """target -> the comment that last set its flag (open or accepted)."""
        out: dict[str, ReviewComment] = {}
        for c in self.doc.comments:
            if c.flag != "none":
                out[c.target] = c
        return out

    # --- the interface the review screens use (targets written 'control:ID' / 'evidence:ID') --

    def notes(self, target: str | None = None) -> list[ReviewComment]:
        if target is None:
            return list(self.doc.comments)
        kind, ident = _split_target(target)
        return self.comments(kind, ident)

    def flagged(self) -> dict[str, ReviewComment]:
        return {t: c for t, c in self.current_flags().items() if c.flag in OPEN_FLAGS}

    def add_comment(self, target: str, text: str, *, author: str, at: datetime) -> None:
        kind, ident = _split_target(target)
        self.comment(kind, ident, text, "none", author=author, at=at)

    def set_flag(self, target: str, flagged: bool, *, author: str, at: datetime, reason: str = "") -> None:
        kind, ident = _split_target(target)
        text = reason or ("Flagged for the team's attention." if flagged else "Flag cleared: accepted.")
        self.comment(kind, ident, text, "concern" if flagged else "accepted", author=author, at=at)

    # --- handing it back --------------------------------------------------------------------

    def to_csv(self) -> str:
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(("id", "at", "author", "target_kind", "target_id", "flag", "text", "engagement", "fingerprint"))
        for c in self.doc.comments:
            w.writerow(
                [
                    _cell(v)
                    for v in (
                        c.id,
                        _iso(c.at),
                        c.author,
                        c.target_kind,
                        c.target_id,
                        c.flag,
                        c.text,
                        self.engagement_name,
                        self.fingerprint,
                    )
                ]
            )
        return buf.getvalue()

    def export_csv(self, out: Path) -> Path:
        return _write_atomic(Path(out), self.to_csv().encode("utf-8"))

    def to_html(self, catalog: Catalog | None = None) -> str:
        return review_html(self.doc, catalog)

    def export_pdf(
        self, out: Path, *, catalog: Catalog | None = None, html_to_pdf: Callable[[str, Path], None] | None = None
    ) -> Path:
        """Render the comments as a PDF through the report package (the only one that renders PDFs)."""
        (html_to_pdf or _report_pdf)(self.to_html(catalog), Path(out))
        return Path(out)


def _report_pdf(html: str, out: Path) -> None:
    from auditprep.report.output import write_atomic
    from auditprep.report.pdf import write_pdf

    def produce(fh: BinaryIO) -> None:
        write_pdf(html, fh, identifier=f"review:{out.name}")

    write_atomic(out, produce)


def _cell(value: Any) -> str:
    """A CSV cell a spreadsheet will not run as a formula."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _write_atomic(out: Path, data: bytes) -> Path:
    if not out.parent.is_dir():
        raise ReviewError(f"cannot write {out}: the folder {out.parent} does not exist.")
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".part", dir=out.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, out)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise ReviewError(f"cannot write {out}: {exc.strerror or exc}.") from None
    return out


def review_html(doc: ReviewDocument, catalog: Catalog | None = None) -> str:
    """A self-contained page (no scripts, no external resources) listing every comment by target."""
    e = escape
    flags = Counter(c.flag for c in doc.comments)
    current: dict[str, ReviewComment] = {}
    for c in doc.comments:
        if c.flag != "none":
            current[c.target] = c
    by_target: dict[str, list[ReviewComment]] = {}
    for c in doc.comments:
        by_target.setdefault(c.target, []).append(c)

    def title(c: ReviewComment) -> str:
        if catalog is not None and c.target_kind == "control" and c.target_id in catalog.controls:
            return f"{c.target_id}: {catalog.controls[c.target_id].title}"
        return f"{c.target_kind} {c.target_id}"

    out = [
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">',
        f"<title>Reviewer comments: {e(doc.engagement.name)}</title>",
        "<style>body{font-family:sans-serif;font-size:10pt;margin:2em}table{border-collapse:collapse;width:100%}"
        "td,th{border:1px solid #bbb;padding:3px 5px;text-align:left;vertical-align:top}"
        ".hash{font-family:monospace;font-size:8pt;word-break:break-all}.concern{color:#a40e26}"
        ".question{color:#7d4e00}.accepted{color:#116329}</style></head><body>",
        f"<h1>Reviewer comments: {e(doc.engagement.name)}</h1>",
        f'<p>Engagement fingerprint: <span class="hash">{e(doc.engagement.fingerprint)}</span></p>',
    ]
    if doc.engagement.package_root_hash:
        out.append(f'<p>Package root hash: <span class="hash">{e(doc.engagement.package_root_hash)}</span></p>')
    out.append(
        f"<p>{len(doc.comments)} comment(s); open flags: "
        f"{sum(1 for c in current.values() if c.flag in OPEN_FLAGS)}; "
        + e(", ".join(f"{n} {f}" for f, n in sorted(flags.items())))
        + ".</p>"
    )
    for target, items in by_target.items():
        flag = current.get(target)
        state = f' <span class="{e(flag.flag)}">[{e(flag.flag)}]</span>' if flag else ""
        out.append(
            f"<h2>{e(title(items[0]))}{state}</h2><table><tr><th>When</th><th>Who</th><th>Flag</th>"
            "<th>Comment</th></tr>"
        )
        for c in items:
            out.append(
                f'<tr><td>{e(_iso(c.at))}</td><td>{e(c.author)}</td><td class="{e(c.flag)}">{e(c.flag)}</td>'
                f"<td>{e(c.text)}</td></tr>"
            )
        out.append("</table>")
    out.append("</body></html>\n")
    return "".join(out)


def default_review_path(target: Path) -> Path:
    """Where a review of ``target`` (a package or an engagement) is kept unless told otherwise."""
    target = Path(target)
    return target.with_name(f"{target.stem}.review.json")


# --- back into the team's engagement ------------------------------------------------------


@dataclass(frozen=True)
class LoadedReview:
    comments: int
    open_flags: int
    already_loaded: bool
    attachment_id: int | None


def load_review_into(eng: Engagement, review_path: Path, actor: str) -> LoadedReview:
    """Record a review file in the engagement it reviewed (as an attachment, so it is hash-chained).

    Refuses a review of another engagement: the reviewed fingerprint must be a state this
    engagement passed through. Loading the same file twice records it once.
    """
    review_path = Path(review_path)
    raw = read_regular(review_path, MAX_REVIEW_BYTES, "a review file", ReviewError)
    doc = parse_review(raw, str(review_path))
    if doc.engagement.fingerprint not in {ev.hash for ev in eng.events()}:
        raise ReviewError(
            f"{review_path} reviews another engagement (fingerprint {doc.engagement.fingerprint[:12]}… is not in "
            f"the history of {eng.path.name}); nothing was loaded."
        )
    current: dict[str, ReviewComment] = {}
    for c in doc.comments:
        if c.flag != "none":
            current[c.target] = c
    open_flags = sum(1 for c in current.values() if c.flag in OPEN_FLAGS)
    from auditprep.store import integrity

    digest = integrity.sha256(raw)
    for att in eng.attachments():
        if att.media_type == MEDIA_TYPE and att.sha256 == digest:
            return LoadedReview(len(doc.comments), open_flags, True, att.id)
    att = eng.attach(
        raw,
        filename=review_path.name,
        media_type=MEDIA_TYPE,
        actor=actor,
        description=f"Reviewer comments ({len(doc.comments)}, {open_flags} open flag(s)) on state "
        f"{doc.engagement.fingerprint[:12]}…",
    )
    return LoadedReview(len(doc.comments), open_flags, False, att.id)


def engagement_reviews(eng: Engagement) -> list[tuple[Attachment, ReviewDocument]]:
    """Every review loaded into ``eng``, oldest first, read back from its attachments."""
    out = []
    for att in eng.attachments():
        if att.media_type == MEDIA_TYPE:
            out.append((att, parse_review(eng.blob(att.sha256), f"attachment {att.id} ({att.filename})")))
    return out


def review_comments(eng: Engagement) -> Sequence[tuple[ReviewDocument, ReviewComment]]:
    """Every loaded reviewer comment with the review it came from, in loading order."""
    return [(doc, c) for _, doc in engagement_reviews(eng) for c in doc.comments]
