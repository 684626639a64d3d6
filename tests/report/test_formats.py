"""HTML, JSON, CSV and OSCAL from really collected evidence: complete, valid, self-contained, secret-free."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from aws.world import PLANTED_SECRET
from docker_lab import PLANTED
from pypdf import PdfReader
from reportkit import FRAMEWORKS
from trestle.oscal.assessment_results import Model as OscalAssessmentResults

from auditprep.report import render_report, report_bytes
from auditprep.report.context import build_context
from auditprep.report.oscal import control_token
from auditprep.report.tabular import CSV_COLUMNS

pytestmark = [pytest.mark.slow, pytest.mark.docker]
SECRETS = [PLANTED_SECRET, *PLANTED.values()]


@pytest.fixture(scope="module")
def outputs(real, catalog):
    """framework -> format -> bytes, each rendered twice to prove determinism."""
    out = {}
    for fid in FRAMEWORKS:
        first = build_context(real, catalog, fid)
        second = build_context(real, catalog, fid)
        out[fid] = {}
        for fmt in ("html", "json", "csv", "oscal"):
            a, b = report_bytes(first, catalog, fmt), report_bytes(second, catalog, fmt)
            assert a == b, f"{fid} {fmt} differs between two renders"
            out[fid][fmt] = a
    return out


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_oscal_is_valid_assessment_results(framework, outputs, real, catalog) -> None:
    doc = json.loads(outputs[framework]["oscal"])
    model = OscalAssessmentResults.model_validate(doc)
    ar = model.assessment_results
    result = ar.results[0]
    fw = catalog.frameworks[framework]
    covered = [r for r in fw.requirements if not r.not_covered]
    assert len(result.findings) == len(covered)
    reviewed = [c.control_id for c in result.reviewed_controls.control_selections[0].include_controls]
    assert reviewed == [control_token(framework, r.id) for r in covered]
    assert len(result.observations) == sum(1 for c in catalog.controls.values() if c.mappings.get(framework))
    states = {f.target.status.state.value for f in result.findings}
    assert states <= {"satisfied", "not-satisfied"}
    assert "deviation-approved" in {
        getattr(r.status.root, "root", r.status.root) for r in result.risks
    }  # the exception
    assert any(p.value == real.fingerprint() for p in result.props)


def test_control_tokens_follow_oscal_and_nist_style() -> None:
    assert control_token("fedramp-moderate", "SI-4(23)") == "si-4.23"
    assert control_token("fedramp-moderate", "AC-2") == "ac-2"
    assert control_token("pci-dss", "2.2.1") == "pci-dss_2.2.1"
    assert control_token("hipaa", "164.308(a)(1)(ii)(B)") == "hipaa_164.308_a_1_ii_B"
    assert control_token("hitrust", "09.ab") == "hitrust_09.ab"


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_json_is_complete(framework, outputs, real, catalog) -> None:
    doc = json.loads(outputs[framework]["json"])
    fw = catalog.frameworks[framework]
    assert doc["schema"] == "auditprep.report/1"
    assert doc["engagement"]["fingerprint"] == real.fingerprint()
    assert [r["id"] for s in doc["sections"] for r in s["requirements"]] == [r.id for r in fw.requirements]
    assert len(doc["evidence"]) == len(real.current_evidence(with_data=False))
    current = real.current_evidence(with_data=False)
    assert [e["sha256"] for e in doc["evidence"]] == [e.record_hash for e in current]
    assert [e["content_sha256"] for e in doc["evidence"]] == [e.content_hash for e in current]
    assert [e["request_ids"] for e in doc["evidence"]] == [list(e.request_ids) for e in current]
    hrd = doc["controls"]["HRD-01"]
    assert hrd["conflict"] is True and hrd["status"] == "partial"
    assert any("web-bad:1" in g["message"] for g in hrd["gaps"])
    assert doc["controls"]["VUL-04"]["exception"]["owner"] == "platform-lead@larkspur.example"
    assert doc["summary"]["not_covered"] == sum(1 for r in fw.requirements if r.not_covered)
    env = doc["environment"]
    assert env["platforms"]["fargate"] and env["platforms"]["eks"] and env["platforms"]["docker_hosts"]
    assert {"prod", "legacy"} <= {c["name"] for c in env["ecs_clusters"]}
    assert any(i["digest"].startswith("sha256:") for i in env["images"])
    assert doc["collection_gaps"]["records"], "moto lacks some operations, so gaps must be listed"


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_csv_has_one_row_per_requirement_and_control(framework, outputs, catalog) -> None:
    rows = list(csv.DictReader(io.StringIO(outputs[framework]["csv"].decode())))
    links = catalog.requirement_controls[framework]
    fw = catalog.frameworks[framework]
    assert len(rows) == sum(max(1, len(links.get(r.id, ()))) for r in fw.requirements)
    assert list(rows[0]) == list(CSV_COLUMNS)
    nc = next(r for r in fw.requirements if r.not_covered)
    row = next(x for x in rows if x["requirement_id"] == nc.id)
    assert row["requirement_status"] == "not_covered" and row["not_covered_reason"]
    hrd = [x for x in rows if x["control_id"] == "HRD-01"]
    assert hrd and all(x["conflict"] == "yes" and int(x["checks_fail"]) > 0 for x in hrd)


def test_html_is_one_self_contained_file(outputs) -> None:
    html = outputs["pci-dss"]["html"].decode()
    assert "<script" not in html and "<link" not in html and "<iframe" not in html
    assert "@font-face" not in html  # the PDF embeds fonts; the HTML falls back to local ones
    refs = re.findall(r"""(?:src|href)\s*=\s*["']([^"']*)["']""", html)
    assert refs and all(r.startswith("#") for r in refs)
    assert "url(" not in re.sub(r"<style>.*?</style>", "", html, flags=re.S)
    assert "url(" not in html


def test_no_secret_value_in_any_format(outputs, pdfs, real) -> None:
    """Secrets planted in task definitions, containers, images and swarm services reach no report."""
    fingerprint = real.fingerprint()
    for fid, formats in outputs.items():
        for fmt, data in formats.items():
            text = data.decode()
            assert fingerprint in text, (fid, fmt)  # the grep can find what is there
            for secret in SECRETS:
                assert secret not in text, (fid, fmt, secret)
    reader = PdfReader(pdfs["hipaa"])
    text = "".join(page.extract_text() for page in reader.pages)
    assert fingerprint in re.sub(r"\s+", "", text)
    for secret in SECRETS:
        assert secret not in text


def test_rendering_never_calls_aws_or_docker(real, catalog, tmp_path, monkeypatch) -> None:
    """With no AWS endpoint, no credentials and no Docker host, every format still renders."""
    for var in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "DOCKER_HOST"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    import socket

    def refuse(*args, **kwargs):
        raise AssertionError("rendering opened a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    for fmt in ("html", "json", "csv", "oscal"):
        out = render_report(real, catalog, framework="hitrust", fmt=fmt, out=tmp_path / f"r.{fmt}")
        assert out.stat().st_size > 1000
