"""The incident-response playbook, drafted from really collected evidence."""

from __future__ import annotations

import re

import pytest
from pypdf import PdfReader
from reportkit import LEAD, Clock

from auditprep.report import ReportError, render_report
from auditprep.report.playbook import build_playbook
from auditprep.store import Engagement


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text)


@pytest.mark.slow
@pytest.mark.docker
def test_playbook_pdf_is_tailored_to_the_estate(real, catalog, tmp_path) -> None:
    out = render_report(real, catalog, framework=None, fmt="pdf", out=tmp_path / "playbook.pdf", kind="playbook")
    reader = PdfReader(out)
    assert reader.metadata.title == "Container incident response playbook: Larkspur Pay"
    marks = [m.title for m in reader.outline if not isinstance(m, list)]
    assert "4 Preserve evidence before a container is replaced" in marks
    assert "5 Isolate without destroying" in marks and "6 Who to notify, and by when" in marks
    text = squash("".join(page.extract_text() for page in reader.pages))
    # one section per platform the evidence shows, naming what was found
    for heading in (
        "ECS tasks on AWS Fargate",
        "ECS on EC2 container instances",
        "Amazon EKS pods and nodes",
        "Docker Swarm services",
    ):
        assert heading in text
    assert "svc-good" in text and "eks-good" in text and "legacy" in text
    # how to preserve before replacement, and how to isolate without destroying
    for step in (
        "update-task-protection",
        "imageDigest",
        "docker diff",
        "docker export",
        "enableExecuteCommand",  # ECS Exec is not shown in this evidence: the playbook says how to check
        "lookup-events",
        "create-snapshot",
        "DRAINING",
        "--desired-count 0",
        "kubectl cordon",
    ):
        assert step in text, step
    # who to notify and by when, for every framework of the engagement
    for name in ("PCI DSS", "HIPAA", "HITRUST", "FedRAMP"):
        assert name in text
    assert "no later than 60 calendar days" in text and "Within one hour" in text
    assert reader.attachments == {}


def test_playbook_without_evidence_covers_every_platform(tmp_path, catalog) -> None:
    eng = Engagement.create(
        tmp_path / "new.engagement", name="new", organisation="Acme", frameworks=["hipaa"], actor=LEAD, clock=Clock()
    )
    ctx = build_playbook(eng, catalog)
    assert ctx["nothing_found"] and all(ctx["show"].values())
    assert [f["id"] for f in ctx["frameworks"]] == ["hipaa"]
    html = render_report(eng, catalog, framework=None, fmt="html", out=tmp_path / "p.html", kind="playbook").read_text()
    assert "remove the ones you do not run" in html and "Docker hosts and swarm nodes: capture a container" in html
    assert "PCI DSS 4.0.1" not in html  # only the engagement's frameworks get notification duties
    with pytest.raises(ReportError, match="the playbook is drafted as pdf or html, not csv"):
        render_report(eng, catalog, framework=None, fmt="csv", out=tmp_path / "p.csv", kind="playbook")


def test_pdf_bytes_depend_only_on_the_engagement(tmp_path, catalog) -> None:
    eng = Engagement.create(
        tmp_path / "e.engagement", name="e", organisation="Acme", frameworks=["pci-dss"], actor=LEAD, clock=Clock()
    )
    first = render_report(eng, catalog, framework=None, fmt="pdf", out=tmp_path / "a.pdf", kind="playbook")
    second = render_report(eng, catalog, framework=None, fmt="pdf", out=tmp_path / "b.pdf", kind="playbook")
    assert first.read_bytes() == second.read_bytes()
    assert PdfReader(first).metadata["/CreationDate"].startswith("D:20261102")  # the engagement's date
