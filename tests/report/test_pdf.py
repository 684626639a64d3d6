"""Each framework's PDF, rendered from really collected evidence and read back with pypdf.

Only the pages a test checks are text-extracted (found through the PDF's own bookmarks), so the
whole module stays fast even though every report runs to dozens of pages.
"""

from __future__ import annotations

import re

import pytest
from pypdf import PdfReader
from reportkit import ATTACH_HTML, FRAMEWORKS

from auditprep.report.context import build_context

pytestmark = [pytest.mark.slow, pytest.mark.docker]


def outline(reader: PdfReader) -> list[tuple[int, str, int]]:
    """(level, title, page index) of every bookmark, in document order."""
    out: list[tuple[int, str, int]] = []

    def walk(items, level):
        for item in items:
            if isinstance(item, list):
                walk(item, level + 1)
            else:
                out.append((level, item.title, reader.get_destination_page_number(item)))

    walk(reader.outline, 1)
    return out


def page_text(reader: PdfReader, index: int) -> str:
    return reader.pages[index].extract_text()


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_framework_pdf_reads_back(framework, pdfs, real, catalog) -> None:
    ctx = build_context(real, catalog, framework)
    reader = PdfReader(pdfs[framework])
    marks = outline(reader)
    titles = [t for _, t, _ in marks]
    pages = len(reader.pages)
    assert 25 <= pages <= 400

    # metadata
    meta = reader.metadata
    fw = catalog.frameworks[framework]
    assert meta.title == f"{fw.name} {fw.version} container compliance report: larkspur-2026"
    assert meta.author == "Larkspur Pay"
    assert real.fingerprint() in meta.subject

    # bookmarks: every chapter, every section, and every requirement
    for chapter in (
        "1 Executive summary",
        "2 Scope and environment",
        "3 Requirements",
        "Appendix A. Container concepts for assessors",
        "Appendix B. Evidence index",
        "Appendix C. Collection gaps",
        "Appendix D. Requirements outside this tool's scope",
        "Appendix E. Methodology and tool",
    ):
        assert (1, chapter) in [(lvl, t) for lvl, t, _ in marks]
    requirement_marks = {t for lvl, t, _ in marks if lvl == 3}
    for req in fw.requirements:
        assert f"{req.id} {req.title}" in requirement_marks
    assert [p for _, _, p in marks] == sorted(p for _, _, p in marks)

    # nothing attached, anywhere
    assert reader.attachments == {}
    assert "/EmbeddedFiles" not in reader.trailer["/Root"].get("/Names", {})
    for page in reader.pages:
        for annot in page.get("/Annots") or []:
            assert annot.get_object().get("/Subtype") != "/FileAttachment"

    # fonts are embedded
    fonts = reader.pages[0]["/Resources"]["/Font"]
    for ref in fonts.values():
        descriptor = ref.get_object()["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
        assert {"/FontFile", "/FontFile2", "/FontFile3"} & set(descriptor)

    # cover: who, what, scope, and the fingerprint that pins the evidence
    cover = page_text(reader, 0)
    for expected in (
        "Larkspur Pay",
        f"{fw.name} {fw.version}",
        "larkspur-2026",
        "2026-01-01 to 2026-12-31",
        "123456789012",
        "210987654321",
        "us-east-1",
        "eu-west-1",
        "unix://",
        "auditprep 0.1.0",
    ):
        assert expected in cover
    assert real.fingerprint() in squash(cover)

    # running header and footer
    summary_page = next(p for lvl, t, p in marks if t == "1 Executive summary")
    text = page_text(reader, summary_page)
    assert f"Page {summary_page + 1} of {pages}" in text
    assert "Top gaps" in text or "Status by theme" in text

    # the first requirement HRD-01 addresses: narrative, resources, the conflict and its evidence hashes
    hrd = ctx["controls"]["HRD-01"]
    first = next(r["id"] for s in ctx["sections"] for r in s["requirements"] if "HRD-01" in r["controls"])
    start = next(p for lvl, t, p in marks if lvl == 3 and t.startswith(f"{first} "))
    text = "".join(page_text(reader, p) for p in range(start, min(start + 6, pages)))
    assert "Objective 1" in text and "Examined:" in text
    assert "HRD-01" in text and "CONFLICT" in text
    assert "web-bad:1" in text  # the privileged task definition, by name
    assert "123456789012" in text
    rows = {e["id"]: e for e in ctx["evidence"]}
    assert any(rows[i]["sha256"][:16] in squash(text) for i in hrd["evidence"][:5] if i in rows)

    # evidence index: ids, calls and full hashes
    index = next(p for lvl, t, p in marks if t == "Appendix B. Evidence index")
    text = squash(page_text(reader, index))
    first_items = ctx["evidence"][:5]
    assert all(e["id"] in text and e["sha256"] in text for e in first_items)

    # the concepts appendix explains the concepts the controls reference, tailored to this estate
    concepts = next(p for lvl, t, p in marks if t == "Appendix A. Container concepts for assessors")
    text = page_text(reader, concepts) + page_text(reader, concepts + 1)
    assert ctx["concepts"][0]["name"] in text
    names = {c["name"] for c in ctx["concepts"]}
    assert "AWS Fargate" in names or "Shared responsibility" in " ".join(names)
    assert any(t == c["name"] for c in ctx["concepts"] for t in titles)

    # requirements the tool does not cover are listed with the reason
    if ctx["not_covered"]:
        nc = next(p for lvl, t, p in marks if t == "Appendix D. Requirements outside this tool's scope")
        text = squash(page_text(reader, nc))
        assert squash(ctx["not_covered"][0]["id"]) in text and squash(ctx["not_covered"][0]["reason"])[:40] in text


def test_evidence_text_that_looks_like_markup_stays_text(pdfs, real, catalog) -> None:
    """A container whose user field is an attachment link: printed as text, nothing embedded."""

    reader = PdfReader(pdfs["hipaa"])
    marks = outline(reader)
    env = next(p for lvl, t, p in marks if t == "2 Scope and environment")
    nxt = next(p for lvl, t, p in marks if t == "3 Requirements")
    text = "".join(page_text(reader, i) for i in range(env, nxt))
    assert squash(ATTACH_HTML) in squash(text)
    assert reader.attachments == {}
    for page in reader.pages:
        for annot in page.get("/Annots") or []:
            obj = annot.get_object()
            assert obj.get("/Subtype") != "/FileAttachment"
            uri = obj.get("/A", {}).get("/URI", "")
            assert "passwd" not in str(uri)
