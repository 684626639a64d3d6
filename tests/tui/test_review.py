"""Review mode: everything visible, nothing editable except reviewer comments and flags, which
are kept in the review file, apart from the evidence."""

from __future__ import annotations

import json
from pathlib import Path

from textual.widgets import Button, TextArea

from auditprep.package import export_package
from auditprep.store import Engagement
from auditprep.tui.dialogs.error import ErrorDialog
from auditprep.tui.dialogs.forms import NoteDialog
from auditprep.tui.screens.evidence import EvidenceScreen
from auditprep.tui.screens.questionnaire import QuestionnaireScreen
from auditprep.tui.widgets.status_picker import StatusPicker

from .helpers import ready, settle, type_text


def fingerprint(path: Path) -> tuple[str, int]:
    with Engagement.open(path, readonly=True) as eng:
        return eng.fingerprint(), len(eng.events())


async def expect_nothing(pilot, app, key: str) -> None:
    """An editing key is not offered in review mode: pressing it opens nothing."""
    screen = app.screen
    await pilot.press(key)
    await settle(pilot, app)
    assert app.screen is screen, f"{key} opened {app.screen}"


async def test_review_mode_shows_everything_and_refuses_every_edit(
    app_factory, engagement: Path, tmp_path: Path
) -> None:
    before = fingerprint(engagement)
    app = app_factory(engagement, review=True, review_file=tmp_path / "review.json")
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        assert app.session.readonly and app.session.reviewing
        assert "✔ Integrity verified" in str(app.screen.query_one("#collection").render())
        steps = [str(o.prompt) for o in app.screen.query_one("#next-steps").options]
        assert steps[0] == "✔ Integrity verified: the event chain and every record match."
        assert steps[1].startswith("HRD-01: Answered in place, but 1 automated check result(s) fail.")

        await pilot.press("2")
        await settle(pilot, app)
        screen = app.screen
        assert isinstance(screen, QuestionnaireScreen)
        form = screen.panel.form
        assert form.query_one("#q0-status", StatusPicker).disabled
        narrative = form.query_one("#q0-narrative", TextArea)
        assert narrative.text.startswith("Admission control rejects privileged pods")  # visible
        narrative.focus()
        await type_text(pilot, "edited")
        assert "edited" not in narrative.text
        screen.control_tree.focus()
        await expect_nothing(pilot, app, "t")
        await expect_nothing(pilot, app, "x")
        offered = {b.binding.action for b in app.screen.active_bindings.values() if b.enabled}
        assert {"comment", "flag"} <= offered and not {"attest", "exception", "decide"} & offered
        # the session refuses too, whatever calls it
        screen.attempt(app.session.attest, "HRD-01", 30)
        await settle(pilot, app)
        assert isinstance(app.screen, ErrorDialog)
        assert (app.screen.title_text, app.screen.message) == (
            "Read only",
            "This engagement is open in review mode; only reviewer comments and flags can be added.",
        )
        await pilot.press("enter")
        await settle(pilot, app)

        await pilot.press("3")
        await settle(pilot, app)
        assert isinstance(app.screen, EvidenceScreen)
        await expect_nothing(pilot, app, "a")

        await pilot.press("4")
        await settle(pilot, app)
        assert app.screen.query_one("#start", Button).disabled
        assert "sealed" in str(app.screen.query_one("#collect-readonly").render())
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        assert app.session.engagement.runs()[-1].id == 2  # nothing was collected
        await pilot.press("ctrl+q")
    assert fingerprint(engagement) == before, "review mode changed the engagement"


async def test_reviewer_comments_and_flags_go_to_the_review_file(app_factory, engagement: Path, tmp_path: Path) -> None:
    before = fingerprint(engagement)
    review_file = tmp_path / "review.json"
    app = app_factory(engagement, review=True, review_file=review_file)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        await pilot.press("2")
        await settle(pilot, app)
        screen = app.screen
        await pilot.press("c")
        await pilot.pause()
        assert isinstance(app.screen, NoteDialog)
        await type_text(pilot, "Show the admission policy")
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        await pilot.press("g")
        await settle(pilot, app)
        assert str(screen.control_tree.nodes_by_control["HRD-01"].label).startswith("◐ HRD-01!⚐")
        notes = str(screen.panel.query_one("#notes").render())
        assert "Flagged for the team's attention." in notes
        assert "tester@larkspur: Show the admission policy" in notes

        await pilot.press("3")
        await settle(pilot, app)
        await pilot.press("down", "g")  # flag the second evidence item
        await settle(pilot, app)

    doc = json.loads(review_file.read_text())
    got = [(c["target_kind"], c["target_id"], c["flag"], c["text"], c["author"]) for c in doc["comments"]]
    assert got == [
        ("control", "HRD-01", "none", "Show the admission policy", "tester@larkspur"),
        ("control", "HRD-01", "concern", "Flagged for the team's attention.", "tester@larkspur"),
        ("evidence", "E1-00002", "concern", "Flagged for the team's attention.", "tester@larkspur"),
    ]
    assert doc["engagement"]["fingerprint"] == before[0]
    assert fingerprint(engagement) == before


async def test_an_evidence_package_opens_for_review(app_factory, engagement: Path, catalog, tmp_path: Path) -> None:
    package = tmp_path / "handover.zip"
    with Engagement.open(engagement, readonly=True) as eng:
        export_package(eng, catalog, package, render_pdf=None)
    app = app_factory(package)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        session = app.session
        assert session.reviewing and session.label == "handover.zip"
        assert session.info.name == "Payments platform 2026"
        await pilot.press("2")
        await settle(pilot, app)
        await pilot.press("c")
        await pilot.pause()
        await type_text(pilot, "ok")
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        extracted = session.engagement.path
    assert not extracted.exists(), "the package's private folder is removed on quit"
    review = json.loads((tmp_path / "handover.review.json").read_text())
    assert review["engagement"]["package_root_hash"]
    assert [c["text"] for c in review["comments"]] == ["ok"]


async def test_review_of_an_empty_engagement_does_not_offer_collecting(app_factory, tmp_path: Path) -> None:
    """Read-only, nothing collected: the dashboard says so instead of pointing at a sealed Collect screen."""
    path = tmp_path / "empty.engagement"
    with Engagement.create(path, name="empty", organisation="", frameworks=["pci-dss"], actor="tester"):
        pass
    app = app_factory(path, review=True, review_file=tmp_path / "review.json")
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        await settle(pilot, app)
        text = str(app.screen.query_one("#collection").render())
        assert "Press 4 to collect" not in text
        assert "open read-only, so nothing can be added" in text
