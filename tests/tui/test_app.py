"""Conventions that hold everywhere: help, themes, the mouse, and a command palette that offers
only what makes sense where it was opened."""

from __future__ import annotations

from pathlib import Path

from auditprep.store import Engagement
from auditprep.tui.dialogs.help import HelpDialog
from auditprep.tui.screens.evidence import EvidenceScreen
from auditprep.tui.screens.questionnaire import QuestionnaireScreen

from .helpers import ready, settle


async def test_help_and_the_light_theme(app_factory, engagement: Path) -> None:
    app = app_factory(engagement)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot, app)
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpDialog)
        assert "ctrl+q" in str(app.screen.query_one("#help-text").render())
        await pilot.press("escape")
        await pilot.pause()
        assert app.current_theme.dark
        await pilot.press("ctrl+t")
        await pilot.pause()
        assert not app.current_theme.dark and app.theme == "textual-light"


async def test_the_mouse_works_for_sections_and_answers(app_factory, engagement: Path) -> None:
    app = app_factory(engagement)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        # the section names at the top are clickable
        column = str(app.screen.query_one("NavBar").render()).index("3 Evidence")
        assert await pilot.click("NavBar", offset=(column + 3, 0))
        await settle(pilot, app)
        assert isinstance(app.screen, EvidenceScreen)
        await pilot.press("2")
        await settle(pilot, app)
        screen = app.screen
        screen.show_control("HRD-02")
        await settle(pilot, app)
        picker = screen.panel.form.query_one("#q0-status")
        # " ○ Yes " (7 cells) and a space, then " ○ Partial " (11) and a space, then " ○ No "
        assert await pilot.click(picker, offset=(21, 0))
        await settle(pilot, app)
    with Engagement.open(engagement, readonly=True) as eng:
        assert eng.answers()["HRD-02.status"].value == "no"


async def palette_entries(pilot, app, query: str) -> list[str]:
    from textual.command import CommandInput, CommandList

    await pilot.press("ctrl+p")
    await pilot.pause()
    app.screen.query_one(CommandInput).value = query
    await pilot.pause(0.3)
    options = app.screen.query_one(CommandList)
    entries = [str(options.get_option_at_index(i).prompt).split("\n")[0] for i in range(options.option_count)]
    await pilot.press("escape")
    await pilot.pause()
    return entries


async def test_the_palette_offers_what_fits_the_screen(app_factory, engagement: Path, tmp_path: Path) -> None:
    app = app_factory(engagement)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        offered = await palette_entries(pilot, app, "")
        assert "Run a collection" in offered and "Go to Questionnaire" in offered
        assert not any(e.startswith("Attest") for e in offered), "nothing about a control on the dashboard"
        await pilot.press("2")
        await settle(pilot, app)
        assert isinstance(app.screen, QuestionnaireScreen)
        offered = await palette_entries(pilot, app, "")
        for entry in (
            "Attest HRD-01",
            "Record an exception for HRD-01",
            "Explain the concepts of HRD-01",
            "Render the PCI DSS 4.0.1 report as PDF",
            "Go to Dashboard",
        ):
            assert entry in offered, entry
        assert "Go to Questionnaire" not in offered
        assert "Explain: Linux capabilities" in await palette_entries(pilot, app, "explain cap")

    review = app_factory(engagement, review=True, review_file=tmp_path / "review.json")
    async with review.run_test(size=(120, 40)) as pilot:
        await ready(pilot, review)
        await pilot.press("2")
        await settle(pilot, review)
        offered = await palette_entries(pilot, review, "")
        assert "Comment on HRD-01" in offered and "Flag or unflag HRD-01" in offered
        assert "Attest HRD-01" not in offered and "Run a collection" not in offered


