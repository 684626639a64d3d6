"""Snapshots of the key screens at 80x24 and 120x36, with a frozen clock and fixed data.

Update them after an intended change with ``pytest tests/tui/test_snapshots.py --snapshot-update``
and look at the report before committing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from auditprep.tui.screens.questionnaire import QuestionnaireScreen

from .helpers import ready, settle

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 36), id="120x36")]


@pytest.fixture(autouse=True)
def stable_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Nothing from this machine may show: no DOCKER_HOST, no AWS profiles."""
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))


def go(*keys: str, control: str | None = None):
    async def run_before(pilot) -> None:
        app = pilot.app
        if app.session is not None or app._start_path is not None:
            await ready(pilot, app)
        else:
            await settle(pilot, app)
        for key in keys:
            await pilot.press(key)
            await settle(pilot, app)
        if control is not None:
            screen = app.screen
            assert isinstance(screen, QuestionnaireScreen)
            screen.show_control(control)
            await settle(pilot, app)

    return run_before


@pytest.mark.parametrize("size", SIZES)
def test_picker_for_a_new_user(snap_compare, app_factory, size) -> None:
    assert snap_compare(app_factory(), terminal_size=size, run_before=go())


@pytest.mark.parametrize("size", SIZES)
def test_dashboard(snap_compare, app_factory, engagement, size) -> None:
    assert snap_compare(app_factory(engagement), terminal_size=size, run_before=go())


def test_dashboard_light_theme(snap_compare, app_factory, engagement) -> None:
    assert snap_compare(app_factory(engagement, theme="textual-light"), terminal_size=(120, 36), run_before=go())


@pytest.mark.parametrize("size", SIZES)
def test_questionnaire(snap_compare, app_factory, engagement, size) -> None:
    assert snap_compare(app_factory(engagement), terminal_size=size, run_before=go("2", control="HRD-01"))


@pytest.mark.parametrize("size", SIZES)
def test_questionnaire_in_review_mode(snap_compare, app_factory, engagement, tmp_path, size) -> None:
    app = app_factory(engagement, review=True, review_file=tmp_path / "review.json")
    assert snap_compare(app, terminal_size=size, run_before=go("2", control="LOG-01"))


@pytest.mark.parametrize("size", SIZES)
def test_explain_concepts(snap_compare, app_factory, engagement, size) -> None:
    assert snap_compare(app_factory(engagement), terminal_size=size, run_before=go("2", "f1"))


@pytest.mark.parametrize("size", SIZES)
def test_evidence(snap_compare, app_factory, engagement, size) -> None:
    assert snap_compare(app_factory(engagement), terminal_size=size, run_before=go("3"))


@pytest.mark.parametrize("size", SIZES)
def test_collect(snap_compare, app_factory, engagement, size) -> None:
    assert snap_compare(app_factory(engagement), terminal_size=size, run_before=go("4"))


@pytest.mark.parametrize("size", SIZES)
def test_concepts(snap_compare, app_factory, engagement, size) -> None:
    assert snap_compare(app_factory(engagement), terminal_size=size, run_before=go("6"))
