"""Back into the team's engagement: a review becomes an attachment, so it joins the event chain."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from auditprep.review.document import (
    MAX_REVIEW_BYTES,
    MEDIA_TYPE,
    OPEN_FLAGS,
    ReviewComment,
    ReviewDocument,
    ReviewError,
    parse_review,
)
from auditprep.safeio import read_regular

if TYPE_CHECKING:
    from auditprep.store import Engagement
    from auditprep.store.engagement import Attachment


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
