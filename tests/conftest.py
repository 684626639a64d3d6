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
