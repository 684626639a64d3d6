"""The exception form's compensating-control worksheet and the addressable-decision form, through Pilot."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input, Select, TextArea

from auditprep.store import Engagement
from auditprep.store.workpapers import FIELD_KEYS, decisions, worksheets
from auditprep.tui.dialogs.decision import DecisionDialog
from auditprep.tui.dialogs.forms import ExceptionDialog

from .helpers import ready, settle
from .test_questionnaire import open_control


async def test_the_exception_form_records_the_worksheet_fields_given(app_factory, engagement: Path) -> None:
    app = app_factory(engagement)
    async with app.run_test(size=(120, 48)) as pilot:
        await ready(pilot, app)
        screen = await open_control(pilot, app, "SEC-01")
        await pilot.press("x")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ExceptionDialog)
        assert [w.id for w in dialog.query(Input) if (w.id or "").startswith("ws-")] == [f"ws-{k}" for k in FIELD_KEYS]
        dialog.query_one("#owner", Input).value = "Head of platform"
        dialog.query_one("#rationale", TextArea).load_text("Legacy worker keeps its env secret until March.")
        dialog.query_one("#expires", Input).value = "2027-03-31"
        dialog.query_one("#ws-constraints", Input).value = "The vendor image reads its key from the environment."
        dialog.query_one("#ws-approver", Input).value = "Priya Raman, CISO"
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        assert app.screen is screen
    with Engagement.open(engagement, readonly=True) as eng:
        [exc] = [e for e in eng.exceptions() if e.control_id == "SEC-01"]
        sheet = worksheets(eng)[exc.id or 0]
    assert sheet.fields == {"constraints": "The vendor image reads its key from the environment.",
                            "approver": "Priya Raman, CISO"}  # fmt: skip
    assert sheet.recorded_by == "tester@larkspur" and not sheet.complete and len(sheet.missing()) == 6


async def test_the_decision_form_needs_reasons_and_records_who_decided(app_factory, engagement: Path) -> None:
    app = app_factory(engagement)
    async with app.run_test(size=(120, 48)) as pilot:
        await ready(pilot, app)
        screen = await open_control(pilot, app, "SEC-01")
        await pilot.press("d")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, DecisionDialog)
        spec = dialog.query_one("#spec", Select)
        spec.value = "164.312(a)(2)(iv)"
        dialog.query_one("#decision", Select).value = "not-reasonable"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "Write down why" in str(dialog.query_one(".problem").render())
        dialog.query_one("#rationale", TextArea).load_text("No ePHI is stored on these hosts.")
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        assert app.screen is screen
    with Engagement.open(engagement, readonly=True) as eng:
        d = decisions(eng)["164.312(a)(2)(iv)"]
    assert (d.decision, d.rationale, d.decided_by) == ("not-reasonable", "No ePHI is stored on these hosts.",
                                                       "tester@larkspur")  # fmt: skip
