"""Fixtures for the import tests: the shipped catalog and mapping tables, and an engagement to import into."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from auditprep.catalog import Catalog, load_catalog
from auditprep.imports import ImportMappings, load_mappings
from auditprep.store import Engagement

SAMPLES = Path(__file__).resolve().parent / "samples"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture(scope="session")
def mappings(catalog: Catalog) -> ImportMappings:
    return load_mappings(catalog)


@pytest.fixture
def engagement(tmp_path: Path) -> Engagement:
    eng = Engagement.create(
        tmp_path / "acme.engagement",
        name="acme",
        organisation="Acme",
        frameworks=["pci-dss"],
        actor="ana",
        clock=Clock(),
    )
    yield eng
    eng.close()


@pytest.fixture
def samples() -> Path:
    return SAMPLES
