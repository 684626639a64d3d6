"""No AWS check passes on a field it did not see: each field a check reads is removed from the real
collected evidence (moto server over HTTP, the planted estate), one at a time, and no result may
turn into a pass."""

from __future__ import annotations

from absent_fields import turned_into_pass

from auditprep.checks import load_all

from .test_collect import check_metadata, collected  # noqa: F401 - the shared collection

# Fields AWS leaves out of its answers when they hold their documented default; their absence is
# that default, not something the collector failed to see.
API_DEFAULTS: dict[tuple[str, tuple[str, ...]], str] = {
    ("aws.ecs.task_privileged", ("containerDefinitions", "*", "privileged")): (
        "ECS returns privileged only when it was set; unset, a container is not privileged"
    ),
    ("aws.ecs.task_env_secrets", ("containerDefinitions", "*", "environment")): (
        "ECS omits environment when a container has no environment variables"
    ),
    ("aws.ecs.service_public_ip", ("networkConfiguration", "awsvpcConfiguration", "assignPublicIp")): (
        "assignPublicIp is DISABLED unless set"
    ),
    ("aws.ecs.service_public_ip", ("networkMode",)): (
        "a task definition without networkMode uses bridge networking on EC2"
    ),
    ("aws.logs.retention", ("retentionInDays",)): (
        "CloudWatch Logs omits retentionInDays for a log group whose events never expire"
    ),
}


def test_removing_any_field_a_check_reads_never_makes_it_pass(collected):
    registry = {k: v for k, v in load_all().items() if k.startswith("aws.")}
    problems, tried = turned_into_pass(list(collected.outcome.evidence), registry, check_metadata(), API_DEFAULTS)
    assert tried > 200, f"only {tried} removals were tried"
    assert problems == [], "\n".join(problems)
