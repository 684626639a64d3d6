"""A full collection over the planted estate (moto server, two regions, two accounts) and the
findings the checks draw from it: every planted misconfiguration is flagged, every twin is not."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from auditprep.checks import load_all
from auditprep.checks.engine import evaluate
from auditprep.collect.aws import OPERATIONS, collect_aws, iam_policy
from auditprep.collect.base import CollectionOutcome
from auditprep.models import CallStatus, CheckMeta, Finding, FindingStatus

from . import world
from .conftest import Sessions, _post
from .world import ACCOUNT_A, ACCOUNT_B, R1, R2, ROLE_B

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = """
aws.ecs.task_privileged aws.ecs.task_nonroot aws.ecs.task_readonly_rootfs aws.ecs.task_host_namespaces
aws.ecs.task_capabilities aws.ecs.task_logging aws.ecs.task_env_secrets aws.ecs.task_image_digest
aws.ecs.service_public_ip aws.ecs.service_platform_version aws.ecs.service_exec_enabled
aws.ecs.cluster_container_insights aws.ecs.cluster_exec_logging
aws.eks.version_supported aws.eks.endpoint_public aws.eks.control_plane_logging aws.eks.secrets_encryption
aws.ecr.registry_scanning aws.ecr.tag_immutability aws.ecr.lifecycle_policy aws.ecr.kms_encryption
aws.ecr.image_findings aws.inspector.ecr_scanning aws.inspector.critical_age
aws.guardduty.enabled aws.guardduty.runtime_monitoring aws.guardduty.eks_audit_logs
aws.securityhub.enabled aws.config.recorder
aws.cloudtrail.multi_region aws.cloudtrail.log_validation aws.cloudtrail.kms aws.cloudtrail.cloudwatch aws.cloudtrail.organization
aws.logs.retention aws.logs.kms aws.elb.tls_policy aws.elb.http_redirect aws.acm.expiry aws.kms.rotation
""".split()


def check_metadata() -> dict[str, CheckMeta]:
    data = yaml.safe_load((ROOT / "questionnaires" / "checks" / "aws.yaml").read_text())
    return {m.id: m for m in (CheckMeta.model_validate(x) for x in data["checks"])}


def findings_of(outcome: CollectionOutcome) -> list[Finding]:
    registry = {k: v for k, v in load_all().items() if k.startswith("aws.")}
    return evaluate(outcome.evidence, check_metadata(), {}, registry).findings


def versions_response(*pairs: tuple[str, str]) -> dict:
    """DescribeClusterVersions answer (moto lacks this operation, so it is stubbed)."""
    return {
        "clusterVersions": [
            {
                "clusterVersion": v,
                "versionStatus": status,
                "status": status,
                "endOfStandardSupportDate": dt.datetime(2030, 1, 1, tzinfo=dt.UTC),
            }
            for v, status in pairs
        ]
    }


class Collected:
    def __init__(self, outcome: CollectionOutcome, w: world.World, sessions: Sessions):
        self.outcome = outcome
        self.world = w
        self.sessions = sessions
        self.findings = findings_of(outcome)

    def of(
        self, check_id: str, resource: str | None = None, *, account: str = ACCOUNT_A, region: str | None = None
    ) -> list[Finding]:
        return [
            f
            for f in self.findings
            if f.check == check_id
            and f.scope.account == account
            and (resource is None or f.resource == resource)
            and (region is None or f.scope.region == region)
        ]

    def status(self, check_id: str, resource: str, **kw: str) -> FindingStatus:
        found = self.of(check_id, resource, **kw)
        assert len(found) == 1, f"{check_id} on {resource}: {[(f.status, f.message) for f in found]}"
        return found[0].status


@pytest.fixture(scope="module")
def collected(moto_endpoint: str) -> Iterator[Collected]:
    with pytest.MonkeyPatch.context() as mp:
        _post(moto_endpoint, "/moto-api/reset")
        for var in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN"):
            mp.delenv(var, raising=False)
        mp.setenv("AWS_ENDPOINT_URL", moto_endpoint)
        mp.setenv("AWS_ACCESS_KEY_ID", "testing")
        mp.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        mp.setenv("AWS_DEFAULT_REGION", R1)
        mp.setenv("AWS_CONFIG_FILE", "/nonexistent/auditprep-test-config")
        mp.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/auditprep-test-credentials")
        w = world.plant(lambda path, body: _post(moto_endpoint, path, body))
        sessions = Sessions()
        sessions.stub(
            "eks",
            R1,
            "DescribeClusterVersions",
            versions_response(("1.27", "EXTENDED_SUPPORT"), ("1.33", "STANDARD_SUPPORT")),
        )
        sessions.stub("eks", R2, "DescribeClusterVersions", versions_response(("1.33", "STANDARD_SUPPORT")))
        outcome = collect_aws(regions=[R1, R2], role_arns=[ROLE_B], session_factory=sessions, max_rps=500)
        yield Collected(outcome, w, sessions)


FAIL, WARN, PASS = FindingStatus.FAIL, FindingStatus.WARN, FindingStatus.PASS

# (check, planted misconfiguration, corrected twin, expected status of the misconfiguration)
TWINS = [
    ("aws.ecs.task_privileged", "td_bad", "td_good", FAIL),
    ("aws.ecs.task_nonroot", "td_bad", "td_good", FindingStatus.NOT_EVALUATED),  # no user: the image decides
    ("aws.ecs.task_readonly_rootfs", "td_bad", "td_good", FAIL),
    ("aws.ecs.task_host_namespaces", "td_bad", "td_good", FAIL),
    ("aws.ecs.task_capabilities", "td_bad", "td_good", FAIL),
    ("aws.ecs.task_logging", "td_bad", "td_good", FAIL),
    ("aws.ecs.task_env_secrets", "td_bad", "td_good", FAIL),
    ("aws.ecs.task_image_digest", "td_bad", "td_good", FAIL),
    ("aws.ecs.service_public_ip", "svc_public", "svc_good", FAIL),
    ("aws.ecs.service_platform_version", "svc_public", "svc_good", FAIL),
    ("aws.ecs.cluster_container_insights", "cluster_bad", "cluster_good", FAIL),
    ("aws.ecs.cluster_exec_logging", "cluster_bad", "cluster_good", FAIL),
    ("aws.eks.version_supported", "eks_bad", "eks_good", WARN),
    ("aws.eks.endpoint_public", "eks_bad", "eks_good", FAIL),
    ("aws.eks.control_plane_logging", "eks_bad", "eks_good", FAIL),
    ("aws.eks.secrets_encryption", "eks_bad", "eks_good", FAIL),
    ("aws.ecr.tag_immutability", "repo_bad", "repo_good", FAIL),
    ("aws.ecr.lifecycle_policy", "repo_bad", "repo_good", FAIL),
    ("aws.ecr.kms_encryption", "repo_bad", "repo_good", WARN),
    ("aws.ecr.image_findings", "image_bad", "image_good", FAIL),
    ("aws.inspector.critical_age", "image_bad", "image_good", FAIL),
    ("aws.guardduty.runtime_monitoring", "detector_bad", "detector_good", FAIL),
    ("aws.cloudtrail.log_validation", "trail_bad", "trail_good", FAIL),
    ("aws.cloudtrail.kms", "trail_bad", "trail_good", FAIL),
    ("aws.cloudtrail.cloudwatch", "trail_bad", "trail_good", FAIL),
    ("aws.logs.retention", "log:/aws/eks/eks-bad/cluster", "log:/ecs/web", FAIL),
    ("aws.logs.kms", "log:/aws/eks/eks-bad/cluster", "log:/ecs/exec", FAIL),
    ("aws.elb.tls_policy", "listener_https_legacy", "listener_https_modern", FAIL),
    ("aws.elb.http_redirect", "listener_http_plain", "listener_http_redirect", FAIL),
    ("aws.acm.expiry", "cert_soon", "cert_ok", WARN),
    ("aws.kms.rotation", "key_static", "key_rotating", FAIL),
]


@pytest.mark.parametrize(("check_id", "bad", "good", "expected"), TWINS, ids=[f"{t[0]}:{t[1]}" for t in TWINS])
def test_planted_misconfiguration_is_flagged_and_its_twin_passes(collected, check_id, bad, good, expected):
    names = collected.world.names
    assert collected.status(check_id, names[bad]) is expected
    assert collected.status(check_id, names[good]) is PASS
    bad_finding = collected.of(check_id, names[bad])[0]
    assert ACCOUNT_A in bad_finding.message and bad_finding.scope.region in bad_finding.message


# Region-level settings: (check, resource or "" for a region-level finding, account, bad region, good region)
REGIONAL = [
    ("aws.ecr.registry_scanning", "registry", ACCOUNT_A),
    ("aws.inspector.ecr_scanning", "account-status", ACCOUNT_A),
    ("aws.config.recorder", "configuration-recorder", ACCOUNT_A),
]


@pytest.mark.parametrize(("check_id", "marker", "account"), REGIONAL, ids=[r[0] for r in REGIONAL])
def test_region_settings_fail_in_the_bad_region_and_pass_in_the_good_one(collected, check_id, marker, account):
    good = collected.of(check_id, account=account, region=R1)
    bad = collected.of(check_id, account=account, region=R2)
    assert [f.status for f in good] == [PASS], [f.message for f in good]
    assert [f.status for f in bad] == [FAIL], [f.message for f in bad]
    assert marker in bad[0].resource


def test_guardduty_missing_detector_fails_the_region(collected):
    b_r2 = collected.of("aws.guardduty.enabled", account=ACCOUNT_B, region=R2)
    assert [(f.status, f.resource) for f in b_r2] == [(FAIL, "")]
    assert "no detector" in b_r2[0].message and ACCOUNT_B in b_r2[0].message and R2 in b_r2[0].message
    assert collected.status("aws.guardduty.enabled", collected.world.names["b_detector"], account=ACCOUNT_B) is PASS
    assert collected.status("aws.guardduty.eks_audit_logs", collected.world.names["detector_good"]) is PASS
    assert collected.status("aws.guardduty.eks_audit_logs", collected.world.names["detector_bad"]) is FAIL


def test_trail_coverage_is_judged_per_region_and_account(collected):
    for region in (R1, R2):  # the multi-region trail's shadow covers region 2
        assert [f.status for f in collected.of("aws.cloudtrail.multi_region", region=region)] == [PASS]
        no_trail = collected.of("aws.cloudtrail.multi_region", account=ACCOUNT_B, region=region)
        assert [f.status for f in no_trail] == [FAIL]
        assert "no trail covers it" in no_trail[0].message


def test_security_hub_missing_in_moto_is_not_evaluated_never_passed(collected):
    r1 = collected.of("aws.securityhub.enabled", region=R1)
    gaps = [f for f in r1 if f.status is FindingStatus.NOT_EVALUATED]
    assert len(gaps) == 1 and "securityhub:GetEnabledStandards" in gaps[0].message
    assert not [f for f in r1 if f.status in (PASS, FAIL, WARN)]
    r2 = collected.of("aws.securityhub.enabled", region=R2)
    assert [f.status for f in r2] == [FAIL] and "not enabled" in r2[0].message


def test_every_check_of_the_catalogue_has_code_and_metadata():
    registry = {k for k in load_all() if k.startswith("aws.")}
    assert registry == set(CATALOGUE) == set(check_metadata())


def test_every_check_produced_findings_and_none_passed_without_evidence(collected):
    seen = {f.check for f in collected.findings}
    assert seen == set(CATALOGUE)
    for f in collected.findings:
        if f.status is PASS:
            assert f.resource, f"a pass must name a resource: {f.check} {f.message}"
            assert f.message.endswith(".") and f.scope.account in f.message


def test_collection_is_read_only_and_the_policy_matches_the_operations(collected):
    invoked = set(collected.sessions.calls)
    assert invoked, "no operation was recorded"
    for service, op in invoked:
        if (service, op) == ("sts", "AssumeRole"):
            continue  # obtaining credentials for --role-arn; not a call on the audited resources
        assert re.match(r"^(Describe|List|Get|BatchGet|Lookup)[A-Z]", op), f"{service}:{op} is not a read"
    # moto's AWS Config models no ECS resource type, so no ECS resource is listed to read the history of
    declared = {(o.service, o.name) for o in OPERATIONS} - {("config", "GetResourceConfigHistory")}
    assert invoked - {("sts", "AssumeRole")} == declared, "the declared list must be exactly what a full run uses"
    policy = iam_policy()
    actions = {a for st in policy["Statement"] for a in st["Action"]}
    assert actions == {o.action for o in OPERATIONS}
    assert all(re.match(r"^[a-z0-9-]+:(Describe|List|Get|BatchGet|Lookup)", a) for a in actions)
    assert iam_policy([ROLE_B])["Statement"][1] == {
        "Sid": "AuditprepAssumeAuditRoles",
        "Effect": "Allow",
        "Action": ["sts:AssumeRole"],
        "Resource": [ROLE_B],
    }


def test_environment_values_never_reach_the_evidence(collected):
    dumped = json.dumps([e.model_dump(mode="json") for e in collected.outcome.evidence])
    assert world.PLANTED_SECRET not in dumped
    td = next(e for e in collected.outcome.evidence if e.resource == collected.world.names["td_bad"])
    env = td.data["containerDefinitions"][0]["environment"]
    assert env == [{"name": "AWS_SECRET_ACCESS_KEY", "secret_like": True}, {"name": "GREETING", "secret_like": False}]
    assert "containerDefinitions[0].environment[*].value" in td.redactions
    assert "containerDefinitions[0].command" in td.redactions


def test_accounts_and_regions_are_kept_apart(collected):
    out = collected.outcome
    assert out.identity.split(", ") == [
        f"arn:aws:sts::{ACCOUNT_A}:user/moto",
        f"arn:aws:sts::{ACCOUNT_B}:assumed-role/auditor/auditprep",
    ]
    assert sorted(out.targets) == sorted(f"{a}/{r}" for a in (ACCOUNT_A, ACCOUNT_B) for r in (R1, R2))
    b_clusters = [
        e.resource for e in out.evidence if e.kind == "aws.ecs.cluster" and e.scope.account == ACCOUNT_B and e.resource
    ]
    assert b_clusters == [collected.world.names["b_cluster"]]
    assert collected.status("aws.ecs.cluster_container_insights", b_clusters[0], account=ACCOUNT_B) is FAIL
    identities = [e for e in out.evidence if e.kind == "aws.sts.identity" and e.resource]
    assert {e.scope.region for e in identities} == {"global"}


def test_every_attempted_kind_has_one_scope_record(collected):
    scope_records: dict[tuple, int] = {}
    for e in collected.outcome.evidence:
        if not e.resource and e.scope.region not in ("global",):
            key = (e.kind, e.scope.account, e.scope.region)
            scope_records[key] = scope_records.get(key, 0) + 1
    assert scope_records and all(n == 1 for n in scope_records.values()), scope_records
    items = {
        (e.kind, e.scope.account, e.scope.region)
        for e in collected.outcome.evidence
        if e.resource and e.status is CallStatus.COLLECTED and e.scope.region != "global"
    }
    assert items <= set(scope_records)


def test_no_collector_met_an_unexpected_answer(collected):
    odd = [e.message for e in collected.outcome.evidence if "unexpectedly" in e.message]
    assert odd == []


def test_images_in_use_are_linked_to_their_task_definitions(collected):
    names = collected.world.names
    images = {e.resource: e for e in collected.outcome.evidence if e.kind == "aws.ecr.image" and e.resource}
    assert images[names["image_bad"]].data["auditprep_derived"]["in_use_by_task_definitions"] == [names["td_bad"]]
    assert images[names["image_good"]].data["auditprep_derived"]["in_use_by_task_definitions"] == [names["td_good"]]


def test_every_account_of_a_collection_reads_the_service_models_once(aws, sessions):
    # a loader per session parsed every service model again for each account (about 40 MiB each)
    out = collect_aws(regions=[R1], role_arns=[ROLE_B], session_factory=sessions, max_rps=500)
    assert {t.split("/")[0] for t in out.targets} == {ACCOUNT_A, ACCOUNT_B}
    loaders = {id(s._session.get_component("data_loader")) for s in sessions.made}
    assert len(sessions.made) >= 2 and len(loaders) == 1


def test_every_aws_record_carries_the_request_id_of_its_call(collected):
    """Each resource's evidence names the AWS request id of the answer it holds (moto answers with one,
    as AWS does); so do the scope records of calls that were made. A stubbed answer has none, so the
    stubbed operation is left out here."""
    missing = [
        (e.kind, e.operation, e.resource or e.scope.label())
        for e in collected.outcome.evidence
        if not e.request_ids
        and e.status is CallStatus.COLLECTED
        and e.operation != "eks:DescribeClusterVersions"
        and not (e.data.get("count") == 0 and e.message)  # nothing to call (e.g. no clusters, no versions)
    ]
    assert missing == [], "\n".join(map(str, missing))
    for e in collected.outcome.evidence:
        assert all(isinstance(rid, str) and rid.strip() for rid in e.request_ids), (e.operation, e.kind)


def test_each_scan_summary_is_read_once_though_it_is_read_early(collected):
    # ECR's early reads ask for an in-use image's scan summary while ECS is still reading the task
    # definitions; the second phase records that answer instead of asking again
    summarised = [
        e
        for e in collected.outcome.evidence
        if e.kind == "aws.ecr.image" and e.resource and "scan" in e.data["auditprep_derived"]
    ]
    asked = [c for c in collected.sessions.calls if c == ("ecr", "DescribeImageScanFindings")]
    assert summarised, "no image in use lacked a scan summary: the test would prove nothing"
    assert len(asked) == len(summarised)
    for e in summarised:
        assert e.data["auditprep_derived"]["in_use_by_task_definitions"], e.resource
        assert e.data["auditprep_derived"]["scan"]["imageScanStatus"], e.resource
