"""The reviewer's file on disk: created beside what it reviews, bound to its fingerprint, written atomically."""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from auditprep.review.document import (
    FORMAT,
    FORMAT_VERSION,
    MAX_REVIEW_BYTES,
    OPEN_FLAGS,
    ReviewComment,
    ReviewDocument,
    ReviewedEngagement,
    ReviewError,
    _check,
    _iso,
    _split_target,
    _utcnow,
    parse_review,
)
from auditprep.review.output import _cell, _report_pdf, _write_atomic, review_html
from auditprep.safeio import read_regular

if TYPE_CHECKING:
    from auditprep.catalog import Catalog
    from auditprep.store import Engagement


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
