"""Secrets planted on the real daemon never reach the evidence."""

from __future__ import annotations

import pytest
from docker_lab import PLANTED, dump

from auditprep.models import CallStatus

pytestmark = pytest.mark.docker


@pytest.mark.parametrize("where", sorted(PLANTED))
def test_planted_secret_bytes_appear_nowhere_in_the_evidence(collected, where):
    text = dump(collected.evidence)
    assert PLANTED[where] not in text
    assert PLANTED[where].encode() not in text.encode("utf-8")


def test_no_swarm_join_token_is_stored(collected, docker_api, lab):
    text = dump(collected.evidence)
    assert "SWMTKN-" not in text and "JoinTokens" not in text
    if lab.swarm_created:
        tokens = docker_api.inspect_swarm()["JoinTokens"]
        assert tokens["Worker"] not in text and tokens["Manager"] not in text


def test_env_is_reduced_to_names_and_the_redaction_recorded(collected, lab):
    env = next(
        e for e in collected.evidence if e.resource == lab.containers["env"] and e.status is CallStatus.COLLECTED
    )
    names = {v["name"]: v["secret_like"] for v in env.data["Config"]["Env"]}
    assert names["DB_PASSWORD"] is True and names["GREETING"] is False
    assert "Config.Env values" in env.redactions


def test_history_redactions_are_recorded(collected, lab):
    image = next(e for e in collected.evidence if e.kind == "docker.image" and e.resource == lab.images["heartbleed"])
    assert any(r.startswith("History[") for r in image.redactions)
    assert "Config.Env values" in image.redactions
