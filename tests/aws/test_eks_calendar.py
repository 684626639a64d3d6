"""EKS version support where the endpoint lacks eks:DescribeClusterVersions (moto does): recorded from
the calendar auditprep ships, saying so and its date; a refusal or an unknown version stays a gap."""

from __future__ import annotations

import datetime as dt

from botocore.exceptions import ClientError

from auditprep.collect.aws import collect_aws
from auditprep.collect.aws.eks_calendar import CALENDAR_DATE, version_support
from auditprep.collect.aws.runtime import classify
from auditprep.models import CallStatus, FindingStatus

from .test_collect import findings_of
from .world import ACCOUNT_A, R1, client


def _cluster(name: str, version: str) -> None:
    client("eks", R1).create_cluster(
        name=name,
        version=version,
        roleArn=f"arn:aws:iam::{ACCOUNT_A}:role/eks",
        resourcesVpcConfig={"subnetIds": ["subnet-1"], "endpointPublicAccess": False, "endpointPrivateAccess": True},
    )


def test_version_support_comes_from_the_dated_calendar_when_the_api_is_absent(aws, sessions):
    _cluster("tools", "1.32")
    at = dt.datetime(2026, 12, 4, 9, 0, tzinfo=dt.UTC)
    out = collect_aws(regions=[R1], session_factory=sessions, max_rps=500, clock=lambda: at)
    versions = [e for e in out.evidence if e.kind == "aws.eks.cluster_version"]
    assert all(e.status is CallStatus.COLLECTED for e in versions), [(e.status, e.message) for e in versions]
    assert not any("HTTP 404" in e.message for e in out.evidence)
    (item,) = [e for e in versions if e.resource]
    assert item.data["clusterVersion"] == "1.32" and item.data["versionStatus"] == "EXTENDED_SUPPORT"
    assert item.data["endOfStandardSupportDate"].startswith("2026-03-23")
    assert item.data["auditprep_derived"]["source"] == "calendar"
    assert CALENDAR_DATE in item.operation and not item.operation.startswith("eks:")
    (scope,) = [e for e in versions if not e.resource]
    assert "calendar" in scope.message and CALENDAR_DATE in scope.message
    (finding,) = [f for f in findings_of(out) if f.check == "aws.eks.version_supported"]
    assert finding.status is FindingStatus.WARN and "extended support" in finding.message
    assert f"calendar as of {CALENDAR_DATE}" in finding.message


def test_a_version_the_calendar_does_not_list_is_a_gap_and_never_passes(aws, sessions):
    _cluster("future", "1.99")
    out = collect_aws(regions=[R1], session_factory=sessions, max_rps=500)
    gaps = [e for e in out.evidence if e.kind == "aws.eks.cluster_version" and e.status is not CallStatus.COLLECTED]
    assert len(gaps) == 1 and "1.99" in gaps[0].message and CALENDAR_DATE in gaps[0].message
    statuses = {f.status for f in findings_of(out) if f.check == "aws.eks.version_supported"}
    assert statuses and FindingStatus.PASS not in statuses


def test_only_an_absent_operation_falls_back_to_the_calendar():
    def error(status: int, code: str) -> ClientError:
        return ClientError(
            {"Error": {"Code": code, "Message": "x"}, "ResponseMetadata": {"HTTPStatusCode": status}},
            "DescribeClusterVersions",
        )

    assert classify(error(404, ""), "eks:DescribeClusterVersions").unsupported
    assert classify(error(400, "UnknownOperationException"), "eks:DescribeClusterVersions").unsupported
    for status, code in ((403, "AccessDeniedException"), (429, "ThrottlingException"), (500, "ServerException")):
        assert not classify(error(status, code), "eks:DescribeClusterVersions").unsupported


def test_status_is_derived_from_the_dates_on_the_collection_day():
    def on(day: str) -> str:
        found = version_support("1.29", dt.datetime.fromisoformat(day).replace(tzinfo=dt.UTC))
        assert found is not None
        return found["versionStatus"]

    assert on("2025-03-22") == "STANDARD_SUPPORT"
    assert on("2025-03-23") == "EXTENDED_SUPPORT"
    assert on("2026-03-23") == "UNSUPPORTED"
    assert version_support("0.9", dt.datetime(2026, 1, 1, tzinfo=dt.UTC)) is None
