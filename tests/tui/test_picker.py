"""The engagement picker: create an engagement, reopen a recent one, and fail clearly."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input, OptionList, SelectionList

from auditprep.store import Engagement
from auditprep.tui.dialogs.engagement import CreateEngagementDialog
from auditprep.tui.dialogs.error import ErrorDialog
from auditprep.tui.screens.dashboard import DashboardScreen
from auditprep.tui.screens.picker import PickerScreen

from .helpers import ready, settle, type_text


async def test_create_an_engagement_from_the_picker(app_factory, tmp_path: Path, recent) -> None:
    app = app_factory()
    async with app.run_test(size=(100, 34)) as pilot:
        await settle(pilot, app)
        assert isinstance(app.screen, PickerScreen)
        await pilot.press("n")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, CreateEngagementDialog)
        await type_text(pilot, "Card platform 2026")
        assert dialog.query_one("#path", Input).value == str(tmp_path / "card-platform-2026.engagement")
        dialog.query_one("#organisation", Input).value = "Larkspur Health"
        frameworks = dialog.query_one("#frameworks", SelectionList)
        frameworks.select("pci-dss")
        frameworks.select("hipaa")
        dialog.query_one("#regions", Input).value = "eu-west-1, us-east-1"
        dialog.query_one("#hosts", Input).value = "ssh://build-01"
        await pilot.press("ctrl+s")
        await ready(pilot, app)
        assert isinstance(app.screen, DashboardScreen)

    created = tmp_path / "card-platform-2026.engagement"
    with Engagement.open(created, readonly=True) as eng:
        info = eng.info()
        assert (info.name, info.organisation, info.frameworks) == (
            "Card platform 2026",
            "Larkspur Health",
            ("pci-dss", "hipaa"),
        )
        assert eng.scope_items() == [
            ("aws_region", "eu-west-1", ""),
            ("aws_region", "us-east-1", ""),
            ("docker_host", "ssh://build-01", ""),
        ]
        assert info.created_by == "tester@larkspur"
    assert [e.path for e in recent.load()] == [created.resolve()]


async def test_the_create_form_refuses_what_it_cannot_create(app_factory, tmp_path: Path, engagement: Path) -> None:
    app = app_factory()
    async with app.run_test(size=(100, 34)) as pilot:
        await settle(pilot, app)
        await pilot.press("n")
        await pilot.pause()
        dialog = app.screen
        await pilot.press("ctrl+s")
        assert "name" in str(dialog.query_one(".problem").render())
        dialog.query_one("#name", Input).value = "Anything"
        await pilot.pause()
        dialog.query_one("#path", Input).value = str(engagement)
        await pilot.pause()
        await pilot.press("ctrl+s")
        assert "already exists" in str(dialog.query_one(".problem").render())
        dialog.query_one("#path", Input).value = str(tmp_path / "new.auditprep")
        await pilot.pause()
        await pilot.press("ctrl+s")
        assert "framework" in str(dialog.query_one(".problem").render())
        assert app.screen is dialog
    assert not (tmp_path / "new.auditprep").exists()


async def test_recent_engagements_reopen_with_enter(app_factory, engagement: Path, recent) -> None:
    recent.remember(engagement, "Payments platform 2026", app_factory().now())
    app = app_factory()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        options = app.screen.query_one("#recent", OptionList)
        assert options.option_count == 1
        assert "Payments platform 2026" in str(options.get_option_at_index(0).prompt)
        await pilot.press("enter")
        await ready(pilot, app)
        assert isinstance(app.screen, DashboardScreen)
        assert app.session.info.name == "Payments platform 2026"


async def test_a_file_that_is_not_an_engagement_gives_one_clear_sentence(app_factory, tmp_path: Path) -> None:
    bogus = tmp_path / "notes.txt"
    bogus.write_text("not a database")
    app = app_factory(bogus)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        dialog = app.screen
        assert isinstance(dialog, ErrorDialog)
        assert dialog.title_text == "Engagement file"
        assert dialog.message == f"{bogus} is not an auditprep engagement file (it is not a SQLite database)."
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, PickerScreen)
        assert app.session is None


async def test_open_an_engagement_file_from_the_picker(app_factory, engagement: Path) -> None:
    app = app_factory()
    async with app.run_test(size=(100, 34)) as pilot:
        await settle(pilot, app)
        await pilot.press("o")
        await pilot.pause()
        app.screen.query_one("#path", Input).value = str(engagement.parent / "nothing-here.auditprep")
        await pilot.press("enter")
        await pilot.pause()
        assert "is not a file" in str(app.screen.query_one(".problem").render())
        app.screen.query_one("#path", Input).value = str(engagement)
        await pilot.press("enter")
        await ready(pilot, app)
        assert isinstance(app.screen, DashboardScreen)
        assert app.session.engagement.path == engagement
