"""Checks judged against AWS's real behaviour: defaults that pass, fields that were not shown, and
sentences that say exactly what failed. Each test seeds a small estate in the moto server, runs
the real collector over HTTP and evaluates the real checks.
"""

from __future__ import annotations

import pytest

from auditprep.collect.aws import collect_aws
from auditprep.models import CallStatus, Finding, FindingStatus

from .test_collect import collected, findings_of  # noqa: F401 - the shared collection
from .world import R1, client

PASS, FAIL, WARN, NOT_EVALUATED = (
    FindingStatus.PASS,
    FindingStatus.FAIL,
    FindingStatus.WARN,
    FindingStatus.NOT_EVALUATED,
)


def collect(sessions, regions=(R1,)):
    out = collect_aws(regions=list(regions), session_factory=sessions, max_rps=500)
    return out, findings_of(out)


def of(findings: list[Finding], check_id: str, region: str | None = None) -> list[Finding]:
    return [f for f in findings if f.check == check_id and (region is None or f.scope.region == region)]


# --- CloudTrail ------------------------------------------------------------------------------------


def test_a_trail_without_custom_selectors_records_all_management_events(aws, sessions):
    client("s3", R1).create_bucket(Bucket="trail-bucket")
    ct = client("cloudtrail", R1)
    ct.create_trail(Name="main", S3BucketName="trail-bucket", IsMultiRegionTrail=True)
    ct.start_logging(Name="main")
    out, findings = collect(sessions)
    trail = next(e for e in out.evidence if e.kind == "aws.cloudtrail.trail" and e.resource)
    assert trail.data["EventSelectors"] == [] and trail.data["AdvancedEventSelectors"] == []
    found = of(findings, "aws.cloudtrail.multi_region", R1)
    assert [f.status for f in found] == [PASS], [f.message for f in found]
    assert "default" in found[0].message


def test_a_failing_trail_says_which_condition_failed(aws, sessions):
    client("s3", R1).create_bucket(Bucket="trail-bucket")
    ct = client("cloudtrail", R1)
    ct.create_trail(Name="local", S3BucketName="trail-bucket")  # single-region, never started
    ct.create_trail(Name="writes-only", S3BucketName="trail-bucket", IsMultiRegionTrail=True)
    ct.start_logging(Name="writes-only")
    ct.put_event_selectors(
        TrailName="writes-only", EventSelectors=[{"ReadWriteType": "WriteOnly", "IncludeManagementEvents": True}]
    )
    ct.create_trail(Name="data-only", S3BucketName="trail-bucket", IsMultiRegionTrail=True)
    ct.start_logging(Name="data-only")
    ct.put_event_selectors(
        TrailName="data-only", EventSelectors=[{"ReadWriteType": "All", "IncludeManagementEvents": False}]
    )
    _, findings = collect(sessions)
    found = of(findings, "aws.cloudtrail.multi_region", R1)
    assert [f.status for f in found] == [FAIL]
    message = found[0].message
    assert "trail local: single-region, not logging" in message
    assert "trail writes-only: records only read or only write management events" in message
    assert "trail data-only: management events excluded" in message


# --- ECS Exec ----------------------------------------------------------------------------------------


def test_ecs_exec_not_reported_is_not_evaluated_never_passed(aws, sessions):
    # moto's DescribeServices answers enableExecuteCommand as null: the field was not shown
    ecs = client("ecs", R1)
    ecs.create_cluster(clusterName="prod")
    ecs.register_task_definition(family="web", containerDefinitions=[{"name": "app", "image": "a", "memory": 64}])
    ecs.create_service(cluster="prod", serviceName="web", taskDefinition="web", desiredCount=0, launchType="EC2")
    out, findings = collect(sessions)
    svc = next(e for e in out.evidence if e.kind == "aws.ecs.service" and e.resource)
    assert svc.data.get("enableExecuteCommand") is None
    found = of(findings, "aws.ecs.service_exec_enabled", R1)
    assert [f.status for f in found] == [NOT_EVALUATED]
    assert "enableExecuteCommand" in found[0].message and "not shown" in found[0].message


# --- EKS secrets ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("version", "phrase"),
    [
        ("1.30", "key AWS owns (the default since Kubernetes 1.28)"),
        ("1.27", "default envelope encryption (from 1.28) does not apply"),
    ],
)
def test_eks_without_a_customer_key_is_judged_by_what_eks_does_by_default(aws, sessions, version, phrase):
    client("eks", R1).create_cluster(
        name="plain",
        version=version,
        roleArn="arn:aws:iam::123456789012:role/eks",
        resourcesVpcConfig={"subnetIds": ["subnet-1"]},
    )
    _, findings = collect(sessions)
    found = of(findings, "aws.eks.secrets_encryption", R1)
    assert [f.status for f in found] == [FAIL]
    assert "no customer-managed KMS key" in found[0].message and phrase in found[0].message
    assert "does not envelope-encrypt" not in found[0].message


