"""Fixtures for the TUI tests: the small questionnaire tree, an engagement built through the
store API, an app factory with a frozen clock, and the real moto server and Docker daemon
fixtures of the collector tests (imported, not copied)."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

# The moto server of the AWS tests (tests/aws is a package beside this one).
from aws.conftest import aws, fault_proxy, moto_endpoint, short_retry_sleeps, trail  # noqa: F401
from kit import T0, build_engagement, frozen

from auditprep.application.recent import RecentList
from auditprep.catalog import Catalog, load_catalog
from auditprep.tui import make_app
from auditprep.tui.app import AuditprepApp

HERE = Path(__file__).resolve().parent
TESTS = HERE.parent


def _docker_fixtures() -> Any:
    """The Docker tests' conftest, loaded by path (its folder is not a package)."""
    folder = TESTS / "docker"
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))
    spec = importlib.util.spec_from_file_location("docker_daemon_fixtures", folder / "conftest.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


docker_url = _docker_fixtures().docker_url

CATALOG_DIR = HERE / "fixtures" / "catalog"
NOW = T0.replace(day=3, hour=10)  # the day after the fixture engagement was recorded


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return load_catalog(CATALOG_DIR)


@pytest.fixture
def engagement(tmp_path: Path, catalog: Catalog) -> Path:
    return build_engagement(tmp_path / "payments.auditprep", catalog)


@pytest.fixture
def recent(tmp_path: Path) -> RecentList:
    return RecentList(tmp_path / "recent.json")


AppFactory = Callable[..., AuditprepApp]


@pytest.fixture
def app_factory(catalog: Catalog, recent: RecentList, tmp_path: Path) -> AppFactory:
    """make_app with the test catalog, a frozen clock, a fixed actor and a private recent list."""

    def build(engagement: Path | None = None, **kwargs: Any) -> AuditprepApp:
        kwargs.setdefault("catalog", catalog)
        kwargs.setdefault("clock", frozen(NOW))
        kwargs.setdefault("actor", "tester@larkspur")
        kwargs.setdefault("recent", recent)
        kwargs.setdefault("start_dir", tmp_path)
        app = make_app(engagement, **kwargs)
        app.animation_level = "none"  # Pilot waits for animations after every key
        return app

    return build
