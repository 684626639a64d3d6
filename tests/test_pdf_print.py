"""The demo's PDFs as printed and as assistive technology reads them: tagged, nothing under 8 pt, no
label cut short, and the working papers on their pages (read back with pypdf)."""

from __future__ import annotations

import math
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def pdfs(demo) -> dict[str, Path]:
    return {which: demo.pdf(which) for which in ("hipaa", "pci-dss", "playbook")}


def _smallest_text(page) -> tuple[float, str]:  # type: ignore[no-untyped-def]
    found: list[tuple[float, str]] = []

    def visit(text, cm, tm, font, size) -> None:  # type: ignore[no-untyped-def]
        if text.strip():
            scale = math.hypot(tm[2], tm[3]) * math.hypot(cm[2], cm[3])
            found.append((size * scale, text.strip()[:40]))

    page.extract_text(visitor_text=visit)
    return min(found, default=(99.0, ""))


@pytest.mark.parametrize("which", ["hipaa", "pci-dss", "playbook"])
def test_pdfs_are_tagged_for_assistive_technology(pdfs: dict[str, Path], which: str) -> None:
    reader = PdfReader(pdfs[which])
    root = reader.trailer["/Root"]
    assert bool(root["/MarkInfo"]["/Marked"]) and "/StructTreeRoot" in root
    assert root["/Lang"] == "en" and reader.metadata.title
    if shutil.which("pdfinfo"):
        info = subprocess.run(["pdfinfo", str(pdfs[which])], capture_output=True, text=True, check=True).stdout
        assert "Tagged:          yes" in info


def test_no_text_is_printed_under_8_pt_and_no_label_is_cut_short(pdfs: dict[str, Path]) -> None:
    reader = PdfReader(pdfs["hipaa"])
    small = []
    for n, page in enumerate(reader.pages, 1):
        size, text = _smallest_text(page)
        if size < 7.95:
            small.append((n, round(size, 2), text))
        # labels wrap instead of being cut short: the only ellipsis left ends a shortened hash
        cut = [w for w in re.findall(r"(\S*)\u2026", page.extract_text()) if not re.fullmatch(r"@?[0-9a-f]{6,}", w)]
        assert cut == [], n
    assert small == []


def test_the_pdfs_carry_the_working_papers(pdfs: dict[str, Path]) -> None:
    pci = PdfReader(pdfs["pci-dss"])
    tail = "\n".join(p.extract_text() for p in pci.pages[-12:])
    assert "Appendix G. Evidence reference table" in tail and "DOC-01" in tail and "INT-01" in tail
    assert "Appendix H. Compensating control worksheets" in tail and "Exception 1: HRD-06" in tail
    assert "WORKSHEET INCOMPLETE" not in tail and "TRA-2026-07" in tail
    hipaa = PdfReader(pdfs["hipaa"])
    tail = "\n".join(p.extract_text() for p in hipaa.pages[-3:])
    assert "Appendix G. Decisions on addressable specifications" in tail
    assert "18 of 22 addressable specifications have no recorded decision" in " ".join(tail.split())


def test_playbook_commands_are_never_hyphenated_or_broken_inside_a_flag(pdfs: dict[str, Path]) -> None:
    text = "\n".join(p.extract_text() for p in PdfReader(pdfs["playbook"]).pages)
    assert "--expires-in-minutes 2880" in text
    for line in text.splitlines():
        assert not line.rstrip().endswith(("--", "-in-", "‐")), line  # a flag is never split across lines
