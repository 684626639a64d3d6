"""The wheel carries questionnaires/ and templates/ and the installed package finds them."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(ROOT)],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0 and "No module named 'hatchling'" in proc.stderr:
        proc = subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)],
            capture_output=True,
            text=True,
        )
    assert proc.returncode == 0, proc.stderr
    return next(out.glob("auditprep-*.whl"))


def test_wheel_contains_the_data_folders(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    assert "auditprep/_data/questionnaires/themes.yaml" in names
    assert any(n.startswith("auditprep/_data/questionnaires/controls/") for n in names)
    assert any(n.startswith("auditprep/_data/questionnaires/frameworks/") for n in names)
    assert any(n.startswith("auditprep/_data/templates/") for n in names)
    assert "auditprep/demo/recording.json" in names
    # FedRAMP's schemas the SDR and VDR are validated against travel with the package
    for name in ("security-decision-record", "vulnerability-detail-report", "common-definitions"):
        assert f"auditprep/schemas/fedramp-20x/fedramp-{name}-schema-2026-06-24.json" in names
    assert not any(n.startswith(("tests/", "benchmarks/")) for n in names)


def test_installed_wheel_finds_its_data_away_from_the_checkout(wheel: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    code = (
        "import auditprep.paths as p, sys; print(p.questionnaires_dir()); print(p.templates_dir()); "
        "from auditprep.cli import main; sys.argv=['auditprep','frameworks']; main()"
    )
    env = {**os.environ, "PYTHONPATH": str(site)}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, env=env)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == str(site / "auditprep" / "_data" / "questionnaires")
    assert lines[1] == str(site / "auditprep" / "_data" / "templates")
    assert any(line.startswith("pci-dss") for line in lines)
