"""Working papers in the demo's reports: the PCI evidence reference table and worksheets, the HIPAA
decisions, the FedRAMP risk table, the vulnerability ageing, and the top gaps beside an exception."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from auditprep.catalog import Catalog, load_catalog
from auditprep.demo import build_demo
from auditprep.models import ControlException
from auditprep.report import build, report_bytes
from auditprep.store import Engagement
from auditprep.store.workpapers import FIELD_LABELS, record_worksheet


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture(scope="module")
def demo_path(tmp_path_factory: pytest.TempPathFactory, catalog: Catalog) -> Path:
    path = tmp_path_factory.mktemp("workpapers") / "demo.engagement"
    build_demo(path, catalog)
    return path


@pytest.fixture(scope="module")
def contexts(demo_path: Path, catalog: Catalog) -> dict[str, dict[str, Any]]:
    with Engagement.open(demo_path, readonly=True) as eng:
        return {fw: build(eng, catalog, framework=fw) for fw in ("pci-dss", "hipaa", "fedramp-moderate")}


def test_pci_evidence_reference_table_has_one_id_per_item_and_every_requirement_points_into_it(
    contexts: dict, catalog: Catalog
) -> None:
    ctx = contexts["pci-dss"]
    refs = ctx["evidence_refs"]
    ids = [r["ref"] for r in refs]
    assert len(ids) == len(set(ids))
    assert [r["ref"] for r in refs if r["type"] == "Document"] == [
        f"DOC-{n:02d}" for n in range(1, len(ctx["documents"]) + 1)
    ]
    assert any(r["ref"].startswith("INT-") for r in refs)
    by_req = ctx["evidence_refs_by_requirement"]
    for section in ctx["sections"]:
        for req in section["requirements"]:
            cited = {e for o in req["objectives"] for e in o["evidence"]}
            assert cited <= set(by_req.get(req["id"], [])), req["id"]  # every cited item has its reference
    assert set(by_req) <= {r.id for r in catalog.frameworks["pci-dss"].requirements}
    html = report_bytes(ctx, catalog, "html").decode()
    assert "Appendix G. Evidence reference table" in html and "Evidence references:</strong> DOC-" in html


def test_the_demo_exception_has_a_complete_worksheet_and_does_not_lead_the_top_gaps(contexts: dict) -> None:
    ctx = contexts["pci-dss"]
    [sheet] = ctx["worksheets"]
    assert sheet["control"] == "HRD-06" and sheet["complete"] and sheet["missing"] == []
    assert [f["label"] for f in sheet["fields"]] == list(FIELD_LABELS.values())
    assert "2.2.6" in sheet["requirements"] or sheet["requirements"]
    top = ctx["summary"]["top_gaps"]
    socket = "can reach the container engine's API"
    assert socket not in top[0]["headline"]  # that failure is accepted under HRD-06's exception
    assert all(socket not in g["headline"] or g["under_exception"] for g in top)


def test_an_exception_without_a_worksheet_is_flagged_incomplete(
    demo_path: Path, catalog: Catalog, tmp_path: Path
) -> None:
    copy = tmp_path / "copy.engagement"
    copy.write_bytes(demo_path.read_bytes())
    with Engagement.open(copy) as eng:
        new = eng.add_exception(
            ControlException(
                control_id="SEC-01",
                owner="Ana",
                rationale="legacy vendor image",
                recorded_by="ana",
                expires=eng.clock() + timedelta(days=30),
                recorded_at=eng.clock(),
            )  # fmt: skip
        )
        record_worksheet(eng, new, {"constraints": "The vendor image reads its key from the environment."}, "ana")
        ctx = build(eng, catalog, framework="pci-dss")
    sheet = next(w for w in ctx["worksheets"] if w["id"] == new)
    assert not sheet["complete"] and "Constraints" not in sheet["missing"] and len(sheet["missing"]) == 7
    html = report_bytes(ctx, catalog, "html").decode()
    assert html.count("WORKSHEET INCOMPLETE") == 1 and f"--id {new} --FIELD TEXT" in html


def test_hipaa_report_shows_decisions_and_flags_every_addressable_spec_without_one(
    contexts: dict, catalog: Catalog
) -> None:
    ctx = contexts["hipaa"]
    addressable = [r.id for r in catalog.frameworks["hipaa"].requirements if r.designation == "addressable"]
    rows = {r["id"]: r for r in ctx["decisions"]["rows"]}
    assert list(rows) == addressable
    assert rows["164.312(a)(2)(iii)"]["decision"] == "alternative" and rows["164.312(a)(2)(iii)"]["rationale"]
    assert rows["164.312(a)(2)(iii)"]["by"].startswith("Priya Raman")
    decided = [s for s, r in rows.items() if r["decision"]]
    assert len(decided) == 4 and sorted(ctx["decisions"]["missing"]) == sorted(set(addressable) - set(decided))
    html = report_bytes(ctx, catalog, "html").decode()
    assert f"{len(addressable) - 4} of {len(addressable)} addressable specifications have no recorded decision" in html
    assert html.count("NO DECISION RECORDED") == len(addressable) - 4  # once under each requirement in section 3


def test_fedramp_report_has_the_risk_table_and_ageing_other_frameworks_do_not(contexts: dict, catalog: Catalog) -> None:
    fed = contexts["fedramp-moderate"]
    assert [a["title"] for a in fed["appendices"]] == [
        "Appendix G. Risk exposure table and POA&M",
        "Appendix H. Vulnerability ageing",
    ]
    [row] = fed["vulnerabilities"]["rows"]
    assert (row["id"], row["rule"], row["due"], row["in_use"]) == (
        "CVE-2014-0160",
        "FedRAMP RA-5",
        "2026-11-29",
        "yes",
    )  # 30 days from the first run that inventoried it
    html = report_bytes(fed, catalog, "html").decode()
    assert html.count('<tr><td class="mono">POAM-') == len(fed["poam"]["items"])
    pci_row = contexts["pci-dss"]["vulnerabilities"]["rows"][0]
    assert pci_row["rule"] == "PCI DSS 6.3.3" and pci_row["deadline_status"] == "entity_schedule"
    assert "poam" not in contexts["hipaa"] and "vulnerabilities" not in contexts["hipaa"]
