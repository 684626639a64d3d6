"""The evaluation engine keeps reports honest whatever a check function does."""

from __future__ import annotations

from datetime import UTC, datetime

from auditprep.checks.engine import CheckSpec, EvidenceView, Result, evaluate
from auditprep.models import CallStatus, CheckMeta, Evidence, FindingStatus, Scope, Severity, Source

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
EU = Scope(account="111111111111", region="eu-west-1")
US = Scope(account="111111111111", region="us-east-1")
META = {
    "aws.ecs.task_privileged": CheckMeta(
        id="aws.ecs.task_privileged",
        title="No privileged tasks",
        severity=Severity.HIGH,
        description="d",
        remediation="r",
    )
}
CONTROLS = {"aws.ecs.task_privileged": ("HRD-01",)}


def ev(scope: Scope, resource: str = "", status=CallStatus.COLLECTED, data=None, message: str = "") -> Evidence:
    return Evidence(
        source=Source.AWS,
        collector="t",
        operation="ecs:DescribeTaskDefinition",
        kind="aws.ecs.task_definition",
        scope=scope,
        resource=resource,
        collected_at=T0,
        status=status,
        message=message,
        data=data or {},
    )


def privileged(view: EvidenceView):
    for item in view.items("aws.ecs.task_definition"):
        bad = item.data.get("privileged")
        yield Result(FindingStatus.FAIL if bad else FindingStatus.PASS, item.resource, item.scope, "m")


def always_pass(view: EvidenceView):
    for scope in view.scopes("aws.ecs.task_definition"):
        yield Result(FindingStatus.PASS, "", scope, "everything is fine")


def registry(fn) -> dict[str, CheckSpec]:
    return {
        "aws.ecs.task_privileged": CheckSpec(
            "aws.ecs.task_privileged", ("aws.ecs.task_definition",), "no task definitions in use", fn
        )
    }


def statuses(findings) -> dict[tuple[str | None, str], str]:
    return {(f.scope.region, f.resource): f.status.value for f in findings}


def test_results_are_kept_and_carry_metadata() -> None:
    evidence = [ev(EU), ev(EU, "td/a", data={"privileged": True}), ev(EU, "td/b")]
    out = evaluate(evidence, META, CONTROLS, registry(privileged)).findings
    assert statuses(out) == {("eu-west-1", "td/a"): "fail", ("eu-west-1", "td/b"): "pass"}
    assert all(f.controls == ("HRD-01",) and f.severity is Severity.HIGH for f in out)


def test_denied_scope_is_not_evaluated_even_if_the_check_says_pass() -> None:
    evidence = [ev(EU), ev(US, status=CallStatus.ACCESS_DENIED, message="ecs:DescribeTaskDefinition is not allowed")]
    out = evaluate(evidence, META, CONTROLS, registry(always_pass)).findings
    by = statuses(out)
    assert by[("eu-west-1", "")] == "pass"
    assert by[("us-east-1", "")] == "not_evaluated"
    denied = next(f for f in out if f.scope == US)
    assert "access was denied" in denied.message and "ecs:DescribeTaskDefinition is not allowed" in denied.message


def test_resource_level_gap_replaces_that_resource_only() -> None:
    evidence = [ev(EU), ev(EU, "td/a"), ev(EU, "td/b", status=CallStatus.THROTTLED)]
    out = evaluate(evidence, META, CONTROLS, registry(privileged)).findings
    assert statuses(out) == {("eu-west-1", "td/a"): "pass", ("eu-west-1", "td/b"): "not_evaluated"}


def test_collected_but_empty_is_not_applicable_never_pass() -> None:
    out = evaluate([ev(EU)], META, CONTROLS, registry(privileged)).findings
    assert [(f.status, f.message) for f in out] == [
        (FindingStatus.NOT_APPLICABLE, "Not applicable in 111111111111/eu-west-1: no task definitions in use.")
    ]


def test_nothing_collected_at_all_is_not_evaluated() -> None:
    out = evaluate([], META, CONTROLS, registry(privileged)).findings
    assert [f.status for f in out] == [FindingStatus.NOT_EVALUATED]
    assert "no evidence of the kind it needs" in out[0].message


def test_missing_implementation_is_reported_not_skipped_silently() -> None:
    result = evaluate([ev(EU)], META, CONTROLS, {})
    assert result.findings == [] and result.missing_implementations == ["aws.ecs.task_privileged"]


def test_scope_with_only_resource_gaps_is_not_also_not_applicable() -> None:
    evidence = [ev(EU), ev(EU, "td/a", status=CallStatus.ACCESS_DENIED)]
    out = evaluate(evidence, META, CONTROLS, registry(privileged)).findings
    assert [f.status for f in out] == [FindingStatus.NOT_EVALUATED]


def test_scope_level_judgements_cite_the_listing_they_rest_on() -> None:
    listing = ev(EU).model_copy(update={"id": "E1-00001"})
    out = evaluate([listing], META, CONTROLS, registry(always_pass)).findings
    assert [(f.status, f.evidence) for f in out] == [(FindingStatus.PASS, ("E1-00001",))]
    empty = evaluate([listing], META, CONTROLS, registry(privileged)).findings
    assert [(f.status, f.evidence) for f in empty] == [(FindingStatus.NOT_APPLICABLE, ("E1-00001",))]
