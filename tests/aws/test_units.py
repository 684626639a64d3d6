"""Pure pieces of the AWS collector and checks: image references, error classification, redaction,
and check branches that moto cannot produce (evidence built by hand, as the collector records it)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from auditprep.checks import load_all
from auditprep.checks.engine import evaluate
from auditprep.collect.aws.ecs import redact_task_definition
from auditprep.collect.aws.runtime import classify
from auditprep.collect.aws.shared import ImageRef, InUseFeed
from auditprep.models import CallStatus, Evidence, FindingStatus, Scope, Source

from .test_collect import check_metadata

SCOPE = Scope(account="123456789012", region="us-east-1")
AT = datetime(2026, 6, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "registry", "repository", "tag", "digest", "ecr"),
    [
        ("nginx", "", "nginx", None, None, None),
        ("nginx:1.27", "", "nginx", "1.27", None, None),
        ("localhost:5000/app:v1", "localhost:5000", "app", "v1", None, None),
        (
            "123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/app@sha256:ab",
            "123456789012.dkr.ecr.eu-west-1.amazonaws.com",
            "team/app",
            None,
            "sha256:ab",
            ("123456789012", "eu-west-1"),
        ),
        ("public.ecr.aws/nginx/nginx:1.27", "public.ecr.aws", "nginx/nginx", "1.27", None, None),
    ],
)
def test_image_references_are_split(raw, registry, repository, tag, digest, ecr):
    ref = ImageRef.parse(raw)
    assert (ref.registry, ref.repository, ref.tag, ref.digest, ref.ecr) == (registry, repository, tag, digest, ecr)


def _client_error(code: str, status: int = 400, message: str = "nope") -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}}, "DescribeThing"
    )


@pytest.mark.parametrize(
    ("exc", "status"),
    [
        (_client_error("AccessDeniedException"), CallStatus.ACCESS_DENIED),
        (_client_error("UnauthorizedOperation"), CallStatus.ACCESS_DENIED),
        (_client_error("ThrottlingException"), CallStatus.THROTTLED),
        (_client_error("RequestLimitExceeded"), CallStatus.THROTTLED),
        (_client_error("InvalidParameterException"), CallStatus.ERROR),
        (EndpointConnectionError(endpoint_url="http://x"), CallStatus.ERROR),
    ],
)
def test_errors_are_classified(exc, status):
    failure = classify(exc, "ecs:DescribeThing")
    assert failure.status is status
    if status is CallStatus.ACCESS_DENIED:
        assert "ecs:DescribeThing" in failure.message


def test_classification_redacts_credentials_in_messages():
    failure = classify(_client_error("ValidationException", message="bad key AKIAABCDEFGHIJKLMNOP"), "x:Y")
    assert "AKIAABCDEFGHIJKLMNOP" not in failure.message


def test_task_definition_redaction_keeps_names_and_references_only():
    td = {
        "containerDefinitions": [
            {
                "name": "app",
                "environment": [{"name": "API_TOKEN", "value": "t0ken"}, {"name": "PORT", "value": "80"}],
                "secrets": [{"name": "DB", "valueFrom": "arn:aws:ssm:us-east-1:1:parameter/db"}],
                "logConfiguration": {
                    "logDriver": "splunk",
                    "options": {"splunk-token": "sp1unk", "splunk-url": "https://s"},
                },
                "dockerLabels": {"deploy.password": "pw", "team": "web"},
                "healthCheck": {"command": ["CMD-SHELL", "curl -H 'Authorization: abc' localhost"]},
            }
        ]
    }
    data, redactions = redact_task_definition(td)
    text = repr(data)
    for secret in ("t0ken", "sp1unk", "'pw'", "80"):
        assert secret not in text
    c = data["containerDefinitions"][0]
    assert c["environment"] == [{"name": "API_TOKEN", "secret_like": True}, {"name": "PORT", "secret_like": False}]
    assert c["secrets"] == td["containerDefinitions"][0]["secrets"]
    assert c["logConfiguration"]["options"]["splunk-url"] == "https://s"
    assert c["dockerLabels"]["team"] == "web"
    assert "containerDefinitions[0].logConfiguration.options.splunk-token" in redactions
    assert td["containerDefinitions"][0]["environment"][0]["value"] == "t0ken"  # the input is not mutated


def _item(kind: str, resource: str, data: dict, name: str = "x") -> Evidence:
    return Evidence(
        source=Source.AWS,
        collector="aws",
        operation="op",
        kind=kind,
        scope=SCOPE,
        resource=resource,
        resource_name=name,
        collected_at=AT,
        data=data,
    )


def _attempt(kind: str, count: int) -> Evidence:
    return Evidence(
        source=Source.AWS,
        collector="aws",
        operation="op",
        kind=kind,
        scope=SCOPE,
        collected_at=AT,
        data={"count": count},
    )


def _findings(evidence: list[Evidence], check_id: str):
    registry = {check_id: load_all()[check_id]}
    return evaluate(evidence, {check_id: check_metadata()[check_id]}, {}, registry).findings


def test_fargate_service_without_a_reported_platform_version_is_not_evaluated():
    svc = _item("aws.ecs.service", "arn:svc", {"launchType": "FARGATE", "clusterArn": "arn:c/prod", "deployments": []})
    [f] = _findings([_attempt("aws.ecs.service", 1), svc], "aws.ecs.service_platform_version")
    assert f.status is FindingStatus.NOT_EVALUATED and "did not report" in f.message


def test_eks_version_not_listed_by_eks_fails():
    cluster = _item("aws.eks.cluster", "arn:eks", {"version": "1.19"}, "old")
    version = _item(
        "aws.eks.cluster_version",
        "kubernetes-version/1.33",
        {"clusterVersion": "1.33", "versionStatus": "STANDARD_SUPPORT"},
    )
    evidence = [_attempt("aws.eks.cluster", 1), _attempt("aws.eks.cluster_version", 1), cluster, version]
    [f] = _findings(evidence, "aws.eks.version_supported")
    assert f.status is FindingStatus.FAIL and "1.19" in f.message


def test_critical_finding_ages_are_measured_from_collection_time():
    image = _item("aws.ecr.image", "repo@sha256:1", {"auditprep_derived": {"in_use_by_task_definitions": ["td"]}})
    finding = _item(
        "aws.inspector.finding",
        "arn:finding",
        {
            "severity": "CRITICAL",
            "firstObservedAt": "2026-05-30T00:00:00+00:00",
            "packageVulnerabilityDetails": {"vendorCreatedAt": "2026-05-10T00:00:00+00:00"},
            "resources": [{"in_use_image": "repo@sha256:1"}],
        },
        "CVE-1",
    )
    evidence = [_attempt("aws.inspector.finding", 1), _attempt("aws.ecr.image", 1), image, finding]
    [f] = _findings(evidence, "aws.inspector.critical_age")
    assert f.status is FindingStatus.WARN and "due in 8 days" in f.message  # published 22 days before 2026-06-01
    # without a publication date, a finding Inspector first saw recently cannot be aged
    del finding.data["packageVulnerabilityDetails"]
    [f] = _findings(evidence, "aws.inspector.critical_age")
    assert f.status is FindingStatus.NOT_EVALUATED and "no publication date or severity" in f.message


def _td(arn: str, *images: str) -> dict:
    return {"taskDefinitionArn": arn, "containerDefinitions": [{"image": i} for i in images]}


def test_the_in_use_feed_gives_each_image_of_a_task_definition_in_use_once_as_it_is_read():
    feed = InUseFeed()
    feed.begin()
    got: list[list[str]] = []
    reader = threading.Thread(target=lambda: got.extend(feed.follow()))
    reader.start()
    feed.task_definition(_td("td:a", "repo/a:1"))  # read before the services are: held until then
    feed.task_definition(_td("td:idle", "repo/idle:1"))  # no service runs it
    feed.services_read({"td:a", "td:b", "td:c"})
    feed.task_definition(_td("td:b", "repo/b:1", "repo/a:1"))
    feed.task_definition(_td("td:c", "repo/c@sha256:0f"))
    feed.finish()
    reader.join(timeout=5)
    assert not reader.is_alive()
    images = [i for batch in got for i in batch]
    assert sorted(images) == ["repo/a:1", "repo/b:1", "repo/c@sha256:0f"]


def test_the_in_use_feed_never_waits_on_an_ecs_read_that_has_not_started():
    assert list(InUseFeed().follow()) == []
