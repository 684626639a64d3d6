"""What the evidence keeps and drops: raw inspect objects minus every secret value."""

from __future__ import annotations

import json

from auditprep.collect.docker import redaction
from auditprep.collect.redact import REDACTED


def test_container_env_commands_labels_and_log_options():
    attrs = {
        "Id": "c1",
        "Path": "/app",
        "Args": ["--db-password=hunter2", "--port", "80"],
        "Config": {
            "Env": ["DB_PASSWORD=hunter2", "GREETING=hello-world-value"],
            "Cmd": ["/app", "--api-key", "abc123secret"],
            "Labels": {"com.example.db_password": "hunter2", "team": "payments"},
            "Healthcheck": {"Test": ["CMD-SHELL", "curl -H 'Authorization: Bearer tok123' localhost"]},
        },
        "HostConfig": {
            "LogConfig": {"Type": "splunk", "Config": {"splunk-token": "tok-999", "splunk-url": "https://splunk:8088"}}
        },
    }
    data, changed = redaction.container(attrs)
    text = json.dumps(data)
    for secret in ("hunter2", "hello-world-value", "abc123secret", "tok123", "tok-999"):
        assert secret not in text, secret
    assert data["Config"]["Env"] == [
        {"name": "DB_PASSWORD", "secret_like": True},
        {"name": "GREETING", "secret_like": False},
    ]
    assert data["Config"]["Labels"]["team"] == "payments"
    assert data["HostConfig"]["LogConfig"]["Config"]["splunk-url"] == "https://splunk:8088"
    assert {"Config.Env values", "Args", "Config.Cmd", "Config.Labels.com.example.db_password"} <= set(changed)
    assert "HostConfig.LogConfig.Config.splunk-token" in changed
    assert attrs["Config"]["Env"][0] == "DB_PASSWORD=hunter2"  # the input is not modified


def test_image_history_keeps_instructions_but_no_values():
    attrs = {"Id": "sha256:1", "Config": {"Env": ["PATH=/bin", "API_TOKEN=tok"]}, "ContainerConfig": {"Env": ["X=y"]}}
    history = [
        {"CreatedBy": "/bin/sh -c #(nop)  ENV API_TOKEN=tok PATH=/bin", "Comment": ""},
        {"CreatedBy": "|2 DB_PASSWORD=pw VERSION=1.2 /bin/sh -c make", "Comment": ""},
        {"CreatedBy": "ENV LEGACY value with spaces", "Comment": "buildkit.dockerfile.v0"},
        {"CreatedBy": "/bin/sh -c #(nop) ADD file:abc in / ", "Comment": ""},
    ]
    data, changed = redaction.image(attrs, history)
    created = [h["CreatedBy"] for h in data["History"]]
    assert created[0] == f"/bin/sh -c #(nop)  ENV API_TOKEN={REDACTED} PATH={redaction.VALUE_NOT_STORED}"
    assert created[1] == f"|2 DB_PASSWORD={REDACTED} VERSION=1.2 /bin/sh -c make"
    assert created[2] == f"ENV LEGACY {redaction.VALUE_NOT_STORED}"
    assert created[3] == history[3]["CreatedBy"]
    assert {"History[0].CreatedBy", "History[1].CreatedBy", "History[2].CreatedBy"} <= set(changed)
    assert "History[3].CreatedBy" not in changed
    assert data["ContainerConfig"]["Env"] == [{"name": "X", "secret_like": False}]


def test_swarm_service_secret_and_daemon():
    service = {
        "ID": "s1",
        "Spec": {"TaskTemplate": {"ContainerSpec": {"Env": ["DB_PASSWORD=pw1"], "Args": ["--token=tk1"]}}},
        "PreviousSpec": {"TaskTemplate": {"ContainerSpec": {"Env": ["DB_PASSWORD=pw0"]}}},
    }
    data, changed = redaction.service(service)
    assert "pw1" not in json.dumps(data) and "pw0" not in json.dumps(data) and "tk1" not in json.dumps(data)
    assert "PreviousSpec.TaskTemplate.ContainerSpec.Env values" in changed

    cluster = {
        "ID": "x",
        "JoinTokens": {"Worker": "SWMTKN-1-abc-def", "Manager": "SWMTKN-1-abc-ghi"},
        "Spec": {"CAConfig": {"SigningCAKey": "KEY"}},
    }
    data, changed = redaction.swarm(cluster)
    assert "JoinTokens" not in data and "SigningCAKey" not in json.dumps(data)
    assert set(changed) == {"JoinTokens", "Spec.CAConfig.SigningCAKey"}

    data, changed = redaction.secret({"ID": "s", "Spec": {"Name": "db", "Data": "aHVudGVyMg=="}})
    assert data["Spec"] == {"Name": "db"} and changed == ("Spec.Data",)

    info = {"HttpProxy": "http://proxyuser:proxypass@proxy:3128", "Labels": ["env=prod", "api_key=k1"]}
    data, changed = redaction.daemon(info)
    assert "proxypass" not in json.dumps(data) and "k1" not in json.dumps(data) and "env=prod" in data["Labels"]
    assert "Info.HttpProxy" in changed
