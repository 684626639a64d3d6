"""The review document: comments and flags as validated data, and how a file is parsed."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from auditprep.errors import AuditprepError, InvalidInput

if TYPE_CHECKING:
    pass


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
