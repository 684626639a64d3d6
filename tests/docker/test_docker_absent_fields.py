"""No Docker check passes on a field it did not see: each field a check reads is removed from the
real collected evidence of the lab daemon, one at a time, and no result may turn into a pass."""

from __future__ import annotations

import pytest
from absent_fields import turned_into_pass

from auditprep.checks import load_all

pytestmark = pytest.mark.docker

# Fields the Engine API leaves out when they hold their default; their absence is that default.
ENGINE_DEFAULTS: dict[tuple[str, tuple[str, ...]], str] = {
    ("docker.swarm.secrets_used", ("Spec", "TaskTemplate", "ContainerSpec", "Env")): (
        "a service spec leaves Env out when the service sets no environment variables"
    ),
}


def test_removing_any_field_a_check_reads_never_makes_it_pass(collected, check_metadata):
    registry = {k: v for k, v in load_all().items() if k.startswith("docker.")}
    problems, tried = turned_into_pass(list(collected.evidence), registry, check_metadata, ENGINE_DEFAULTS)
    assert tried > 200, f"only {tried} removals were tried"
    assert problems == [], "\n".join(problems)
