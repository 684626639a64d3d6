"""Prowler OCSF results: stored as one run of import evidence with provenance, mapped onto controls."""

from __future__ import annotations

from pathlib import Path

from auditprep.application.importing import import_results
from auditprep.catalog import Catalog
from auditprep.imports import ImportMappings, findings_from_evidence
from auditprep.models import FindingStatus, Scope, Source
from auditprep.store import Engagement, integrity
from auditprep.store.verify import verify_engagement


def _blobs(eng: Engagement) -> bytes:
    return b"".join(bytes(r[0]) for r in eng._query("SELECT data FROM blobs"))


def test_prowler_results_become_evidence_and_findings(
    engagement: Engagement, catalog: Catalog, mappings: ImportMappings, samples: Path
) -> None:
    path = samples / "prowler.ocsf.json"
    summary = import_results(engagement, catalog, path, "prowler-ocsf", "ana")
    sha = integrity.sha256(path.read_bytes())

    (run,) = engagement.runs()
    assert run.source == "import" and run.id == summary.run_id
    assert run.identity == f"prowler 5.17.1: prowler.ocsf.json (sha256:{sha})"
    assert f"sha256:{sha}" in run.targets and "111111111111/us-east-1" in run.targets
    evidence = engagement.current_evidence()
    assert len(evidence) == 6 and {e.kind for e in evidence} == {"import.prowler_finding"}
    assert all(e.source is Source.IMPORT and e.data["import"]["file_sha256"] == sha for e in evidence)
    privileged = next(
        e
        for e in evidence
        if e.resource.endswith("task-definition/web:3")
        and e.data["record"]["metadata"]["event_code"].endswith("privileged_containers")
    )
    assert privileged.scope == Scope(account="111111111111", region="eu-west-1")
    assert privileged.operation == "prowler 5.17.1 ecs_task_definitions_no_privileged_containers"
    assert privileged.collected_at.isoformat().startswith("2026-11-01T08:20")

    found = {f.check: f for f in findings_from_evidence(evidence, catalog, mappings)}
    fail = found["prowler/ecs_task_definitions_no_privileged_containers"]
    assert fail.status is FindingStatus.FAIL and fail.controls == ("HRD-01",) and fail.severity.value == "high"
    assert fail.message.startswith("ECS task definition web:3 has a privileged container: web.")
    assert "Imported from Prowler 5.17.1." in fail.message and fail.evidence == (privileged.id,)
    assert found["prowler/ecs_task_definitions_containers_readonly_access"].status is FindingStatus.PASS
    assert found["prowler/securityhub_enabled"].status is FindingStatus.NOT_EVALUATED
    muted = found["prowler/ecr_repositories_tag_immutability"]
    assert muted.status is FindingStatus.WARN and "muted in Prowler" in muted.message
    assert found["prowler/guardduty_is_enabled"].scope.region == "us-east-1"
    assert "prowler/s3_bucket_default_encryption" not in found  # no mapping: evidence only

    assert summary.records == 6 and summary.evidence_items == 6 and summary.unmapped == 1
    assert summary.unmapped_ids == ("s3_bucket_default_encryption",)
    assert summary.findings == {"fail": 2, "pass": 1, "not_evaluated": 1, "warn": 1}
    assert "Imported 6 record(s) from prowler.ocsf.json" in summary.render()
    assert verify_engagement(engagement) == []


def test_secret_values_never_reach_the_store(engagement: Engagement, catalog: Catalog, samples: Path) -> None:
    import_results(engagement, catalog, samples / "prowler.ocsf.json", "prowler-ocsf", "ana")
    stored = _blobs(engagement)
    assert b"hunter2-in-task-def" not in stored and b"AKIAIOSFODNN7EXAMPLE" not in stored
    item = next(e for e in engagement.current_evidence() if e.redactions and "environment" in e.redactions[0])
    env = item.data["record"]["resources"][0]["data"]["metadata"]["container_definitions"][0]["environment"]
    assert env == [{"name": "DB_PASSWORD", "value": "[REDACTED]"}]


def test_a_newer_scan_of_the_same_scope_replaces_the_older(
    engagement: Engagement, catalog: Catalog, samples: Path, tmp_path: Path
) -> None:
    import_results(engagement, catalog, samples / "prowler.ocsf.json", "prowler-ocsf", "ana")
    newer = (
        samples.joinpath("prowler.ocsf.json")
        .read_text()
        .replace(
            '"status_code": "FAIL",\n    "status_detail": "ECS task',
            '"status_code": "PASS",\n    "status_detail": "ECS task',
        )
    )
    assert newer != samples.joinpath("prowler.ocsf.json").read_text()
    (tmp_path / "newer.json").write_text(newer)
    summary = import_results(engagement, catalog, tmp_path / "newer.json", "prowler-ocsf", "ana")
    assert summary.carried_forward == 0 and len(engagement.runs()) == 2
    current = [
        e
        for e in engagement.current_evidence()
        if e.data["record"]["metadata"]["event_code"].endswith("privileged_containers")
    ]
    assert len(current) == 1 and current[0].data["record"]["status_code"] == "PASS"
    assert summary.already_imported is False
    assert import_results(engagement, catalog, tmp_path / "newer.json", "prowler-ocsf", "ana").already_imported
