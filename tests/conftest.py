"""Shared fixtures for the core tests: a small questionnaire tree and engagement factories."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def mini(tmp_path: Path) -> Path:
    """A private copy of the minimal valid questionnaire tree, for tests to break."""
    dest = tmp_path / "q"
    shutil.copytree(FIXTURES / "mini", dest)
    return dest


class FrozenClock:
    """A clock that advances one second per call, so event times are distinct and reproducible."""

    def __init__(self, start: datetime = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)):
        self.now = start

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


@pytest.fixture(autouse=True, scope="session")
def private_user_folders(tmp_path_factory: pytest.TempPathFactory):
    """The recent list, logs and other per-user files go to a folder of the test run, never to the
    home of whoever runs the tests (subprocesses inherit it)."""
    import os

    folder = tmp_path_factory.mktemp("user-data")
    saved = os.environ.get("XDG_DATA_HOME")
    os.environ["XDG_DATA_HOME"] = str(folder)
    yield folder
    if saved is None:
        os.environ.pop("XDG_DATA_HOME", None)
    else:
        os.environ["XDG_DATA_HOME"] = saved


@pytest.fixture(autouse=True)
def quick_event_history(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """CloudTrail allows 2 LookupEvents a second per account and region, and the collectors keep to
    it: about four seconds of every collection. moto has no such limit, so collections run in this
    process read the event history at full speed, as the short retry sleeps do for back-off. Tests
    marked ``real_limits`` and collections run as a separate ``auditprep`` process keep the real rule."""
    if request.node.get_closest_marker("real_limits"):
        return
    from auditprep.collect.aws import ratelimit

    fast = ratelimit.Rule(1000, 1000, "tests: moto has no LookupEvents limit")
    monkeypatch.setitem(ratelimit.OPERATION_RULES, ("cloudtrail", "LookupEvents"), fast)


class DemoPdfs:
    """The demo engagement, built once, and its PDFs, each rendered the first time a test asks for
    it. weasyprint takes tens of seconds per report: the tests that only read the demo's PDFs share
    these rather than render their own (they are grouped on one worker when the suite runs in
    parallel, see ``pytest_collection_modifyitems``)."""

    def __init__(self, folder: Path):
        from auditprep.catalog import load_catalog
        from auditprep.demo import build_demo

        self.catalog = load_catalog()
        self.folder = folder
        self.path = folder / "demo.engagement"
        build_demo(self.path, self.catalog)
        self._pdfs: dict[str, Path] = {}

    def pdf(self, which: str) -> Path:
        """``which`` is a framework id, or ``playbook``."""
        if which not in self._pdfs:
            from auditprep.report import render_report
            from auditprep.store import Engagement

            with Engagement.open(self.path, readonly=True) as eng:
                self._pdfs[which] = render_report(
                    eng,
                    self.catalog,
                    framework=None if which == "playbook" else which,
                    fmt="pdf",
                    kind="playbook" if which == "playbook" else "framework",
                    out=self.folder / f"{which}.pdf",
                )
        return self._pdfs[which]


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoPdfs:
    """The demo engagement (open it read-only) and its PDFs, shared by the session."""
    return DemoPdfs(tmp_path_factory.mktemp("demo"))


# Fixtures whose state lives outside the test process and is shared by the tests that use them:
# the Docker lab (containers, images and a swarm on the one daemon) and the demo's PDFs (rendered
# once). When the suite runs on several workers (pytest-xdist, ``--dist loadgroup``), every test
# that uses one of them runs on the same worker, so the lab is built once and the PDFs rendered once.
_GROUPS = {
    "lab": "docker-lab",
    "docker_api": "docker-lab",
    "real": "docker-lab",
    "demo": "demo-pdfs",
}


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups from the markers
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        names = getattr(item, "fixturenames", ())
        group = next((g for f, g in _GROUPS.items() if f in names), None)
        if group:
            item.add_marker(pytest.mark.xdist_group(group))
