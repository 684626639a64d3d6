"""The package's PDF reports: rendered side by side in worker processes, and taken from the cache
only while nothing they show has changed (real weasyprint PDFs, read back with pypdf)."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from kit import MINI, T0, Clock
from kit import build_every_record as build_engagement
from pypdf import PdfReader
from test_pkg_export import members

from auditprep.catalog import load_catalog
from auditprep.models import Answer
from auditprep.package import export_package
from auditprep.package.pdfs import cache_dir
from auditprep.store import Engagement


@pytest.fixture
def two_frameworks(tmp_path: Path):
    """The mini questionnaires with a second framework (a copy of the first under another id)."""
    root = tmp_path / "catalog"
    shutil.copytree(MINI, root)
    text = (root / "frameworks" / "pci-dss.yaml").read_text()
    (root / "frameworks" / "hipaa.yaml").write_text(text.replace("id: pci-dss", "id: hipaa", 1))
    return load_catalog(root)


@pytest.fixture(autouse=True)
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "report-cache"
    monkeypatch.setenv("AUDITPREP_REPORT_CACHE", str(folder))
    return folder


def _export(eng: Engagement, catalog, out: Path) -> tuple[dict[str, bytes], list[tuple[str, int, int]]]:
    seen: list[tuple[str, int, int]] = []
    export_package(eng, catalog, out, progress=lambda fid, done, total: seen.append((fid, done, total)))
    files = members(out)
    return {k: v for k, v in files.items() if k.startswith("reports/")}, seen


def test_reports_render_side_by_side_and_an_unchanged_one_comes_from_the_cache(
    two_frameworks, tmp_path: Path, own_cache: Path
):
    with Engagement.create(
        tmp_path / "acme.engagement",
        name="acme",
        organisation="Acme",
        frameworks=["pci-dss", "hipaa"],
        actor="ana",
        clock=Clock(),
    ) as e:
        first, seen = _export(e, two_frameworks, tmp_path / "1.zip")
        assert sorted(first) == ["reports/hipaa.pdf", "reports/pci-dss.pdf"]
        assert seen[0] == ("", 0, 2) and sorted(f for f, _, _ in seen[1:]) == ["hipaa", "pci-dss"]
        for data in first.values():
            assert len(PdfReader(io.BytesIO(data)).pages) >= 1
        assert len(list(own_cache.glob("*.pdf"))) == 2

        again, seen = _export(e, two_frameworks, tmp_path / "2.zip")
        assert seen == [("", 2, 2)]  # both served from the cache, nothing rendered
        assert again == first

        e.record_answer(
            Answer(
                control_id="HRD-01",
                question_id="HRD-01.status",
                value="yes",
                narrative="fixed today",
                answered_by="bo",
                answered_at=T0,
            )
        )
        changed, seen = _export(e, two_frameworks, tmp_path / "3.zip")
        assert seen[0] == ("", 0, 2)  # a new engagement state finds nothing in the cache
        assert all(changed[k] != first[k] for k in first)


def test_a_damaged_cache_entry_is_never_served(catalog, tmp_path: Path, own_cache: Path):
    with build_engagement(tmp_path / "acme.engagement") as eng:
        good, _ = _export(eng, catalog, tmp_path / "1.zip")
        (entry,) = own_cache.glob("*.pdf")
        entry.write_bytes(entry.read_bytes()[:-200] + b"tampered")
        again, seen = _export(eng, catalog, tmp_path / "2.zip")
        assert seen[0] == ("", 0, 1) and again == good
    assert cache_dir() == own_cache
