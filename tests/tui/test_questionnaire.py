"""The questionnaire: answering every question type, autosave, attestation and exceptions."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from textual.widgets import Input, Select, TextArea

from auditprep.store import Engagement
from auditprep.tui.dialogs.error import ErrorDialog
from auditprep.tui.dialogs.forms import AttestDialog, ExceptionDialog
from auditprep.tui.dialogs.viewers import ConceptDialog, EvidenceDialog
from auditprep.tui.screens.questionnaire import QuestionnaireScreen
from auditprep.tui.widgets.control_tree import ControlTree
from auditprep.tui.widgets.question_form import QuestionForm
from auditprep.tui.widgets.status_picker import StatusPicker

from .helpers import ready, settle, type_text


def stored(path: Path) -> dict:
    with Engagement.open(path, readonly=True) as eng:
        return {qid: (a.value, a.narrative, a.answered_by) for qid, a in eng.answers().items()}


async def open_control(pilot, app, control_id: str) -> QuestionnaireScreen:
    await pilot.press("2")
    await settle(pilot, app)
    screen = app.screen
    assert isinstance(screen, QuestionnaireScreen)
    screen.show_control(control_id)
    await settle(pilot, app)
    assert screen.panel.control_id == control_id
    return screen


async def test_moving_through_the_tree_opens_each_control(app_factory, engagement: Path) -> None:
    app = app_factory(engagement)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        await pilot.press("2")
        await settle(pilot, app)
        screen = app.screen
        assert screen.panel.control_id == "HRD-01"
        assert isinstance(app.focused, ControlTree)
        await pilot.press("down")
        await settle(pilot, app)
        assert screen.panel.control_id == "HRD-02"
        form = screen.panel.form
        assert [q.id for q in form.control.questions] == ["HRD-02.status", "HRD-02.list"]
        assert form.query_one("#q1-text").display and not form.query_one("#q1-choice").display
        assert not form.query_one("#slot2").display
        await pilot.press("down", "down")  # past the Logging theme node
        await settle(pilot, app)
        assert screen.panel.control_id == "LOG-01"


async def test_each_answer_type_is_saved_as_it_is_given(app_factory, engagement: Path) -> None:
    app = app_factory(engagement)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        screen = await open_control(pilot, app, "HRD-01")
        form = screen.panel.form
        # status: a choice is written at once
        form.query_one("#q0-status", StatusPicker).focus()
        await pilot.press("p")  # partial
        await settle(pilot, app)
        assert stored(engagement)["HRD-01.status"][:2] == (
            "partial",
            "Admission control rejects privileged pods; the pipeline lints compose files.",
        )
        # choice
        form.query_one("#q1-choice", Select).value = "build pipeline"
        await settle(pilot, app)
        assert stored(engagement)["HRD-01.enforced"][0] == "build pipeline"
        # date: an invalid date is refused with a sentence and never written
        date_field = form.query_one("#q2-date", Input)
        date_field.focus()
        await type_text(pilot, "2026-13-01")
        await pilot.press("enter")
        await settle(pilot, app)
        assert "YYYY-MM-DD" in str(form.query_one("#q2-problem").render())
        assert form.query_one("#q2-problem").display
        assert "HRD-01.reviewed" not in stored(engagement)
        date_field.value = ""
        await type_text(pilot, "2026-10-15")
        await pilot.press("enter")
        await settle(pilot, app)
        assert stored(engagement)["HRD-01.reviewed"][0] == "2026-10-15"
        # number
        number = form.query_one("#q3-number", Input)
        number.focus()
        await type_text(pilot, "3")
        await pilot.press("tab")
        await settle(pilot, app)
        assert stored(engagement)["HRD-01.count"] == ("3", "", "tester@larkspur")
        # the tree shows the new status
        label = str(screen.control_tree.nodes_by_control["HRD-01"].label)
        assert label.startswith("◐ HRD-01")


async def test_text_answers_and_narratives_are_saved_after_a_pause_or_on_leaving(app_factory, engagement) -> None:
    app = app_factory(engagement)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        screen = await open_control(pilot, app, "HRD-02")
        form = screen.panel.form
        narrative = form.query_one("#q0-narrative", TextArea)
        assert narrative.read_only, "the narrative waits for a status"
        picker = form.query_one("#q0-status", StatusPicker)
        picker.focus()
        await pilot.press("right", "right", "left", "left", "space")  # yes, chosen with the arrows
        await settle(pilot, app)
        assert not narrative.read_only
        narrative.focus()
        await type_text(pilot, "Drops ALL")
        await pilot.pause()
        assert stored(engagement)["HRD-02.status"] == ("yes", "", "tester@larkspur"), "typing is not yet written"
        await pilot.pause(1.0)  # the autosave pause
        await settle(pilot, app)
        assert stored(engagement)["HRD-02.status"][1] == "Drops ALL"
        text = form.query_one("#q1-text", TextArea)
        text.focus()
        await type_text(pilot, "NET_RAW")
        await pilot.press("escape")  # focus back to the tree: leaving the field saves
        await settle(pilot, app)
        assert stored(engagement)["HRD-02.list"][0] == "NET_RAW"
        with Engagement.open(engagement, readonly=True) as eng:
            history = [a for a in eng.answer_history("HRD-02") if a.question_id == "HRD-02.status"]
        assert len(history) == 2, "a pause in typing writes once, not once per key"


async def test_quitting_with_unsaved_typing_loses_nothing(app_factory, engagement: Path) -> None:
    app = app_factory(engagement)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        screen = await open_control(pilot, app, "HRD-01")
        narrative = screen.panel.form.query_one("#q0-narrative", TextArea)
        narrative.focus()
        narrative.move_cursor(narrative.document.end)
        await type_text(pilot, " Also in CI")
        await pilot.press("ctrl+q")
    assert stored(engagement)["HRD-01.status"][1].endswith("compose files. Also in CI")


async def test_a_crash_loses_nothing_that_was_typed(app_factory, engagement: Path) -> None:
    app = app_factory(engagement)
    with pytest.raises(RuntimeError, match="simulated bug"):
        async with app.run_test(size=(120, 40)) as pilot:
            await ready(pilot, app)
            screen = await open_control(pilot, app, "LOG-01")
            narrative = screen.panel.form.query_one("#q0-narrative", TextArea)
            narrative.focus()
            narrative.move_cursor(narrative.document.end)
            await type_text(pilot, " Build host moves in May")
            await pilot.pause()
            assert app.session.has_pending

            def bug() -> None:
                raise RuntimeError("simulated bug")

            app.call_later(bug)
            await pilot.pause()
    assert stored(engagement)["LOG-01.status"][1].endswith("local files. Build host moves in May")


async def test_attest_records_who_when_and_the_reattestation_period(app_factory, engagement: Path) -> None:
    app = app_factory(engagement)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        screen = await open_control(pilot, app, "HRD-01")
        await pilot.press("t")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, AttestDialog)
        days = dialog.query_one("#days", Input)
        days.value = ""
        await type_text(pilot, "90")
        await pilot.press("enter")
        await settle(pilot, app)
        assert app.screen is screen
        assert "re-attest by 2027-02-01" in str(screen.panel.query_one("#control-header").render())
        # an unanswered control cannot be attested: one sentence says why
        screen.show_control("HRD-02")
        await settle(pilot, app)
        await pilot.press("t")
        await pilot.pause()
        await pilot.press("enter")
        await settle(pilot, app)
        assert isinstance(app.screen, ErrorDialog)
        assert app.screen.message == "Answer whether HRD-02 is in place before attesting it."
    with Engagement.open(engagement, readonly=True) as eng:
        att = eng.attestations()
    assert att["HRD-01"].attested_by == "tester@larkspur"
    assert att["HRD-01"].reattest_days == 90
    assert att["HRD-01"].attested_at == datetime(2026, 11, 3, 10, 0, tzinfo=UTC)
    assert "HRD-02" not in att


async def test_an_exception_needs_an_owner_a_rationale_and_a_future_expiry(app_factory, engagement: Path) -> None:
    app = app_factory(engagement)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        screen = await open_control(pilot, app, "SEC-01")
        await pilot.press("x")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ExceptionDialog)
        dialog.query_one("#owner", Input).value = "Head of platform"
        dialog.query_one("#rationale", TextArea).load_text("Legacy worker keeps its env secret until March.")
        dialog.query_one("#expires", Input).value = "2026-01-01"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "future" in str(dialog.query_one(".problem").render())
        dialog.query_one("#expires", Input).value = "2027-03-31"
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        assert app.screen is screen
        assert str(screen.control_tree.nodes_by_control["SEC-01"].label).startswith("⚑ SEC-01")
    with Engagement.open(engagement, readonly=True) as eng:
        exc = [e for e in eng.exceptions() if e.control_id == "SEC-01"]
    assert len(exc) == 1
    assert (exc[0].owner, exc[0].recorded_by, exc[0].expires.date().isoformat()) == (
        "Head of platform",
        "tester@larkspur",
        "2027-03-31",
    )


async def test_findings_open_their_raw_redacted_evidence(app_factory, engagement: Path) -> None:
    app = app_factory(engagement)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        await open_control(pilot, app, "SEC-01")
        await pilot.press("e")
        await pilot.press("enter")
        await settle(pilot, app)
        dialog = app.screen
        assert isinstance(dialog, EvidenceDialog)
        text = dialog.query_one("#evidence-json", TextArea).text
        assert '"resource_name": "payments-api"' in text
        assert '"DB_PASSWORD=[redacted]"' in text
        assert '"Config.Env.DB_PASSWORD"' in text


async def test_f1_explains_the_concepts_of_the_control(app_factory, engagement: Path) -> None:
    app = app_factory(engagement)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        await open_control(pilot, app, "HRD-01")
        await pilot.press("f1")
        await settle(pilot, app)
        dialog = app.screen
        assert isinstance(dialog, ConceptDialog)
        assert [c.key for c in dialog.concepts] == ["privileged-container", "capabilities"]
        text = str(dialog.query_one("#concept-dialog-view Static").render())
        assert "Privileged container (privileged-container)" in text
        assert "What a privileged container can reach" in text  # the diagram
        await pilot.press("down")
        await pilot.pause()
        assert "Linux capabilities" in str(dialog.query_one("#concept-dialog-view Static").render())


async def test_filters_narrow_the_tree(app_factory, engagement: Path) -> None:
    app = app_factory(engagement)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        await pilot.press("2")
        await settle(pilot, app)
        screen = app.screen
        await pilot.press("u")
        await settle(pilot, app)
        assert sorted(screen.control_tree.nodes_by_control) == ["HRD-02", "LOG-02", "SEC-01"]
        await pilot.press("u", "slash")
        await type_text(pilot, "secret")
        await settle(pilot, app)
        assert sorted(screen.control_tree.nodes_by_control) == ["SEC-01", "SEC-02"]
        assert str(screen.query_one("#tree-count").render()) == "2 of 6 controls"


async def test_dashboard_next_step_jumps_to_the_control(app_factory, engagement: Path) -> None:
    app = app_factory(engagement)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        steps = app.screen.query_one("#next-steps")
        first = str(steps.get_option_at_index(0).prompt)
        assert first.startswith("HRD-01: Answered in place, but 1 automated check result(s) fail.")
        await pilot.press("enter")
        await settle(pilot, app)
        assert isinstance(app.screen, QuestionnaireScreen)
        assert app.screen.panel.control_id == "HRD-01"


async def test_the_command_palette_jumps_to_a_control_by_title(app_factory, engagement: Path) -> None:
    app = app_factory(engagement)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await type_text(pilot, "rotation")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await settle(pilot, app)
        assert isinstance(app.screen, QuestionnaireScreen)
        assert app.screen.panel.control_id == "SEC-02"
        assert isinstance(app.screen.panel.form, QuestionForm)