# --- Inspector deadlines --------------------------------------------------------------------------


def test_patch_deadline_counts_from_publication_not_first_observation(collected):
    # the planted critical was first seen 5 days ago on a fresh image, but published 200 days ago
    bad = collected.of("aws.inspector.critical_age", collected.world.names["image_bad"])
    assert [f.status for f in bad] == [FAIL]
    assert "200 days old, counted from its publication by NVD on" in bad[0].message
    good = collected.of("aws.inspector.critical_age", collected.world.names["image_good"])
    assert [f.status for f in good] == [PASS]


# --- KMS keys that are not there --------------------------------------------------------------------


def test_a_referenced_key_that_does_not_exist_is_a_finding_about_its_user_not_a_gap(aws, sessions):
    # moto gives a repository created with encryptionType KMS and no key a key ARN KMS cannot find
    repo = client("ecr", R1).create_repository(
        repositoryName="vault", encryptionConfiguration={"encryptionType": "KMS"}
    )["repository"]
    out, findings = collect(sessions)
    key = repo["encryptionConfiguration"]["kmsKey"]
    gaps = [e for e in out.evidence if e.kind == "aws.kms.key" and e.status is not CallStatus.COLLECTED]
    assert gaps == [], [g.message for g in gaps]
    found = of(findings, "aws.kms.rotation", R1)
    assert [(f.status, f.resource) for f in found] == [(FAIL, repo["repositoryArn"])]
    assert key in found[0].message and "does not exist or is not visible from this account" in found[0].message


# --- ECR scanning -----------------------------------------------------------------------------------


def test_a_repositorys_own_scan_on_push_is_reconciled_with_the_registry_answer(aws, sessions):
    # moto's BatchGetRepositoryScanningConfiguration ignores the repository's own scanOnPush
    ecr = client("ecr", R1)
    ecr.create_repository(repositoryName="pushed", imageScanningConfiguration={"scanOnPush": True})
    _, findings = collect(sessions)
    found = of(findings, "aws.ecr.registry_scanning", R1)
    assert [f.status for f in found] == [WARN], [f.message for f in found]
    assert "on push only" in found[0].message and "pushed scans on push by its own setting" in found[0].message
    ecr.create_repository(repositoryName="plain")
    _, findings = collect(sessions)
    found = of(findings, "aws.ecr.registry_scanning", R1)
    assert [f.status for f in found] == [FAIL]
    assert "by hand: plain." in found[0].message


# --- Load balancer rules ------------------------------------------------------------------------------


def test_http_listener_rules_are_judged_not_only_the_default_action(collected):
    names = collected.world.names
    forward = collected.of("aws.elb.http_redirect", names["listener_http_rule_forward"])
    assert [f.status for f in forward] == [FAIL]
    assert "rule 10 (path-pattern /api/*)" in forward[0].message
    redirect = collected.of("aws.elb.http_redirect", names["listener_http_redirect"])
    assert [f.status for f in redirect] == [PASS] and "1 rule(s)" in redirect[0].message


# --- Log retention -------------------------------------------------------------------------------------


def test_every_log_group_is_judged_for_retention_saying_which_hold_container_logs(collected):
    names = collected.world.names
    orphan = collected.of("aws.logs.retention", names["log:/ecs/orphan"])
    assert [f.status for f in orphan] == [FAIL]
    assert "only 30 days" in orphan[0].message and "named like a container log group" in orphan[0].message
    web = collected.of("aws.logs.retention", names["log:/ecs/web"])
    assert [f.status for f in web] == [PASS] and "container workload logs, written by web-good:" in web[0].message
    trail = collected.of("aws.logs.retention", names["log:/trail/org"])
    assert "none of them a container workload" in trail[0].message
    # encryption is still judged on the groups collected resources write to
    assert collected.of("aws.logs.kms", names["log:/ecs/orphan"]) == []


# --- Non-root ECS containers --------------------------------------------------------------------------


def test_an_ecs_container_without_a_user_depends_on_its_image_and_does_not_fail(aws, sessions):
    ecs = client("ecs", R1)
    image = "nginx@sha256:" + "a" * 64
    for family, user in (("unset", None), ("root", "0:0"), ("named", "1000")):
        container = {"name": "app", "image": image, "memory": 64, **({"user": user} if user else {})}
        ecs.register_task_definition(family=family, containerDefinitions=[container])
    _, findings = collect(sessions)
    by_family = {f.resource.rsplit("/", 1)[-1].split(":")[0]: f for f in of(findings, "aws.ecs.task_nonroot", R1)}
    assert by_family["unset"].status is NOT_EVALUATED
    assert "depends on the image's USER, not shown" in by_family["unset"].message
    assert by_family["root"].status is FAIL and "as root" in by_family["root"].message
    assert by_family["named"].status is PASS
