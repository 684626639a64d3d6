"""FedRAMP 20x outputs from the demo engagement: the SDR valid against FedRAMP's own schema (resolved from the
files shipped with auditprep, never the network), and the KSI metric history over several real evaluations.

The history is made the way a team makes it: the demo's recorded Docker evidence is collected again on three
later days, once with the overlay networks recreated encrypted, and the real checks evaluate each run."""

from __future__ import annotations

import copy
import json
import socket
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from auditprep import schemas
from auditprep.application.evaluation import reevaluate
from auditprep.catalog import load_catalog
from auditprep.cli import main
from auditprep.demo import RECORDING, build_demo
from auditprep.models import Evidence, Source
from auditprep.store import Engagement, parse_iso

ENGINEER = "Tomas Lindqvist (platform engineer)"


def _docker_run(encrypted: bool) -> list[Evidence]:
    recording = json.loads(RECORDING.read_text(encoding="utf-8"))
    run = next(r for r in recording["runs"] if r["source"] == "docker")
    out = []
    for raw in run["evidence"]:
        raw = copy.deepcopy(raw)
        data = raw.get("data")
        if encrypted and raw["kind"] == "docker.network" and isinstance(data, dict) and data.get("Driver") == "overlay":
            data["Options"] = {**(data.get("Options") or {}), "encrypted": ""}
        out.append(Evidence.model_validate(raw))
    return out


@pytest.fixture(scope="module")
def history(tmp_path_factory) -> tuple[Path, int]:
    """The demo, then a Docker collection and evaluation on each of three later days: encrypted, not, not."""
    catalog = load_catalog()
    path = tmp_path_factory.mktemp("twentyx") / "demo.engagement"
    build_demo(path, catalog)
    with Engagement.open(path, readonly=True) as eng:
        before = len(eng.evaluations())
        start = eng.evaluations()[-1].at
    for day, encrypted in ((1, True), (2, False), (3, False)):
        moment = [start + timedelta(days=day)]

        def clock(moment: list = moment):
            moment[0] += timedelta(seconds=1)
            return moment[0]

        with Engagement.open(path, clock=clock) as eng:
            eng.add_run(actor=ENGINEER, source=Source.DOCKER, started_at=moment[0], evidence=_docker_run(encrypted))
            reevaluate(eng, catalog, ENGINEER)
    return path, before


