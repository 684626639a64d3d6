"""The control's history view in the questionnaire: key h opens it, over the real engagement file."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import TextArea

from auditprep.tui.dialogs.history import ControlHistoryDialog

from .helpers import ready, settle
from .test_questionnaire import open_control


async def test_h_shows_the_controls_state_after_each_collection_and_its_evidence(app_factory, engagement: Path) -> None:
    app = app_factory(engagement)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        await open_control(pilot, app, "HRD-01")
        await pilot.press("h")
        await settle(pilot, app)
        assert isinstance(app.screen, ControlHistoryDialog)
        text = app.screen.query_one("#history-text", TextArea).text
        assert text.startswith("HRD-01 ")
        assert "1 evaluation(s)" in text and "State after each collection:" in text
        assert "not in place" in text  # the builder's privileged container fails the control's check
        assert "Evidence: " in text
        await pilot.press("escape")
        await settle(pilot, app)
        assert not isinstance(app.screen, ControlHistoryDialog)


def test_the_dashboard_points_at_controls_resting_on_stale_evidence(engagement: Path, catalog) -> None:
    from datetime import timedelta

    from kit import T0, frozen

    from auditprep.store import Engagement
    from auditprep.tui.session import Session
    from auditprep.tui.suggestions import next_steps

    def stale_steps(days: int) -> list[str]:
        s = Session(Engagement.open(engagement, clock=frozen(T0 + timedelta(days=days))), catalog, actor="tester")
        try:
            return [st.text for st in next_steps(s, s.collection_state(), limit=20) if "stale" in st.text]
        finally:
            s.close()

    assert stale_steps(1) == []
    (step,) = stale_steps(120)
    assert "rest on stale evidence" in step and "freshness 90 days" in step and step.endswith("Collect again.")
