"""Clearing a date field and typing a new date fast, then leaving at once, keeps the new date."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input

from .helpers import ready, settle, type_text
from .test_questionnaire import open_control, stored


@pytest.mark.parametrize("leave", ["tab", "escape", "enter", "quit"])
async def test_fast_clear_and_retype_is_never_lost(app_factory, engagement: Path, leave: str) -> None:
    app = app_factory(engagement)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot, app)
        screen = await open_control(pilot, app, "HRD-01")
        field = screen.panel.form.query_one("#q2-date", Input)
        field.focus()
        await type_text(pilot, "2026-10-15")
        await pilot.press("enter")
        await settle(pilot, app)
        assert stored(engagement)["HRD-01.reviewed"][0] == "2026-10-15"
        for attempt in ("2026-11-30", "2026-12-01", "2027-01-02"):
            await pilot.press(*["backspace"] * 10)
            await type_text(pilot, attempt)
            if leave == "quit":
                await pilot.press("ctrl+q")
                break
            await pilot.press(leave)
            await settle(pilot, app)
            assert stored(engagement)["HRD-01.reviewed"][0] == attempt
            field.focus()
            await pilot.press("end")
    assert stored(engagement)["HRD-01.reviewed"][0] == ("2026-11-30" if leave == "quit" else "2027-01-02")