async def test_escape_leaves_a_text_field_and_q_and_question_mark_work_outside_it(
    app_factory, engagement: Path
) -> None:
    from textual.widgets import Input

    from auditprep.tui.dialogs.help import HelpDialog
    from auditprep.tui.screens.concepts import ConceptsScreen
    from auditprep.tui.screens.dashboard import DashboardScreen

    from .helpers import ready, settle

    app = app_factory(engagement)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        await pilot.press("6")
        await settle(pilot, app)
        assert isinstance(app.screen, ConceptsScreen)
        search = app.screen.query_one("#concept-search", Input)
        search.focus()
        await pilot.press("f", "a", "r", "g", "a", "t", "e", "3", "q", "question_mark")
        await settle(pilot, app)
        assert search.value == "fargate3q?" and app.is_running  # typed, not acted on
        await pilot.press("escape")
        await settle(pilot, app)
        assert not isinstance(app.screen.focused, Input)
        await pilot.press("question_mark")
        await settle(pilot, app)
        assert isinstance(app.screen, HelpDialog)
        await pilot.press("escape")
        await settle(pilot, app)
        await pilot.press("1")
        await settle(pilot, app)
        assert isinstance(app.screen, DashboardScreen)
        await pilot.press("q")
        await settle(pilot, app)
    assert not app.is_running


async def test_an_idle_assistant_redraws_nothing(app_factory, engagement: Path) -> None:
    """Nothing animates out of sight: the opening spinner under the workspace used to redraw the
    screen sixteen times a second for as long as the assistant stayed open."""
    import asyncio

    from textual.widget import Widget

    app = app_factory(engagement)
    redraws: list[str] = []
    original = Widget.refresh

    def counting(self: Widget, *args: object, **kwargs: object) -> Widget:
        redraws.append(type(self).__name__)
        return original(self, *args, **kwargs)  # type: ignore[arg-type]

    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot, app)
        for section in ("1", "2", "3", "4", "5", "6", "1"):
            await pilot.press(section)
            await settle(pilot, app)
        Widget.refresh = counting  # type: ignore[method-assign]
        try:
            await asyncio.sleep(1.0)
        finally:
            Widget.refresh = original  # type: ignore[method-assign]
    assert redraws == []


async def test_down_leaves_a_search_box_for_its_results_and_enter_opens_the_only_match(
    app_factory, engagement: Path
) -> None:
    from textual.widgets import Input, OptionList

    from auditprep.tui.widgets.control_tree import ControlTree

    from .helpers import type_text

    app = app_factory(engagement)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot, app)
        await pilot.press("6", "slash")
        await settle(pilot, app)
        assert isinstance(app.screen.focused, Input)
        await pilot.press("down")
        await settle(pilot, app)
        results = app.screen.query_one("#concept-list", OptionList)
        assert app.screen.focused is results
        first = results.highlighted
        await pilot.press("down")  # now it moves within the list
        assert results.highlighted == (first or 0) + 1

        await pilot.press("2", "slash")
        await settle(pilot, app)
        tree = app.screen.query_one(ControlTree)
        only = sorted(tree.nodes_by_control)[-1]
        await type_text(pilot, only)
        await settle(pilot, app)
        assert list(tree.nodes_by_control) == [only]
        await pilot.press("enter")
        await settle(pilot, app)
        panel = app.screen.query_one("#control-panel")
        assert panel.control_id == only
        assert app.screen.focused is not None and panel in app.screen.focused.ancestors  # its form, ready to answer


async def test_ticked_and_unticked_boxes_differ_in_shape(app_factory, engagement: Path) -> None:
    from auditprep.tui.widgets.tick import Tick

    app = app_factory(engagement)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot, app)
        await pilot.press("2")
        await settle(pilot, app)
        box = app.screen.query_one("#filter-unanswered", Tick)
        box.value = False
        await settle(pilot, app)
        off = box.render().plain
        box.value = True
        await settle(pilot, app)
        on = box.render().plain
    assert "✓" in on and "✓" not in off and on.replace("✓", " ") == off
