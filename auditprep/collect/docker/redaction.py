"""Turn raw Engine API objects into evidence that holds no secret.

Assessors want the raw inspect output, so each function returns the object as the engine gave
it, minus what must never be stored: environment variable values (kept as names with a
secret-looking flag), swarm join tokens, secret payloads, and secret-looking values inside
commands, labels and log-driver options. Each returns the redacted copy and the list of the
fields it changed, which goes into ``Evidence.redactions``.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from auditprep.collect import redact

# ENV instructions in image history: every value is dropped, whatever the variable's name
_ENV_INSTRUCTION = re.compile(r"^(?P<head>(?:/bin/sh -c )?(?:#\(nop\)\s*)?ENV\s+)(?P<body>.*)$", re.DOTALL)
_ENV_PAIR = re.compile(r"(?P<name>[A-Za-z_][A-Za-z0-9_]*)=(?P<value>\"(?:[^\"\\]|\\.)*\"|'[^']*'|\S*)")
# what replaces an ENV value in history: not a secret finding, just the rule that env values are not kept
VALUE_NOT_STORED = "[NOT-STORED]"


class _Changes:
    def __init__(self) -> None:
        self.fields: list[str] = []

    def add(self, name: str) -> None:
        if name not in self.fields:
            self.fields.append(name)


def _command_text(value: str) -> tuple[str, bool]:
    """Redact one command line or history entry; True when anything was removed.

    Secret-looking values become ``[REDACTED]`` (what the history check looks for); the values
    of ENV instructions that are left become ``[NOT-STORED]``, because no env value is kept.
    """
    original = value
    value, _ = redact.text(value)
    match = _ENV_INSTRUCTION.match(value)
    if match:
        body = match.group("body")
        if "=" in body:
            body = _ENV_PAIR.sub(
                lambda m: (
                    m.group(0) if m.group("value") == redact.REDACTED else f"{m.group('name')}={VALUE_NOT_STORED}"
                ),
                body,
            )
        else:  # legacy "ENV NAME value" form
            name, _, rest = body.partition(" ")
            if rest and rest.strip() != redact.REDACTED:
                body = f"{name} {VALUE_NOT_STORED}"
        value = match.group("head") + body
    return value, value != original


def _commands(obj: dict[str, Any], key: str, where: str, changes: _Changes) -> None:
    value = obj.get(key)
    if isinstance(value, str):
        new, changed = _command_text(value)
        if changed:
            obj[key] = new
            changes.add(where)
    elif isinstance(value, list):
        parts, any_changed = redact.argv(value)
        done = [_command_text(item) for item in parts]
        if any_changed or any(changed for _, changed in done):
            obj[key] = [text for text, _ in done]
            changes.add(where)


def _mask_map(obj: dict[str, Any], key: str, where: str, changes: _Changes) -> None:
    """Labels and driver options: values under secret-looking keys are dropped."""
    value = obj.get(key)
    if not isinstance(value, dict):
        return
    for k, v in list(value.items()):
        if isinstance(v, str) and v and redact.looks_secret(k):
            value[k] = redact.REDACTED
            changes.add(f"{where}.{k}")
        elif isinstance(v, str):
            new, changed = redact.text(v)
            if changed:
                value[k] = new
                changes.add(f"{where}.{k}")


def _env(obj: dict[str, Any], key: str, where: str, changes: _Changes) -> None:
    value = obj.get(key)
    if isinstance(value, list) and value:
        obj[key] = redact.env_names(value)
        changes.add(f"{where} values")


def _healthcheck(obj: dict[str, Any], where: str, changes: _Changes) -> None:
    health = obj.get("Healthcheck")
    if isinstance(health, dict):
        _commands(health, "Test", f"{where}.Healthcheck.Test", changes)


def _container_config(config: Any, where: str, changes: _Changes) -> None:
    if not isinstance(config, dict):
        return
    _env(config, "Env", f"{where}.Env", changes)
    for key in ("Cmd", "Entrypoint", "OnBuild"):
        _commands(config, key, f"{where}.{key}", changes)
    _mask_map(config, "Labels", f"{where}.Labels", changes)
    _healthcheck(config, where, changes)


def container(attrs: dict[str, Any]) -> tuple[dict[str, Any], tuple[str, ...]]:
    data = copy.deepcopy(attrs)
    changes = _Changes()
    _container_config(data.get("Config"), "Config", changes)
    path, args = data.get("Path"), data.get("Args")
    if isinstance(path, str) and isinstance(args, list):  # the engine splits argv: the program, then its flags
        whole, changed = redact.argv([path, *args])
        if changed:
            data["Path"], data["Args"] = whole[0], whole[1:]
            changes.add("Args")
    _commands(data, "Path", "Path", changes)
    _commands(data, "Args", "Args", changes)
    host = data.get("HostConfig")
    if isinstance(host, dict) and isinstance(host.get("LogConfig"), dict):
        _mask_map(host["LogConfig"], "Config", "HostConfig.LogConfig.Config", changes)
    return data, tuple(changes.fields)


def image(attrs: dict[str, Any], history: list[dict[str, Any]]) -> tuple[dict[str, Any], tuple[str, ...]]:
    """The image inspect object, with the image's history added under ``History``."""
    data = copy.deepcopy(attrs)
    changes = _Changes()
    _container_config(data.get("Config"), "Config", changes)
    _container_config(data.get("ContainerConfig"), "ContainerConfig", changes)
    entries = copy.deepcopy(history)
    for i, entry in enumerate(entries):
        if isinstance(entry, dict):
            _commands(entry, "CreatedBy", f"History[{i}].CreatedBy", changes)
            _commands(entry, "Comment", f"History[{i}].Comment", changes)
    data["History"] = entries
    return data, tuple(changes.fields)


