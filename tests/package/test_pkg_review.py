"""The reviewer's file: comments and flags kept apart from the package, exported, and loaded back by the team."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from kit import T0, build_every_record
from pypdf import PdfReader

from auditprep.catalog import Catalog
from auditprep.errors import InvalidInput
from auditprep.models import Answer
from auditprep.package import open_package, verify_target
from auditprep.review import (
    ReviewError,
    ReviewFile,
    default_review_path,
    engagement_reviews,
    load_review_into,
    review_comments,
)
from auditprep.store import Engagement
from auditprep.store.verify import verify_engagement

AT = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)


def _review_of_package(package: Path, tmp_path: Path) -> tuple[ReviewFile, str]:
    with open_package(package) as opened, Engagement.open(opened.engagement_path, readonly=True) as eng:
        review = ReviewFile.for_engagement(
            tmp_path / "acme.review.json", eng, package_root_hash=opened.manifest.root_hash
        )
        return review, eng.fingerprint()


def test_review_never_touches_the_package(signed_package: Path, tmp_path: Path) -> None:
    before = signed_package.read_bytes()
    review, fingerprint = _review_of_package(signed_package, tmp_path)
    review.comment("control", "HRD-01", "Why is api still privileged?", "question", author="qsa", at=AT)
    review.comment("evidence", "E2-00001", "Matches the container inspect I saw.", author="qsa", at=AT)
    review.comment("control", "HRD-01", "Exception is owned and expires in 30 days.", "accepted", author="qsa", at=AT)
    assert signed_package.read_bytes() == before
    assert verify_target(signed_package).exit_code == 0
    saved = json.loads((tmp_path / "acme.review.json").read_text())
    assert saved["engagement"]["fingerprint"] == fingerprint and len(saved["comments"]) == 3
    assert [p.name for p in tmp_path.iterdir()] == ["acme.review.json"]  # no temporary file left behind

    again = ReviewFile.open(tmp_path / "acme.review.json")
    assert [c.flag for c in again.comments(target_kind="control")] == ["question", "accepted"]
    assert again.current_flags()["control:HRD-01"].flag == "accepted"
    assert again.flagged() == {}
    assert default_review_path(signed_package) == signed_package.with_name("acme.review.json")


def test_review_file_is_bound_to_what_it_reviews(signed_package: Path, engagement: Engagement, tmp_path: Path) -> None:
    _review_of_package(signed_package, tmp_path)
    engagement.record_answer(
        Answer(
            control_id="HRD-01",
            question_id="HRD-01.status",
            value="yes",
            narrative="",
            answered_by="bo",
            answered_at=T0,
        )
    )
    with pytest.raises(ReviewError, match="reviews another engagement state"):
        ReviewFile.for_engagement(tmp_path / "acme.review.json", engagement)


def test_the_review_screens_interface(engagement: Engagement, tmp_path: Path) -> None:
    review = ReviewFile.for_engagement(tmp_path / "r.json", engagement)
    review.add_comment("control:HRD-01", "Please show the admission policy.", author="qsa", at=AT)
    review.set_flag("evidence:E1-00001", True, author="qsa", at=AT, reason="Task definition is from before the change.")
    assert list(review.flagged()) == ["evidence:E1-00001"]
    assert [n.kind for n in review.notes()] == ["comment", "flag"]
    review.set_flag("evidence:E1-00001", False, author="qsa", at=AT + timedelta(minutes=5))
    assert review.flagged() == {}
    notes = review.notes("evidence:E1-00001")
    assert [n.kind for n in notes] == ["flag", "unflag"] and notes[1].text == "Flag cleared: accepted."
    assert notes[0].target == "evidence:E1-00001" and notes[0].author == "qsa" and notes[0].at == AT


@pytest.mark.parametrize(
    ("kind", "ident", "text", "flag", "why"),
    [
        ("finding", "F-1", "x", "none", "not 'finding'"),
        ("control", "hrd-1", "x", "none", "is not a control id"),
        ("evidence", "E1", "x", "none", "is not a evidence id"),
        ("control", "HRD-01", "   ", "none", "cannot be empty"),
        ("control", "HRD-01", "x", "urgent", "not a review flag"),
    ],
)
def test_bad_comments_are_refused_and_nothing_is_saved(
    engagement: Engagement, tmp_path: Path, kind: str, ident: str, text: str, flag: str, why: str
) -> None:
    review = ReviewFile.for_engagement(tmp_path / "r.json", engagement)
    before = (tmp_path / "r.json").read_bytes()
    with pytest.raises(InvalidInput, match=why):
        review.comment(kind, ident, text, flag, author="qsa")
    assert (tmp_path / "r.json").read_bytes() == before and review.comments() == []


def test_damaged_or_foreign_review_files(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    for content, why in (
        (b"{", "invalid JSON"),
        (b'{"format": "other"}', "not an auditprep review file"),
        (b"\xff\xfe", "not UTF-8"),
        (
            b'{"format": "auditprep-review", "format_version": 1, "engagement": {"name": "a", '
            b'"fingerprint": "zz"}, "created_at": "2026-01-01T00:00:00Z"}',
            "is damaged",
        ),
    ):
        path.write_bytes(content)
        with pytest.raises(ReviewError, match=why):
            ReviewFile.open(path)


def test_csv_export_is_safe_for_spreadsheets(engagement: Engagement, tmp_path: Path) -> None:
    review = ReviewFile.for_engagement(tmp_path / "r.json", engagement)
    review.comment("control", "HRD-01", '=HYPERLINK("http://x")', "concern", author="qsa", at=AT)
    rows = list(csv.DictReader(io.StringIO(review.export_csv(tmp_path / "r.csv").read_text())))
    assert rows[0]["text"] == '\'=HYPERLINK("http://x")' and rows[0]["flag"] == "concern"
    assert rows[0]["fingerprint"] == engagement.fingerprint() and rows[0]["at"] == "2026-11-20T14:00:00Z"


def test_pdf_export_through_the_report_renderer(engagement: Engagement, catalog: Catalog, tmp_path: Path) -> None:
    review = ReviewFile.for_engagement(tmp_path / "r.json", engagement)
    review.comment("control", "HRD-01", "Privileged container <api> must go.", "concern", author="qsa", at=AT)
    html = review.to_html(catalog)
    assert "&lt;api&gt;" in html and "<script" not in html and "Containers never run privileged" in html
    out = review.export_pdf(tmp_path / "review.pdf", catalog=catalog)
    text = PdfReader(out).pages[0].extract_text()
    assert "Privileged container <api> must go." in text and "concern" in text


def test_team_loads_the_review_into_their_engagement(signed_package: Path, tmp_path: Path) -> None:
    review, fingerprint = _review_of_package(signed_package, tmp_path)
    review.comment("control", "HRD-01", "Why is api still privileged?", "concern", author="qsa", at=AT)
    with build_every_record(tmp_path / "team.engagement") as team:  # the same history, as the team holds it
        assert team.fingerprint() == fingerprint
        team.record_answer(
            Answer(
                control_id="HRD-01",
                question_id="HRD-01.status",
                value="yes",
                narrative="fixed",
                answered_by="bo",
                answered_at=T0,
            )
        )  # the team moved on since the export
        loaded = load_review_into(team, review.path, "bo")
        assert loaded.comments == 1 and loaded.open_flags == 1 and not loaded.already_loaded
        assert load_review_into(team, review.path, "bo").already_loaded
        ((att, doc),) = engagement_reviews(team)
        assert att.media_type == "application/vnd.auditprep.review+json" and doc.engagement.fingerprint == fingerprint
        assert [c.text for _, c in review_comments(team)] == ["Why is api still privileged?"]
        assert verify_engagement(team) == []

    with build_every_record(tmp_path / "other.engagement") as other:
        other.set_meta("ana", name="someone else")
        before = other.fingerprint()
    other_review = ReviewFile.create(tmp_path / "other.json", engagement_name="x", fingerprint=before)
    with build_every_record(tmp_path / "third.engagement") as third:
        third.set_meta("ana", period_start="2026-01-01")
        with pytest.raises(ReviewError, match="reviews another engagement"):
            load_review_into(third, other_review.path, "bo")
        assert engagement_reviews(third) == []