def _report(path: Path, fmt: str, out: Path) -> dict:
    result = CliRunner().invoke(
        main, ["report", str(path), "--framework", "fedramp-20x", "--format", fmt, "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    return json.loads(out.read_text())


@pytest.fixture()
def offline(monkeypatch):
    """Validation must never reach the network: any connection attempt fails the test."""

    def refuse(*args, **kwargs):
        raise AssertionError("schema validation tried to reach the network")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)


def test_sdr_validates_against_fedramps_schema_and_states_every_ksi(history, tmp_path, offline) -> None:
    path, _ = history
    sdr = _report(path, "sdr", tmp_path / "sdr.json")
    assert schemas.problems(sdr, schemas.SDR) == []
    fw = load_catalog().frameworks["fedramp-20x"]
    ksis = {k["ksiId"]: k for k in sdr["keySecurityIndicators"]}
    assert list(ksis) == [r.id for r in fw.requirements]
    for req in fw.requirements:
        k = ksis[req.id]
        assert k["ksiImplementation"] and k["ksiValidation"] and k["ksiAssessment"], req.id
        if req.outside:
            assert "ksiImplementationStatus" not in k
            assert any(req.outside.split(";")[0] in s for s in k["ksiImplementation"])
            assert any(s.startswith("Resulting risk") for s in k["ksiImplementation"])
        else:
            assert sum(s.startswith("Measure ") for s in k["ksiImplementation"]) == len(req.objectives)
            assert any(s.startswith("Automation:") for s in k["ksiValidation"])
            assert any(s.startswith("Verification:") for s in k["ksiValidation"])


def test_sdr_never_claims_what_the_evidence_does_not_show(history, tmp_path) -> None:
    path, _ = history
    sdr = _report(path, "sdr", tmp_path / "sdr.json")
    with Engagement.open(path, readonly=True) as eng:
        from auditprep.report.context import build_context

        ctx = build_context(eng, load_catalog(), "fedramp-20x")
    verdicts = {r["id"]: r["status"] for s in ctx["sections"] for r in s["requirements"]}
    for k in sdr["keySecurityIndicators"]:
        status = k.get("ksiImplementationStatus")
        if status == "Implemented":
            assert verdicts[k["ksiId"]] == "in_place", k["ksiId"]
        if verdicts[k["ksiId"]] in ("attested", "not_tested", "not_covered"):
            assert status is None, k["ksiId"]
    # a check that fails is stated with the resource it fails for, dated by the evaluation
    mat = next(k for k in sdr["keySecurityIndicators"] if k["ksiId"] == "KSI-CNA-MAT")
    assert any("It fails for payments-ledger" in s for s in mat["ksiValidation"])
    day = sdr["metadata"]["lastUpdated"][:10]
    assert any(f"(evaluation of {day})" in s for s in mat["ksiValidation"])
    assert any(
        e["evidenceType"] == "Audit Record" and "Tomas Lindqvist" in e["evidenceDescription"]
        for e in mat["ksiEvidence"]
    )
    # automation is called sufficient only where every measure is automated and every result was judged
    automation = {
        k["ksiId"]: next(v for v in k["ksiValidation"] if v.startswith("Automation:"))
        for k in sdr["keySecurityIndicators"]
        if verdicts[k["ksiId"]] != "not_covered"
    }
    assert automation["KSI-INR-RIR"].startswith("Automation: none;")
    assert "could not be judged (aws.logs.kms, aws.logs.retention)" in automation["KSI-MLA-OSM"]
    assert all("which suffices" not in a for a in automation.values() if "could not be judged" in a)


def test_sdr_states_the_observed_cycle(history, tmp_path) -> None:
    path, _ = history
    sdr = _report(path, "sdr", tmp_path / "sdr.json")
    uln = next(k for k in sdr["keySecurityIndicators"] if k["ksiId"] == "KSI-CNA-ULN")
    cycle = [s for s in uln["ksiImplementation"] if s.startswith("Cycle: the docker checks")]
    assert len(cycle) == 1 and "daily over 6 runs" in cycle[0], cycle  # the demo's three, then three days


def test_ksi_metrics_follow_each_evaluation_and_day(history, tmp_path) -> None:
    path, before = history
    metrics = _report(path, "ksi-metrics", tmp_path / "m.json")
    with Engagement.open(path, readonly=True) as eng:
        evaluations = eng.evaluations()
    assert len(evaluations) == before + 3
    assert [e["id"] for e in metrics["evaluations"]] == [e.id for e in evaluations]
    by_id = {i["id"]: i for i in metrics["indicators"]}
    assert len(by_id) == 46
    uln = by_id["KSI-CNA-ULN"]
    assert uln["measured"] is True
    states = [h["state"] for h in uln["history"]]
    # the demo's own evaluation(s), then encrypted (pass), then unencrypted twice (fail)
    assert states[-3:] == ["pass", "fail", "fail"]
    assert all(s == "fail" for s in states[:-3])
    assert [d["date"] for d in uln["daily"]] == sorted({e.at.date().isoformat() for e in evaluations})
    month = uln["summary"]["last_30_days"]
    # six days measured: the demo's three collections two weeks apart, then three days; the first
    # of them falls outside the last 30 days
    assert len(uln["daily"]) == 6 and month["days_measured"] == 5
    assert (month["days_pass"], month["days_fail"]) == (1, 4)
    assert month["pass_rate"] == 0.2 and month["last_fail"] == uln["daily"][-1]["date"]
    # an indicator measured only by AWS checks keeps the state of the one AWS run on every evaluation
    lmc = by_id["KSI-CMT-LMC"]
    assert {h["state"] for h in lmc["history"]} == {"fail"} and len(lmc["history"]) == len(evaluations)
    # indicators without an automated measure say so, and never carry a history of passes
    for item in metrics["indicators"]:
        if not item["measured"]:
            assert item["reason"] and "history" not in item
    assert not by_id["KSI-PIY-RES"]["measured"] and "Outside" in by_id["KSI-PIY-RES"]["reason"]
    assert not by_id["KSI-INR-RIR"]["measured"]


def test_metrics_dates_come_from_the_engagement_not_the_clock(history, tmp_path) -> None:
    path, _ = history
    first = _report(path, "ksi-metrics", tmp_path / "a.json")
    second = _report(path, "ksi-metrics", tmp_path / "b.json")
    assert first == second
    last = parse_iso(first["evaluations"][-1]["at"]).date()
    assert first["indicators"][1]["summary"]["last_year"]["to"] == last.isoformat()


def test_machine_formats_need_the_fedramp_20x_framework(history, tmp_path) -> None:
    path, _ = history
    out = tmp_path / "x.json"
    result = CliRunner().invoke(
        main, ["report", str(path), "--framework", "pci-dss", "--format", "sdr", "-o", str(out)]
    )
    assert result.exit_code == 2
    assert "fedramp-20x" in result.output and not out.exists()


def test_schema_registry_refuses_addresses_it_does_not_ship(offline) -> None:
    from referencing.exceptions import Unresolvable

    resolver = schemas.registry().resolver()
    assert resolver.lookup(f"{schemas.FEDRAMP_BASE}{schemas.COMMON}/$defs/nRating").contents["enum"] == [1, 2, 3, 4, 5]
    with pytest.raises(Unresolvable):
        resolver.lookup("https://example.com/other.json")


def test_vdr_validates_and_lists_each_open_vulnerability_on_running_images(history, tmp_path, offline) -> None:
    from auditprep.evaluate import vulns
    from auditprep.store.detections import first_collected

    path, _ = history
    vdr = _report(path, "vdr", tmp_path / "vdr.json")
    assert schemas.problems(vdr, schemas.VDR) == []
    with Engagement.open(path, readonly=True) as eng:
        as_of = parse_iso(vdr["reportPeriod"]["to"])
        ageing = vulns.age(
            eng.current_evidence(kinds=vulns.READS), as_of, first_seen=first_collected(eng, (vulns.INVENTORY_KIND,))
        )
        first_run = eng.runs()[0]
    expected = [v for v in ageing.records if v.in_use is not False]
    assert expected, "the demo runs an image with a known-vulnerable package"
    assert len(vdr["vulnerabilities"]) == len(expected)
    heartbleed = next(x for x in vdr["vulnerabilities"] if x["providerTrackingId"].startswith("CVE-2014-0160|"))
    # detected when the demo's first Docker collection inventoried the image, not when this report was written
    detected = parse_iso(heartbleed["detection"]["detectedAt"])
    assert first_run.started_at <= detected < first_run.started_at + timedelta(minutes=5)
    # nothing the provider alone can decide is invented
    for item in vdr["vulnerabilities"]:
        assert not {"currentRating", "isInternetReachable", "isLikelyExploitable", "finalDisposition"} & set(item)
    # detected at the demo's first collection, weeks before this report, with no evaluation recorded:
    # the 5-day evaluation window has passed
    assert heartbleed["overdueStatus"]["isOverdue"] is True
    assert (detected + timedelta(days=5)).date().isoformat() in heartbleed["overdueStatus"]["explanation"]


def test_vdr_overdue_once_the_evaluation_window_has_passed() -> None:
    from auditprep.report.vdr import _overdue

    detected = parse_iso("2026-11-01T10:00:00Z")
    assert _overdue(detected, detected + timedelta(days=5))["isOverdue"] is False
    late = _overdue(detected, detected + timedelta(days=5, seconds=1))
    assert late["isOverdue"] is True and "2026-11-06" in late["explanation"]


@pytest.mark.slow
def test_pdf_for_fedramp_20x_is_the_human_readable_sdr(history, tmp_path) -> None:
    import re

    from pypdf import PdfReader

    path, _ = history
    out = tmp_path / "sdr.pdf"
    result = CliRunner().invoke(main, ["report", str(path), "--framework", "fedramp-20x", "-o", str(out)])
    assert result.exit_code == 0, result.output
    reader = PdfReader(out)
    marks: list[tuple[int, str, int]] = []

    def walk(items, level):
        for item in items:
            if isinstance(item, list):
                walk(item, level + 1)
            else:
                marks.append((level, item.title, reader.get_destination_page_number(item)))

    walk(reader.outline, 1)
    assert (1, "4 Security Decision Record") in [(lvl, t) for lvl, t, _ in marks]
    fw = load_catalog().frameworks["fedramp-20x"]
    sdr_marks = {t: p for lvl, t, p in marks if t.startswith("SDR ")}
    assert set(sdr_marks) == {f"SDR {r.id}" for r in fw.requirements}
    first = sdr_marks["SDR KSI-CNA-ULN"]
    # the indicator starts on its bookmarked page and may run onto the next
    page = re.sub(r"\s+", " ", " ".join(reader.pages[i].extract_text() for i in (first, first + 1)))
    page = page[page.index("KSI-CNA-ULN") :]
    assert "Cycle: the docker checks" in page and "daily over 6 runs" in page
    assert "Implementation status: Not Implemented" in page or "Implementation status: Partially" in page


def test_the_package_overview_address_is_recorded_once_and_named_by_both_documents(tmp_path) -> None:
    path = tmp_path / "demo.engagement"
    build_demo(path, load_catalog())
    runner = CliRunner()
    sdr = _report(path, "sdr", tmp_path / "before.json")
    assert sdr["certificationPackageOverviewUri"].startswith("urn:auditprep:engagement:")
    assert sdr["metadata"]["packageOverviewRecorded"] is False
    uri = "https://larkspur.example/fedramp/package-overview"
    done = runner.invoke(main, ["applicability", str(path), f"fedramp.package-overview={uri}"])
    assert done.exit_code == 0, done.output
    assert _report(path, "sdr", tmp_path / "sdr.json")["certificationPackageOverviewUri"] == uri
    assert _report(path, "vdr", tmp_path / "vdr.json")["certificationPackageOverviewUri"] == uri
    runner.invoke(main, ["applicability", str(path), "fedramp.package-overview=package overview"])
    bad = runner.invoke(
        main, ["report", str(path), "--framework", "fedramp-20x", "--format", "sdr", "-o", str(tmp_path / "x.json")]
    )
    assert bad.exit_code == 2 and "not a full http(s) address" in bad.output
    assert "Traceback" not in bad.output and not (tmp_path / "x.json").exists()


def test_an_assessors_review_reaches_the_ksis_it_concerns(tmp_path) -> None:
    from auditprep.review import ReviewFile, load_review_into

    path = tmp_path / "demo.engagement"
    build_demo(path, load_catalog())
    with Engagement.open(path, readonly=True) as eng:
        review = ReviewFile.for_engagement(tmp_path / "review.json", eng)
    at = parse_iso("2026-12-05T10:00:00Z")
    review.comment("control", "SEG-02", "Two services still get public IPs.", "concern", author="Jo Assessor", at=at)
    with Engagement.open(path) as eng:
        load_review_into(eng, review.path, "Maya Okafor (compliance lead)")
    sdr = _report(path, "sdr", tmp_path / "sdr.json")
    assert schemas.problems(sdr, schemas.SDR) == []
    said = {
        k["ksiId"]
        for k in sdr["keySecurityIndicators"]
        if any("Jo Assessor on 2026-12-05, about control SEG-02, flagged concern" in s for s in k["ksiAssessment"])
    }
    catalog = load_catalog()
    expected = {
        rid
        for rid in catalog.requirement_controls["fedramp-20x"]
        if "SEG-02" in catalog.requirement_controls["fedramp-20x"][rid]
    }
    assert said == expected and "KSI-CNA-MAT" in said