def _container_spec(spec: Any, where: str, changes: _Changes) -> None:
    if not isinstance(spec, dict):
        return
    _env(spec, "Env", f"{where}.Env", changes)
    for key in ("Command", "Args"):
        _commands(spec, key, f"{where}.{key}", changes)
    _mask_map(spec, "Labels", f"{where}.Labels", changes)
    _healthcheck(spec, where, changes)


def _service_spec(spec: Any, where: str, changes: _Changes) -> None:
    if not isinstance(spec, dict):
        return
    _mask_map(spec, "Labels", f"{where}.Labels", changes)
    template = spec.get("TaskTemplate")
    if isinstance(template, dict):
        _container_spec(template.get("ContainerSpec"), f"{where}.TaskTemplate.ContainerSpec", changes)
        if isinstance(template.get("LogDriver"), dict):
            _mask_map(template["LogDriver"], "Options", f"{where}.TaskTemplate.LogDriver.Options", changes)


def service(attrs: dict[str, Any]) -> tuple[dict[str, Any], tuple[str, ...]]:
    data = copy.deepcopy(attrs)
    changes = _Changes()
    _service_spec(data.get("Spec"), "Spec", changes)
    _service_spec(data.get("PreviousSpec"), "PreviousSpec", changes)
    return data, tuple(changes.fields)


def swarm(cluster: dict[str, Any]) -> tuple[dict[str, Any], tuple[str, ...]]:
    data = copy.deepcopy(cluster)
    changes = _Changes()
    if "JoinTokens" in data:
        del data["JoinTokens"]
        changes.add("JoinTokens")
    spec = data.get("Spec")
    if isinstance(spec, dict):
        _mask_map(spec, "Labels", "Spec.Labels", changes)
        ca = spec.get("CAConfig")
        if isinstance(ca, dict) and ca.pop("SigningCAKey", None):
            changes.add("Spec.CAConfig.SigningCAKey")
    return data, tuple(changes.fields)


def secret(attrs: dict[str, Any]) -> tuple[dict[str, Any], tuple[str, ...]]:
    """Swarm secrets: metadata only (the engine never returns the payload, but be sure)."""
    data = copy.deepcopy(attrs)
    changes = _Changes()
    spec = data.get("Spec")
    if isinstance(spec, dict):
        if spec.pop("Data", None) is not None:
            changes.add("Spec.Data")
        _mask_map(spec, "Labels", "Spec.Labels", changes)
    return data, tuple(changes.fields)


def labelled(attrs: dict[str, Any], *paths: tuple[str, ...]) -> tuple[dict[str, Any], tuple[str, ...]]:
    """Networks and nodes: only their labels and driver options can carry anything sensitive."""
    data = copy.deepcopy(attrs)
    changes = _Changes()
    for path in paths:
        obj: Any = data
        for part in path[:-1]:
            obj = obj.get(part) if isinstance(obj, dict) else None
        if isinstance(obj, dict):
            _mask_map(obj, path[-1], ".".join(path), changes)
    return data, tuple(changes.fields)


def daemon(info: dict[str, Any]) -> tuple[dict[str, Any], tuple[str, ...]]:
    """``/info``: proxy URLs may embed credentials; engine labels are free text."""
    data = copy.deepcopy(info)
    changes = _Changes()
    for key in ("HttpProxy", "HttpsProxy", "NoProxy"):
        value = data.get(key)
        if isinstance(value, str) and value:
            new, changed = redact.text(value)
            if changed:
                data[key] = new
                changes.add(f"Info.{key}")
    _commands(data, "Labels", "Info.Labels", changes)
    swarm_info = data.get("Swarm")
    if isinstance(swarm_info, dict) and isinstance(swarm_info.get("Cluster"), dict):
        cluster, more = swarm(swarm_info["Cluster"])
        swarm_info["Cluster"] = cluster
        for name in more:
            changes.add(f"Info.Swarm.Cluster.{name}")
    return data, tuple(changes.fields)
