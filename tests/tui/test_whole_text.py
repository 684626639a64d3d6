"""Nothing a person needs is cut off at 80x24 or 120x36: theme names are whole on the dashboard,
and where a tree row or a table cell must be cut to fit, the highlighted one is shown whole below it."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import DataTable, Label

from auditprep.tui.widgets.control_tree import ControlTree
from auditprep.tui.widgets.progress import ProgressTable

from .helpers import ready, settle

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 36), id="120x36")]


@pytest.mark.parametrize("size", SIZES)
async def test_dashboard_theme_names_are_whole(app_factory, engagement: Path, size) -> None:
    app = app_factory(engagement)
    async with app.run_test(size=size) as pilot:
        await ready(pilot, app)
        table = app.screen.query_one(ProgressTable)
        rendered = table.render().plain
        for row in table.rows:
            assert row.title in rendered
        assert "…" not in rendered


@pytest.mark.parametrize("size", SIZES)
async def test_the_highlighted_control_and_evidence_are_shown_whole(app_factory, engagement: Path, size) -> None:
    app = app_factory(engagement)
    async with app.run_test(size=size) as pilot:
        await ready(pilot, app)
        await pilot.press("2")
        await settle(pilot, app)
        tree = app.screen.query_one(ControlTree)
        tree.focus()
        await pilot.press("down", "down")
        await settle(pilot, app)
        node = tree.cursor_node
        assert node is not None
        whole = app.screen.query_one("#tree-whole", Label)
        assert str(whole.render()).strip() == node.label.plain.strip()
        assert whole.size.height >= 1 and whole.region.right <= size[0]

        await pilot.press("3")
        await settle(pilot, app)
        table = app.screen.query_one("#evidence-table", DataTable)
        table.focus()
        await pilot.press("down")
        await settle(pilot, app)
        item = app.screen.shown[table.cursor_row]
        shown = str(app.screen.query_one("#evidence-whole", Label).render())
        for part in (item.id, item.scope, item.resource, item.message):
            assert part in shown


async def test_quit_stays_in_the_footer_on_every_section_at_80_columns(app_factory, engagement: Path) -> None:
    from textual.widgets._footer import FooterKey

    app = app_factory(engagement)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot, app)
        for section in "123456":
            await pilot.press(section)
            await settle(pilot, app)
            keys = {k.description: k for k in app.screen.query(FooterKey)}
            assert "Quit" in keys, section
            palette = keys.get("palette")
            edge = palette.region.x if palette is not None else 80  # the palette key sits over the right end
            assert keys["Quit"].region.right <= edge and keys["Quit"].region.width > 0, section
