"""Redaction at collection: secret values never survive, whatever shape they come in."""

from __future__ import annotations

import json

import pytest

from auditprep.collect import redact
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


@pytest.mark.parametrize(
    "line",
    [
        f"mysql -uroot -p{SECRET} ledger",
        f"mysqladmin ping -h localhost -p{SECRET}",
        f"mysqldump -u root -p {SECRET} ledger",
        f"curl -u admin:{SECRET} https://api.example",
        f"curl --user=admin:{SECRET} https://api.example",
        f"app --cache redis://:{SECRET}@cache:6379",
        f"app --pwd={SECRET}",
        f"sshpass -p {SECRET} ssh backup@store",
        f"redis-cli -a {SECRET} ping",
        f"mongosh -u app -p {SECRET} db",
        "billing sk_live_Ab9Cd8Ef7Gh6Ij5Kl4Mn3Op2",
        "start Qw7Er5Ty3Ui1Op9AsZx8Df2Gh4",
    ],
)
def test_argv_shapes_of_password_taking_programs_and_token_shapes(line: str) -> None:
    out, changed = redact.text(line)
    assert changed, line
    for secret in (SECRET, "sk_live_Ab9Cd8Ef7Gh6Ij5Kl4Mn3Op2", "Qw7Er5Ty3Ui1Op9AsZx8Df2Gh4"):
        assert secret not in out


def test_argv_lists_keep_the_program_context() -> None:
    assert redact.argv(["mysql", "-uroot", "-p", SECRET]) == (["mysql", "-uroot", "-p", redact.REDACTED], True)
    assert redact.argv(["curl", "-u", f"admin:{SECRET}", "x"])[0][2] == f"admin:{redact.REDACTED}"


@pytest.mark.parametrize(
    "line",
    [
        "COPY file:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef in /",
        "/bin/sh -c apt-get install -y openssl=3.0.11-1~deb12u2 && rm -rf /var/lib/apt/lists/*",
        "docker run -p 8080:80 nginx",
        "ps aux | grep mysql; echo -p done",
        "nginx@sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        "java -jar /opt/app/ContainerRuntimeInterface.jar",
    ],
)
def test_ordinary_commands_are_left_alone(line: str) -> None:
    assert redact.text(line) == (line, False)
