"""Redaction at collection: secret values never survive, whatever shape they come in."""

from __future__ import annotations

import json

import pytest

from auditprep import redact
from auditprep.collect.aws.ecs import redact_task_definition

SECRET = "s3cr3t-Value-42"


@pytest.mark.parametrize(
    "line",
    [
        f"curl -H 'Authorization: Bearer {SECRET}' https://api.example",
        f"DB_PASSWORD={SECRET} ./run",
        f"app --api-key={SECRET}",
        f"postgres://admin:{SECRET}@db:5432/ledger",
        "aws configure set aws_access_key_id AKIAABCDEFGHIJKLMNOP",
    ],
)
def test_free_text(line: str) -> None:
    out, changed = redact.text(line)
    assert changed and SECRET not in out and "AKIAABCDEFGHIJKLMNOP" not in out


def test_argv_value_after_a_secret_flag() -> None:
    out, changed = redact.argv(["server", "--db-password", SECRET, "--port", "8080"])
    assert changed and out == ["server", "--db-password", redact.REDACTED, "--port", "8080"]


def test_env_keeps_names_only() -> None:
    assert redact.env_names([f"API_TOKEN={SECRET}", "LOG_LEVEL=debug"]) == [
        {"name": "API_TOKEN", "secret_like": True}, {"name": "LOG_LEVEL", "secret_like": False}]


def test_ecs_command_and_health_check_argv_are_redacted() -> None:
    td = {"containerDefinitions": [{
        "name": "api", "image": "x", "command": ["serve", "--token", SECRET],
        "healthCheck": {"command": ["CMD-SHELL", f"curl -H 'Authorization: Bearer {SECRET}' localhost"]},
        "environment": [{"name": "PASSWORD", "value": SECRET}],
    }]}
    out, fields = redact_task_definition(td)
    assert SECRET not in json.dumps(out)
    assert any(f.endswith(".command") for f in fields) and any("healthCheck" in f for f in fields)
