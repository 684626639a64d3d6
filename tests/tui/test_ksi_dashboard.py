"""FedRAMP 20x on the dashboard and in status: Key Security Indicator verdicts by theme, beside the
controls-by-theme progress the other frameworks show. Run on the demo engagement with the real catalog."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from textual.widgets import Static

from auditprep.catalog import load_catalog
from auditprep.cli import main
from auditprep.demo import build_demo
from auditprep.store import Engagement

from .helpers import ready


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("ksi") / "demo.engagement"
    build_demo(path, load_catalog())
    return path


def _expected(demo: Path) -> dict:
    out = CliRunner().invoke(main, ["status", str(demo), "--json"])
    assert out.exit_code == 0, out.output
    return json.loads(out.output)["frameworks"]


def test_status_counts_every_ksi_in_its_theme(demo: Path) -> None:
    frameworks = _expected(demo)
    themes = frameworks["fedramp-20x"]["sections"]
    assert list(themes) == [s.id for s in load_catalog().frameworks["fedramp-20x"].sections]
    assert sum(t["requirements"] for t in themes.values()) == 46
    for t in themes.values():
        parts = ("in_place", "attested", "not_in_place", "exception", "not_tested", "not_covered", "not_applicable")
        assert sum(t[k] for k in parts) == t["requirements"]
    assert themes["KSI-PIY"]["not_covered"] == 3 and themes["KSI-CED"]["not_covered"] == 1
    # the totals agree with the framework's own verdict counts
    verdicts = frameworks["fedramp-20x"]["requirements"]
    assert sum(t["not_in_place"] for t in themes.values()) == verdicts.get("not_in_place", 0)
    # frameworks whose sections are not themes keep their status as it was
    assert "sections" not in frameworks["pci-dss"]
    text = CliRunner().invoke(main, ["status", str(demo)]).output
    assert "Requirement verdicts by theme:" in text and "KSI-CNA" in text


async def test_dashboard_shows_ksi_verdicts_by_theme(demo: Path, tmp_path: Path) -> None:
    from auditprep.application.recent import RecentList
    from auditprep.tui import make_app

    themes = _expected(demo)["fedramp-20x"]["sections"]
    with Engagement.open(demo, readonly=True) as eng:
        now = eng.clock()
    app = make_app(
        demo,
        catalog=load_catalog(),
        clock=lambda: now,
        actor="tester",
        recent=RecentList(tmp_path / "r.json"),
        start_dir=tmp_path,
    )
    app.animation_level = "none"
    async with app.run_test(size=(140, 50)) as pilot:
        await ready(pilot, app)
        shown = str(app.screen.query_one("#fw-fedramp-20x-sections", Static).render())
        assert shown.startswith("Verdicts by theme")
        for sid, t in themes.items():
            row = next(line for line in shown.splitlines() if line.startswith(sid))
            assert row.split()[1:] == [
                str(t[k])
                for k in (
                    "requirements",
                    "in_place",
                    "attested",
                    "not_in_place",
                    "exception",
                    "not_tested",
                    "not_covered",
                )
            ]
        assert not app.screen.query("#fw-pci-dss-sections")


async def test_the_report_screen_writes_the_sdr(demo: Path, tmp_path: Path) -> None:
    from textual.widgets import Input, Select

    from auditprep import schemas
    from auditprep.application.recent import RecentList
    from auditprep.tui import make_app

    from .helpers import settle

    with Engagement.open(demo, readonly=True) as eng:
        now = eng.clock()
    app = make_app(
        demo,
        catalog=load_catalog(),
        clock=lambda: now,
        actor="tester",
        recent=RecentList(tmp_path / "r.json"),
        start_dir=tmp_path,
    )
    app.animation_level = "none"
    async with app.run_test(size=(140, 50)) as pilot:
        await ready(pilot, app)
        await pilot.press("5")
        await settle(pilot, app)
        screen = app.screen
        screen.query_one("#report-framework", Select).value = "fedramp-20x"
        screen.query_one("#report-format", Select).value = "sdr"
        await settle(pilot, app)
        out = Path(screen.query_one("#report-path", Input).value)
        assert out.name.endswith("-fedramp-20x.sdr.json")
        await pilot.press("ctrl+s")
        for _ in range(50):
            await settle(pilot, app)
            if str(screen.query_one("#report-status").render()).startswith("Written"):
                break
        assert str(screen.query_one("#report-status").render()).startswith(f"Written to {out} (")
    assert schemas.problems(json.loads(out.read_text()), schemas.SDR) == []
