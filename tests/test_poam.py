"""The FedRAMP POA&M: every open weakness with a deadline, in OSCAL (round trip through trestle), CSV and XLSX."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from trestle.oscal.poam import Model as OscalPoam

from auditprep.catalog import Catalog, load_catalog
from auditprep.demo import build_demo
from auditprep.models import Finding, FindingStatus, Scope, Severity
from auditprep.report import build, render_report, report_bytes
from auditprep.report.poam_table import HEADERS
from auditprep.store import Engagement

FEDRAMP = "fedramp-moderate"


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, catalog: Catalog) -> dict[str, Any]:
    path = tmp_path_factory.mktemp("poam") / "demo.engagement"
    build_demo(path, catalog)
    with Engagement.open(path, readonly=True) as eng:
        ctx = build(eng, catalog, framework=FEDRAMP)
        fails = [f for f in eng.findings() if f.status is FindingStatus.FAIL]
    return {"path": path, "ctx": ctx, "fails": fails}


def _normal(value: Any) -> Any:
    """JSON with every UTC timestamp written one way (trestle writes +00:00 where we write Z)."""
    if isinstance(value, dict):
        return {k: _normal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_normal(v) for v in value]
    if isinstance(value, str) and len(value) >= 20 and value[10:11] == "T":
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC).isoformat()
        except ValueError:
            return value
    return value


def test_demo_poam_round_trips_through_trestle_and_lists_every_open_weakness(demo: dict, catalog: Catalog) -> None:
    doc = json.loads(report_bytes(demo["ctx"], catalog, "poam-oscal"))
    model = OscalPoam.model_validate(doc)
    back = json.loads(model.model_dump_json(by_alias=True, exclude_none=True))
    assert _normal(back) == _normal(doc)  # nothing dropped or renamed by the schema's model
    poam = model.plan_of_action_and_milestones
    items = demo["ctx"]["poam"]["items"]
    assert len(poam.poam_items) == len(items) == len(poam.risks)
    # every failed check is an item, except the one that only summarises the image's vulnerabilities,
    # which is listed vulnerability by vulnerability instead
    summarised = [f for f in demo["fails"] if f.check == "docker.image.vulnerable_packages"]
    assert summarised
    for f in demo["fails"]:
        if f not in summarised:
            assert any(
                i["source_id"] == f.check and f.resource in i["asset"] and i["asset"].endswith(f.scope.label())
                for i in items
            ), f
    assert sum(1 for i in items if i["kind"] == "check") == len(demo["fails"]) - len(summarised)
    heartbleed = next(i for i in items if i["cve"] == "CVE-2014-0160")
    assert heartbleed["controls"] == ["RA-5", "SI-2"] and heartbleed["likelihood"] == "High"
    assert (
        heartbleed["detected"] == "2026-10-30" and heartbleed["due"] == "2026-11-29"
    )  # the first collection; high: 30 days
    for risk in poam.risks:
        assert risk.deadline is not None and risk.remediations and len(risk.remediations[0].tasks) == 2
        facets = {f.name: f.value for f in risk.characterizations[0].facets}
        assert set(facets) == {"likelihood", "impact", "risk"}
    # the exception recorded for HRD-06 is a pending deviation request on the socket finding, not an approval
    socket = next(i for i in items if i["source_id"] == "docker.container.docker_socket")
    assert socket["status"] == "deviation-requested" and socket["deviation_owner"] == "Tomas Lindqvist"
    statuses = {r.title: str(getattr(r.status.root, "root", r.status.root)) for r in poam.risks}
    assert "deviation-requested" in statuses.values() and "deviation-approved" not in statuses.values()


def test_csv_and_xlsx_follow_the_template_column_order(demo: dict, catalog: Catalog, tmp_path: Path) -> None:
    assert HEADERS[:4] == ("POAM ID", "Controls", "Weakness Name", "Weakness Description")
    assert HEADERS.index("Original Detection Date") == 10 and HEADERS.index("Scheduled Completion Date") == 11
    assert HEADERS.index("Auto-Approve") == 26
    rows = list(csv.reader(io.StringIO(report_bytes(demo["ctx"], catalog, "poam-csv").decode())))
    assert tuple(rows[0]) == HEADERS and len(rows) - 1 == len(demo["ctx"]["poam"]["items"])
    assert all(r[11] and r[12].startswith("(1) ") for r in rows[1:])  # a deadline and milestones on every row
    out = tmp_path / "poam.xlsx"
    render_report(Engagement.open(demo["path"], readonly=True), catalog, framework=FEDRAMP, fmt="poam-xlsx", out=out)
    sheet = openpyxl.load_workbook(out).active
    assert sheet.title == "Open POA&M Items"
    assert [c.value for c in sheet[1]] == list(HEADERS)
    assert [[c.value or "" for c in row] for row in sheet.iter_rows(min_row=2)] == rows[1:]
    assert report_bytes(demo["ctx"], catalog, "poam-xlsx") == out.read_bytes()  # same engagement, same bytes


def test_text_from_evidence_never_becomes_a_spreadsheet_formula(catalog: Catalog, tmp_path: Path) -> None:
    ctx = {"poam": {"as_of": "2026-01-01", "items": [_item(weakness='=HYPERLINK("http://x")')]}}
    from auditprep.report.poam_table import rows, to_poam_xlsx

    assert rows(ctx)[0][2].startswith("'=")
    (tmp_path / "x.xlsx").write_bytes(to_poam_xlsx(ctx))
    assert openpyxl.load_workbook(tmp_path / "x.xlsx").active["C2"].data_type == "s"


def _item(**over: Any) -> dict[str, Any]:
    base = {
        "id": "POAM-0001", "kind": "check", "controls": ["AC-2"], "weakness": "w", "description": "d",
        "detector": "t", "source_id": "s", "asset": "a", "detected": "2026-01-01", "due": "2026-01-31",
        "severity": "high", "likelihood": "Moderate", "likelihood_basis": "b.", "impact": "High", "risk": "High",
        "remediation": "r", "milestones": [{"due": "2026-01-31", "description": "m"}], "status": "open",
        "days_over": 0, "point_of_contact": "", "vendor_dependency": False, "vendor_product": "", "cve": "",
        "deviation": "", "deviation_owner": "", "deviation_expires": "", "evidence": [], "comments": [],
    }  # fmt: skip
    return base | over


class _Clock:
    def __init__(self, at: datetime) -> None:
        self.now = at

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


def test_detection_date_is_the_first_failing_evaluation_and_the_window_counts_from_it(
    tmp_path: Path, catalog: Catalog
) -> None:
    check = "docker.container.user"
    meta = catalog.checks[check]
    assert meta.severity is Severity.HIGH
    clock = _Clock(datetime(2026, 3, 1, 9, tzinfo=UTC))
    finding = Finding(
        check=check,
        title=meta.title,
        status=FindingStatus.FAIL,
        severity=meta.severity,
        resource="c" * 64,
        scope=Scope(host="prod-01"),
        message="Container web runs privileged.",
        controls=catalog.check_controls[check],
    )
    with Engagement.create(tmp_path / "e.engagement", name="e", organisation="o", frameworks=[FEDRAMP], actor="ana",
                           clock=clock) as eng:  # fmt: skip
        eng.replace_findings([finding], "ana")
        clock.now = datetime(2026, 4, 1, 9, tzinfo=UTC)  # 31 days later, still failing
        eng.replace_findings([finding], "ana")
        ctx = build(eng, catalog, framework=FEDRAMP)
    [item] = ctx["poam"]["items"]
    assert (item["detected"], item["due"], item["status"], item["days_over"]) == (
        "2026-03-01", "2026-03-31", "overdue", 1)  # fmt: skip
    assert item["controls"] and all(c in {r.id for r in catalog.frameworks[FEDRAMP].requirements}
                                    for c in item["controls"])  # fmt: skip


def test_poam_for_another_framework_is_one_clear_error_and_writes_nothing(demo: dict, tmp_path: Path) -> None:
    out = tmp_path / "poam.csv"
    proc = subprocess.run(
        [sys.executable, "-m", "auditprep", "report", str(demo["path"]), "--framework", "pci-dss",
         "--format", "poam-csv", "-o", str(out)],
        capture_output=True, text=True,
    )  # fmt: skip
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "POA&M is a FedRAMP deliverable" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert not out.exists()


def test_assessment_results_keep_who_answered_and_attested_and_give_every_risk_a_deadline(
    demo: dict, catalog: Catalog
) -> None:
    from trestle.oscal.assessment_results import Model as OscalAssessmentResults

    doc = json.loads(report_bytes(demo["ctx"], catalog, "oscal"))
    ar = OscalAssessmentResults.model_validate(doc).assessment_results
    result = ar.results[0]
    assert result.risks and all(r.deadline is not None for r in result.risks)
    people = {p.uuid: p.name for p in ar.metadata.parties or []}
    attested = [c for c in demo["ctx"]["controls"].values() if c["attestation"]]
    assert attested
    for c in attested:
        obs = next(o for o in result.observations if o.title.startswith(f"{c['id']} "))
        props = {p.name: p.value for p in obs.props}
        assert props["attested-by"] == c["attestation"]["by"] and props["answered-by"] == c["answer"]["by"]
        names = {people[a.actor_uuid] for o in obs.origins for a in o.actors}
        assert names == {c["attestation"]["by"], c["answer"]["by"]}
    assert '"planned"' not in json.dumps(doc)  # no implementation status nobody stated


def test_cli_writes_the_poam_and_takes_xlsx_from_the_file_name(demo: dict, tmp_path: Path) -> None:
    for args, name in ((("--format", "poam-oscal"), "poam.json"), ((), "poam.xlsx")):
        out = tmp_path / name
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "auditprep",
                "report",
                str(demo["path"]),
                "--framework",
                FEDRAMP,
                *args,
                "-o",
                str(out),
            ],
            capture_output=True,
            text=True,
        )
        assert proc.returncode == 0, proc.stderr
    assert "plan-of-action-and-milestones" in json.loads((tmp_path / "poam.json").read_text())
    assert openpyxl.load_workbook(tmp_path / "poam.xlsx").active.title == "Open POA&M Items"
