"""Trivy image reports: which images carry critical vulnerabilities that have a fix, and where they run."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from auditprep.application.importing import import_results
from auditprep.catalog import Catalog
from auditprep.imports import ImportMappings, findings_from_evidence
from auditprep.models import Evidence, FindingStatus, Scope, Source
from auditprep.store import Engagement

PAYMENTS = "111111111111.dkr.ecr.eu-west-1.amazonaws.com/payments@sha256:" + "b" * 64


def _by(findings: list, check: str, resource_part: str):
    return next(f for f in findings if f.check == check and resource_part in f.resource)


def test_critical_fixable_vulnerabilities_fail_naming_cve_package_and_fix(
    engagement: Engagement, catalog: Catalog, mappings: ImportMappings, samples: Path
) -> None:
    summary = import_results(engagement, catalog, samples / "trivy-payments.json", "trivy", "ana")
    assert summary.tool_version == "0.58.0" and summary.records == 6 and summary.evidence_items == 6
    evidence = engagement.current_evidence()
    image = next(e for e in evidence if e.kind == "import.trivy_image")
    assert image.resource == PAYMENTS and image.scope == Scope(account="111111111111", region="eu-west-1")
    assert image.data["counts"] == {"CRITICAL": 3, "HIGH": 1, "LOW": 1}
    assert "ImageConfig" not in image.data["metadata"]  # its Env and history may hold secrets; never stored

    found = findings_from_evidence(evidence, catalog, mappings)
    critical = _by(found, "trivy/critical_fixable", "payments")
    assert critical.status is FindingStatus.FAIL and critical.controls == ("VUL-01", "VUL-03", "VUL-04")
    assert "carries 2 critical vulnerabilities with a fix available" in critical.message
    assert "CVE-2026-10001 in libssl3 3.0.11-1~deb12u1, fixed in 3.0.13-1~deb12u1" in critical.message
    assert "CVE-2026-10004 in lodash 4.17.15, fixed in 4.17.21" in critical.message
    assert "CVE-2026-10002" not in critical.message  # no fix yet: another rule
    assert "No container or task evidence was collected" in critical.message
    assert image.id in critical.evidence and len(critical.evidence) == 3
    unfixed = _by(found, "trivy/critical_unfixed", "payments")
    assert unfixed.status is FindingStatus.WARN and "CVE-2026-10002 in zlib1g" in unfixed.message
    assert _by(found, "trivy/high_fixable", "payments").status is FindingStatus.WARN
    assert summary.findings == {"fail": 1, "warn": 2}


def test_running_images_are_named_from_container_evidence(
    engagement: Engagement, catalog: Catalog, mappings: ImportMappings, samples: Path
) -> None:
    at = datetime(2026, 11, 1, tzinfo=UTC)
    engagement.add_run(
        actor="ana",
        source=Source.DOCKER,
        started_at=at,
        evidence=[
            Evidence(
                source=Source.DOCKER,
                collector="docker",
                operation="containers.list",
                kind="docker.container",
                scope=Scope(host="prod-01"),
                resource="c1",
                resource_name="payments-api",
                collected_at=at,
                data={"Image": "sha256:" + "a" * 64, "Config": {"Image": "payments:1.4.2"}},
            ),
            Evidence(
                source=Source.DOCKER,
                collector="docker",
                operation="containers.list",
                kind="docker.container",
                scope=Scope(host="prod-01"),
                resource="c2",
                resource_name="web",
                collected_at=at,
                data={"Image": "sha256:" + "9" * 64},
            ),
        ],
    )
    import_results(engagement, catalog, samples / "trivy-payments.json", "trivy", "ana")
    import_results(engagement, catalog, samples / "trivy-web.json", "trivy", "ana")
    found = findings_from_evidence(engagement.current_evidence(), catalog, mappings)
    critical = _by(found, "trivy/critical_fixable", "payments")
    assert "It runs in 1 container(s) or task(s) in the collected evidence: prod-01/payments-api." in critical.message
    web = _by(found, "trivy/critical_fixable", "ghcr.io/acme/web")
    assert (
        web.status is FindingStatus.PASS
        and "No running container or task in the collected evidence uses it." in web.message
    )
    assert "Scanned by Trivy unknown on 2026-11-01" in web.message


def test_images_accumulate_and_a_rebuilt_image_supersedes_its_repository(
    engagement: Engagement, catalog: Catalog, mappings: ImportMappings, samples: Path
) -> None:
    import_results(engagement, catalog, samples / "trivy-payments.json", "trivy", "ana")
    web = import_results(engagement, catalog, samples / "trivy-web.json", "trivy", "ana")
    assert web.carried_forward == 0  # different scope (ghcr.io is no AWS account)
    images = {e.resource_name for e in engagement.current_evidence() if e.kind == "import.trivy_image"}
    assert images == {"111111111111.dkr.ecr.eu-west-1.amazonaws.com/payments:1.4.2", "ghcr.io/acme/web:2.0"}

    rebuilt = import_results(engagement, catalog, samples / "trivy-payments-rebuilt.json", "trivy", "ana")
    assert rebuilt.carried_forward == 0
    current = engagement.current_evidence()
    assert {e.resource_name for e in current if e.kind == "import.trivy_image"} == {
        "111111111111.dkr.ecr.eu-west-1.amazonaws.com/payments:1.4.3",
        "ghcr.io/acme/web:2.0",
    }
    found = findings_from_evidence(current, catalog, mappings)
    assert _by(found, "trivy/critical_fixable", "payments").status is FindingStatus.PASS
    assert _by(found, "trivy/critical_unfixed", "payments").status is FindingStatus.WARN


def test_other_imports_in_the_same_scope_are_carried_forward(
    engagement: Engagement, catalog: Catalog, mappings: ImportMappings, samples: Path
) -> None:
    prowler = import_results(engagement, catalog, samples / "prowler.ocsf.json", "prowler-ocsf", "ana")
    trivy = import_results(engagement, catalog, samples / "trivy-payments.json", "trivy", "ana")
    assert trivy.carried_forward == 5  # the Prowler items of 111111111111/eu-west-1 stay current
    current = engagement.current_evidence()
    kinds = {e.kind for e in current}
    assert kinds == {"import.prowler_finding", "import.trivy_image", "import.trivy_vulnerability"}
    assert len([e for e in current if e.kind == "import.prowler_finding"]) == prowler.records
    checks = {f.check for f in findings_from_evidence(current, catalog, mappings)}
    assert "prowler/ecs_task_definitions_no_privileged_containers" in checks and "trivy/critical_fixable" in checks
