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
        {"name": "API_TOKEN", "secret_like": True},
        {"name": "LOG_LEVEL", "secret_like": False},
    ]


def test_ecs_command_and_health_check_argv_are_redacted() -> None:
    td = {
        "containerDefinitions": [
            {
                "name": "api",
                "image": "x",
                "command": ["serve", "--token", SECRET],
                "healthCheck": {"command": ["CMD-SHELL", f"curl -H 'Authorization: Bearer {SECRET}' localhost"]},
                "environment": [{"name": "PASSWORD", "value": SECRET}],
            }
        ]
    }
    out, fields = redact_task_definition(td)
    assert SECRET not in json.dumps(out)
    assert any(f.endswith(".command") for f in fields) and any("healthCheck" in f for f in fields)


@pytest.mark.parametrize(
    "prose",
    [
        "User: arn:aws:iam::123456789012:user/auditor is not authorized to perform: ecs:ListClusters",
        "password reset failed for user ana",
        "token expired, sign in again",
    ],
)
def test_prose_about_secrets_is_not_mangled(prose: str) -> None:
    assert redact.text(prose) == (prose, False)


def test_flag_with_space_and_key_with_colon() -> None:
    assert redact.text(f"run --password {SECRET} now")[0] == f"run --password {redact.REDACTED} now"
    assert redact.text(f"api_key: {SECRET}")[0] == f"api_key: {redact.REDACTED}"


@pytest.mark.parametrize("scheme", ["Bearer", "Basic", "Token", ""])
def test_authorization_header_credentials(scheme: str) -> None:
    out, changed = redact.text(f"curl -H 'Authorization: {scheme} {SECRET}' https://x".replace("  ", " "))
    assert changed and SECRET not in out
