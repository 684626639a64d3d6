"""OUT is written atomically: a clear sentence on failure, and never half a file."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest

from auditprep.report import ReportError, render_report
from auditprep.report.output import write_atomic


def test_missing_folder_and_folder_as_out(synthetic, catalog, tmp_path: Path) -> None:
    with pytest.raises(ReportError, match=r"cannot write .*missing/r.json: the folder .*missing does not exist\."):
        render_report(synthetic, catalog, framework="pci-dss", fmt="json", out=tmp_path / "missing" / "r.json")
    with pytest.raises(ReportError, match=r"it is a folder; give a file name\."):
        render_report(synthetic, catalog, framework="pci-dss", fmt="json", out=tmp_path)
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ReportError, match=r"cannot write"):
        render_report(synthetic, catalog, framework="pci-dss", fmt="json", out=blocker / "r.json")


def test_a_full_disk_leaves_the_previous_report_untouched(tmp_path: Path) -> None:
    """A full disk cannot be arranged safely in a test, so the writer raises the error a full disk gives."""
    out = tmp_path / "report.pdf"
    out.write_bytes(b"previous report")

    def fills_the_disk(fh) -> None:
        fh.write(b"%PDF-1.7 half")
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(ReportError) as err:
        write_atomic(out, fills_the_disk)
    assert err.value.message == f"cannot write {out}: the disk is full; no file was written."
    assert out.read_bytes() == b"previous report"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.pdf"]


def test_an_interrupted_render_leaves_no_temporary_file(tmp_path: Path) -> None:
    out = tmp_path / "report.html"

    def interrupted(fh) -> None:
        fh.write(b"<html>")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_atomic(out, interrupted)
    assert list(tmp_path.iterdir()) == []


def test_success_replaces_out_in_one_step(synthetic, catalog, tmp_path: Path) -> None:
    out = tmp_path / "r.csv"
    out.write_text("old")
    assert render_report(synthetic, catalog, framework="hipaa", fmt="csv", out=out) == out
    assert out.read_text().startswith("framework,section,requirement_id")
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("synthetic")) == ["r.csv"]
