"""Security Hub findings in ASFF: mapped by control id, generator id or product."""

from __future__ import annotations

from pathlib import Path

from auditprep.application.importing import import_results
from auditprep.catalog import Catalog
from auditprep.imports import ImportMappings, findings_from_evidence
from auditprep.models import FindingStatus
from auditprep.store import Engagement


def test_asff_findings_are_mapped_by_control_generator_and_product(
    engagement: Engagement, catalog: Catalog, mappings: ImportMappings, samples: Path
) -> None:
    summary = import_results(engagement, catalog, samples / "securityhub.asff.json", "asff", "ana")
    assert summary.records == 8 and summary.evidence_items == 8
    evidence = engagement.current_evidence()
    found = {f.check: f for f in findings_from_evidence(evidence, catalog, mappings)}

    ecs4 = found["securityhub/ECS.4"]
    assert ecs4.status is FindingStatus.FAIL and ecs4.controls == ("HRD-01",) and ecs4.severity.value == "high"
    assert ecs4.resource == "arn:aws:ecs:eu-west-1:111111111111:task-definition/web:3"
    assert "Related requirements: PCI DSS v4.0.1/2.2.5, NIST.800-53.r5 AC-6(10)." in ecs4.message
    assert found["securityhub/ECR.1"].status is FindingStatus.PASS  # from GeneratorId alone
    assert found["guardduty/finding"].status is FindingStatus.FAIL
    assert found["guardduty/finding"].controls == ("MON-01", "MON-02")
    inspector = found["inspector/finding"]
    assert inspector.severity.value == "critical" and "CVE-2026-10001 (fix available)" in inspector.message
    suppressed = found["securityhub/EKS.2"]
    assert suppressed.status is FindingStatus.WARN and "suppressed" in suppressed.message
    prowler = found["prowler/ecs_task_definitions_no_environment_secrets"]
    assert prowler.status is FindingStatus.FAIL and prowler.controls == ("SEC-01",)
    assert "securityhub/ECS.5" not in found  # archived: evidence only
    assert "securityhub/S3.1" not in found  # not mapped: evidence only
    assert summary.unmapped == 2 and summary.unmapped_ids == ("ECS.5", "S3.1")

    stored = b"".join(bytes(r[0]) for r in engagement._query("SELECT data FROM blobs"))
    assert b"sk-live-in-asff" not in stored


def test_a_prowler_asff_array_is_accepted(
    engagement: Engagement, catalog: Catalog, samples: Path, tmp_path: Path
) -> None:
    import json

    findings = json.loads((samples / "securityhub.asff.json").read_text())["Findings"]
    (tmp_path / "prowler.asff.json").write_text(json.dumps([findings[-1]]))
    summary = import_results(engagement, catalog, tmp_path / "prowler.asff.json", "asff", "ana")
    assert summary.tool_version == "from Prowler 5.17.1" and summary.findings == {"fail": 1}
