"""The report context and its text: statuses, narratives, conflicts, exceptions, errors, determinism."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

import pytest
from reportkit import ATTACH_HTML, HOST, LEAD, Clock, answer

from auditprep.evaluate.posture import Status
from auditprep.models import Finding, FindingStatus, Scope, Severity
from auditprep.report import ReportError, render_report, report_bytes
from auditprep.report.charts import donut, stacked_bars
from auditprep.report.context import build_context
from auditprep.report.narrative import check_sentence, scope_phrase
from auditprep.store import Engagement


def test_statuses_come_from_posture_and_conflicts_are_shown(synthetic, catalog) -> None:
    ctx = build_context(synthetic, catalog, "pci-dss")
    hrd = ctx["controls"]["HRD-01"]
    # answered "yes", but a container runs privileged: partial, flagged, never "in place"
    assert hrd["status"] == Status.PARTIAL.value and hrd["conflict"] is True
    assert any(
        p.startswith("Conflict: the team answered \u201cin place\u201d, but 1 automated result fails")
        for p in hrd["narrative"]
    )
    assert hrd["narrative"][0].startswith("Task definitions in use in both accounts")
    assert {"id": "HRD-01", "title": catalog.controls["HRD-01"].title, "reason": hrd["reason"]} in ctx["summary"][
        "conflicts"
    ]
    req = next(r for s in ctx["sections"] for r in s["requirements"] if "HRD-01" in r["controls"])
    assert req["conflict"] is True and req["status"] != Status.IN_PLACE.value


def test_narrative_names_resources_scopes_and_counts(synthetic, catalog) -> None:
    hrd = build_context(synthetic, catalog, "pci-dss")["controls"]["HRD-01"]
    text = " ".join(hrd["narrative"])
    assert "confirmed for the one task definition checked in account 111111111111 (eu-west-1)" in text
    assert f"0 of 1 container checked on Docker host {HOST} meet it" in text
    assert f"It fails for {ATTACH_HTML} ({HOST})" in text
    gap = hrd["gaps"][0]
    assert gap["status"] == "fail" and gap["where"] == HOST and gap["remediation"]
    rows = {e["id"]: e for e in build_context(synthetic, catalog, "pci-dss")["evidence"]}
    assert [rows[i]["operation"] for i in hrd["evidence"]] == [
        "aws.ecs.task_definition:Describe",
        "docker.container:Describe",
    ]
    assert all(len(rows[i]["sha256"]) == 64 for i in hrd["evidence"])


def test_not_evaluated_says_why(synthetic, catalog) -> None:
    ctx = build_context(synthetic, catalog, "pci-dss")
    mon = ctx["controls"]["MON-01"]
    assert mon["status"] == "partial"  # the team's answer; the missing evidence does not make it pass
    assert any("access was denied" in n["message"] for n in mon["not_evaluated"])
    not_run = {c["check"]: c["reason"] for c in ctx["summary"]["checks_not_run"]}
    assert "access was denied" in not_run["aws.guardduty.enabled"]
    assert ctx["collection_gaps"]["counts"]["access_denied"] == 1
    assert ctx["summary"]["unanswered"] and all(
        c["reason"] == "Not yet answered." for c in ctx["summary"]["unanswered"]
    )


def test_exception_has_owner_and_expiry(synthetic, catalog) -> None:
    ctx = build_context(synthetic, catalog, "pci-dss")
    vul = ctx["controls"]["VUL-04"]
    assert vul["status"] == "exception"
    assert vul["exception"]["owner"] == "platform-lead@larkspur.example"
    assert vul["exception"]["expires"] == "2027-03-02"
    assert ctx["summary"]["exceptions"][0]["id"] == "VUL-04"


def test_requirements_not_covered_are_listed_with_the_reason(synthetic, catalog) -> None:
    ctx = build_context(synthetic, catalog, "pci-dss")
    expected = [(r.id, r.not_covered) for r in catalog.frameworks["pci-dss"].requirements if r.not_covered]
    assert [(r["id"], r["reason"]) for r in ctx["not_covered"]] == expected
    assert ctx["summary"]["not_covered"] == len(expected)
    assert ctx["summary"]["covered"] + len(expected) == ctx["summary"]["requirement_total"]


def test_attestation_and_documents_are_reported(synthetic, catalog) -> None:
    ir = build_context(synthetic, catalog, "pci-dss")["controls"]["IR-01"]
    assert ir["attestation"]["by"] == "cio@larkspur.example" and ir["attestation"]["overdue"] is False
    assert ir["documents"][0]["filename"] == "container-playbook-v3.pdf"
    assert len(ir["documents"][0]["sha256"]) == 64


def test_user_errors_are_one_sentence(synthetic, catalog, tmp_path) -> None:
    folder = tmp_path / "reports"
    folder.mkdir()
    cases = [
        (dict(framework="hitrust", fmt="pdf"), "framework 'hitrust' is not part of engagement acme-2026"),
        (dict(framework=None, fmt="json"), "choose the framework to report on with --framework (pci-dss, hipaa)"),
        (dict(framework="pci-dss", fmt="docx"), "unknown report format 'docx'"),
        (dict(framework="pci-dss", fmt="json", kind="playbook"), "the playbook is drafted as pdf or html, not json"),
        (dict(framework="pci-dss", fmt="csv", kind="letter"), "unknown report kind 'letter'"),
    ]
    for kwargs, message in cases:
        with pytest.raises(ReportError) as err:
            render_report(synthetic, catalog, out=folder / "out", **kwargs)
        assert err.value.message.startswith(message)
        assert err.value.message.endswith(".") and err.value.message.count(". ") == 0
    assert list(folder.iterdir()) == []


def test_one_framework_needs_no_flag(tmp_path, catalog) -> None:
    eng = Engagement.create(
        tmp_path / "one.engagement", name="solo", organisation="", frameworks=["hipaa"], actor=LEAD, clock=Clock()
    )
    ctx = build_context(eng, catalog, None)
    assert ctx["framework"]["id"] == "hipaa"
    assert ctx["evidence"] == [] and ctx["environment"]["shared_responsibility"]["all_platforms"] is True


def test_same_engagement_gives_identical_bytes(synthetic, catalog, tmp_path) -> None:
    first = {
        fmt: report_bytes(build_context(synthetic, catalog, "pci-dss"), catalog, fmt)
        for fmt in ("html", "json", "csv", "oscal")
    }
    reopened = Engagement.open(synthetic.path, readonly=True)
    try:
        again = {fmt: report_bytes(build_context(reopened, catalog, "pci-dss"), catalog, fmt) for fmt in first}
    finally:
        reopened.close()
    assert first == again
    ctx = json.loads(first["json"])
    assert ctx["engagement"]["as_of"] == synthetic.events()[-1].at  # the engagement's date, not the clock's
    today = datetime.now(UTC).strftime("%Y-%m-%d")
    if not ctx["engagement"]["as_of"].startswith(today):
        assert today not in first["html"].decode()


def test_evidence_strings_are_escaped_in_html(synthetic, catalog) -> None:
    html = report_bytes(build_context(synthetic, catalog, "pci-dss"), catalog, "html").decode()
    assert ATTACH_HTML not in html
    assert "&lt;a rel=&#34;attachment&#34; href=&#34;file:///etc/passwd&#34;&gt;passwd&lt;/a&gt;" in html


def test_csv_cells_never_become_formulas(synthetic, catalog) -> None:
    synthetic.record_answer(answer("LOG-01", "no", '=HYPERLINK("http://example.invalid","click")'))
    data = report_bytes(build_context(synthetic, catalog, "pci-dss"), catalog, "csv").decode()
    rows = [r for r in csv.DictReader(io.StringIO(data)) if r["control_id"] == "LOG-01"]
    assert rows and all(r["narrative"].startswith("'=HYPERLINK") for r in rows)


def test_scope_phrase_groups_accounts_regions_and_hosts() -> None:
    scopes = [
        Scope(account="2", region="us-east-1"),
        Scope(account="1", region="eu-west-1"),
        Scope(account="1", region="us-east-1"),
        Scope(host="tcp://b:2376"),
        Scope(host="tcp://a:2376"),
    ]
    assert scope_phrase(scopes) == (
        "in accounts 1 (eu-west-1, us-east-1) and 2 (us-east-1) and on Docker hosts tcp://a:2376 and tcp://b:2376"
    )
    assert scope_phrase([Scope()]) == "across the engagement"


def test_check_sentence_counts_and_truncates() -> None:
    scope = Scope(account="1", region="r")
    findings = [
        Finding(
            check="aws.ecs.task_nonroot",
            title="t",
            status=FindingStatus.FAIL if i < 8 else FindingStatus.PASS,
            severity=Severity.HIGH,
            resource=f"arn:td/web-{i}:1",
            scope=scope,
            message="m",
        )
        for i in range(10)
    ]
    sentence = check_sentence("aws.ecs.task_nonroot", "Task definitions run as non-root", findings, {})
    assert sentence.startswith(
        "Task definitions run as non-root: 2 of 10 task definitions checked in account 1 (r) meet it."
    )
    assert sentence.endswith("and 2 more.")


def test_charts_are_inline_svg_with_escaped_text() -> None:
    svg = stacked_bars(
        [{"label": "<b>x</b>", "counts": {"in_place": 3, "partial": 1}}],
        ["in_place", "partial"],
        {"in_place": "In place", "partial": "Partial"},
        title="T & C",
    )
    assert svg.startswith("<svg") and "<b>" not in svg and "&lt;b&gt;x&lt;/b&gt;" in svg and "T &amp; C" in svg
    assert svg.count("<rect") == 2 + 2  # two legend swatches, two segments
    ring = donut({"in_place": 1, "partial": 1}, ["in_place", "partial"], {}, title="d")
    assert ring.count("<path") == 2 and ">2<" in ring


def test_package_hash_is_shown_on_the_cover(synthetic, catalog) -> None:
    digest = "ab" * 32
    ctx = build_context(synthetic, catalog, "hipaa", package_hash=digest)
    assert ctx["engagement"]["package_hash"] == digest
    html = report_bytes(ctx, catalog, "html").decode()
    assert "Evidence package root hash" in html and digest in html
    assert (
        "Evidence package root hash"
        not in report_bytes(build_context(synthetic, catalog, "hipaa"), catalog, "html").decode()
    )
