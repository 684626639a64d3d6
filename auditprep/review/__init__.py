"""The reviewer's file: comments and flags an assessor writes while reviewing evidence.

It lives apart from what it reviews (a package or an engagement is never modified by a review)
and is bound to the engagement fingerprint it reviewed, so it cannot be loaded into the wrong
engagement. Writes are atomic (a temporary file, then a rename). The team loads it back with
``load_review_into``: the file is recorded in the engagement as an attachment, so it joins the
event chain, travels in the next package and can be read back with ``engagement_reviews``.

A flag is one of ``question`` or ``concern`` (open) or ``accepted`` (closed); a comment with flag
``none`` leaves the target's flag as it was.
"""

from auditprep.review.document import FLAGS, OPEN_FLAGS, ReviewComment, ReviewDocument, ReviewError, parse_review
from auditprep.review.file import ReviewFile
from auditprep.review.loading import (
    LoadedReview,
    default_review_path,
    engagement_reviews,
    load_review_into,
    review_comments,
)
from auditprep.review.output import review_html

__all__ = [
    "FLAGS",
    "OPEN_FLAGS",
    "LoadedReview",
    "ReviewComment",
    "ReviewDocument",
    "ReviewError",
    "ReviewFile",
    "default_review_path",
    "engagement_reviews",
    "load_review_into",
    "parse_review",
    "review_comments",
    "review_html",
]
