"""Checks on how each container is run: exposure, limits, restarts, health, secrets and image pinning."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from auditprep.checks.docker.common import (
    FAIL,
    PASS,
    WARN,
    container_label,
    containers,
    get,
    join,
    not_shown,
    result,
    short,
    state_note,
    unseen,
    unseen_env,
)
from auditprep.checks.engine import EvidenceView, Result, check
from auditprep.collect.redact import looks_secret

ABSENT = "no containers on the host"
_ALL_INTERFACES = ("", "0.0.0.0", "::", "[::]")


@check("docker.container.ports_all_interfaces", requires=["docker.container"], absent=ABSENT)
def ports_all_interfaces(view: EvidenceView) -> Iterator[Result]:
    for ev in containers(view):
        if missing := unseen(ev.data, ("HostConfig", "PortBindings")):
            yield not_shown(ev, container_label(ev), missing)
            continue
        bindings = get(ev.data, "HostConfig", "PortBindings", default={}) or {}
        open_all: list[str] = []
        specific: list[str] = []
        for port, binds in bindings.items():
            for b in binds or [{}]:
                ip = str((b or {}).get("HostIp", "") or "")
                host_port = str((b or {}).get("HostPort", "") or "") or "a random port"
                (open_all if ip in _ALL_INTERFACES else specific).append(
                    f"{port} on {ip or 'every address'}:{host_port}"
                )
        if open_all:
            yield result(
                FAIL,
                ev,
                f"{container_label(ev)} publishes {join(open_all)}, listening on every host interface; bind it to the one "
                f"address that should receive traffic.{state_note(ev)}",
            )
        elif specific:
            yield result(
                PASS, ev, f"{container_label(ev)} publishes ports only on specific addresses ({join(specific)})."
            )
        else:
            yield result(PASS, ev, f"{container_label(ev)} publishes no ports on the host.")


@check("docker.container.resource_limits", requires=["docker.container"], absent=ABSENT)
def resource_limits(view: EvidenceView) -> Iterator[Result]:
    for ev in containers(view):
        hc = get(ev.data, "HostConfig", default={}) or {}
        memory = int(hc.get("Memory") or 0) > 0
        cpu = (
            int(hc.get("NanoCpus") or 0) > 0
            or int(hc.get("CpuQuota") or 0) > 0
            or int(hc.get("CpuShares") or 0) not in (0, 1024)
            or bool(hc.get("CpusetCpus"))
        )
        pids = int(hc.get("PidsLimit") or 0) > 0
        missing = [name for name, ok in (("memory", memory), ("CPU", cpu), ("process count (PIDs)", pids)) if not ok]
        if not missing:
            yield result(
                PASS,
                ev,
                f"{container_label(ev)} has memory ({hc.get('Memory')} bytes), CPU and PIDs ({hc.get('PidsLimit')}) limits.",
            )
        elif not memory or not pids:
            yield result(
                FAIL,
                ev,
                f"{container_label(ev)} has no {join(missing, 'or')} limit, so it can starve the host and its neighbours "
                f"(or fork-bomb it).{state_note(ev)}",
            )
        else:
            yield result(WARN, ev, f"{container_label(ev)} limits memory and PIDs but not CPU.{state_note(ev)}")


@check("docker.container.restart_policy", requires=["docker.container"], absent=ABSENT)
def restart_policy(view: EvidenceView) -> Iterator[Result]:
    for ev in containers(view):
        if missing := unseen(ev.data, ("HostConfig", "RestartPolicy", "Name")):
            yield not_shown(ev, container_label(ev), missing)
            continue
        policy = get(ev.data, "HostConfig", "RestartPolicy", default={}) or {}
        name = str(policy.get("Name") or "no")
        retries = int(policy.get("MaximumRetryCount") or 0)
        if name == "no":
            yield result(PASS, ev, f"{container_label(ev)} is not restarted automatically.")
        elif name == "on-failure" and 0 < retries <= 5:
            yield result(PASS, ev, f"{container_label(ev)} restarts on failure at most {retries} time(s).")
        elif name == "on-failure":
            limit = "without limit" if retries == 0 else f"up to {retries} times"
            yield result(
                WARN, ev, f"{container_label(ev)} restarts on failure {limit}; cap retries at 5 so a crash loop stops."
            )
        else:
            yield result(
                WARN,
                ev,
                f"{container_label(ev)} uses the '{name}' restart policy, which restarts it forever; prefer 'on-failure' with "
                "at most 5 retries so a crash loop is noticed.",
            )


def _health_defined(test: Any) -> bool:
    return isinstance(test, list) and bool(test) and test[0] != "NONE"


@check("docker.container.healthcheck", requires=["docker.container"], absent=ABSENT)
def healthcheck(view: EvidenceView) -> Iterator[Result]:
    for ev in containers(view):
        test = get(ev.data, "Config", "Healthcheck", "Test")
        state = get(ev.data, "State", default={}) or {}
        health = get(state, "Health", "Status", default="")
        if not _health_defined(test):
            why = (
                "disables its image's health check"
                if isinstance(test, list) and test[:1] == ["NONE"]
                else "has no health check"
            )
            yield result(
                FAIL, ev, f"{container_label(ev)} {why}, so nothing notices when it stops working while still running."
            )
        elif health == "unhealthy":
            streak = get(state, "Health", "FailingStreak", default=0)
            yield result(
                FAIL, ev, f"{container_label(ev)} is unhealthy: its health check has failed {streak} time(s) in a row."
            )
        elif health == "starting":
            yield result(WARN, ev, f"{container_label(ev)} has a health check that has not reported yet (starting).")
        elif health == "healthy":
            yield result(PASS, ev, f"{container_label(ev)} has a health check and is healthy.")
        elif state.get("Status") in ("running", "paused", "restarting") or "Status" not in state:
            yield not_shown(ev, container_label(ev), "the health status of this running container")
        else:
            yield result(
                PASS, ev, f"{container_label(ev)} has a health check (it is not running, so it has no health status)."
            )


def env_entries(env: Any) -> list[tuple[str, bool]]:
    """(name, looks secret) for each variable, from redacted evidence (or raw NAME=value strings)."""
    out = []
    for item in env or []:
        if isinstance(item, dict):
            out.append((str(item.get("name", "")), bool(item.get("secret_like"))))
        elif isinstance(item, str):
            name = item.split("=", 1)[0]
            out.append((name, looks_secret(name)))
    return out


@check("docker.container.env_secrets", requires=["docker.container"], absent=ABSENT)
def env_secrets(view: EvidenceView) -> Iterator[Result]:
    for ev in containers(view):
        if missing := unseen(ev.data, ("Config", "Env")):
            yield not_shown(ev, container_label(ev), missing)
            continue
        if unseen_env(get(ev.data, "Config", "Env")):
            yield not_shown(ev, container_label(ev), "whether each environment variable name looks secret")
            continue
        names = [n for n, secret in env_entries(get(ev.data, "Config", "Env")) if secret]
        if names:
            yield result(
                FAIL,
                ev,
                f"{container_label(ev)} passes secret-looking environment variables ({join(names)}); anyone who can inspect the "
                "container reads them (their values were not collected). Use Docker secrets or a secrets manager instead.",
            )
        else:
            yield result(PASS, ev, f"{container_label(ev)} has no secret-looking environment variable names.")


_HEX_ID = re.compile(r"^(sha256:)?[0-9a-f]{12,64}$")


def normalise_reference(ref: str) -> str:
    """``busybox`` and ``docker.io/library/busybox:latest`` -> ``busybox:latest``."""
    ref = ref.split("@", 1)[0]
    name, tag = ref, "latest"
    if ":" in ref.rsplit("/", 1)[-1]:
        name, tag = ref.rsplit(":", 1)
    for prefix in ("docker.io/library/", "index.docker.io/library/", "docker.io/", "index.docker.io/"):
        if name.startswith(prefix):
            name = name[len(prefix) :]
            break
    return f"{name}:{tag}"


@check("docker.container.image_digest", requires=["docker.container", "docker.image"], absent=ABSENT)
def image_digest(view: EvidenceView) -> Iterator[Result]:
    tags: dict[tuple[object, str], str] = {}
    for img in view.items("docker.image"):
        for tag in get(img.data, "RepoTags", default=[]) or []:
            if tag != "<none>:<none>":
                tags[(img.scope, normalise_reference(tag))] = img.resource
    for ev in containers(view):
        ref = str(get(ev.data, "Config", "Image", default="") or "")
        runs = str(get(ev.data, "Image", default="") or "")
        if "@sha256:" in ref:
            yield result(PASS, ev, f"{container_label(ev)} references its image by digest ({ref}).")
            continue
        if _HEX_ID.match(ref) and runs.removeprefix("sha256:").startswith(ref.removeprefix("sha256:")):
            yield result(PASS, ev, f"{container_label(ev)} references its image by id ({short(runs)}).")
            continue
        tag = normalise_reference(ref)
        current = tags.get((ev.scope, tag))
        if current is None:
            yield result(
                WARN,
                ev,
                f"{container_label(ev)} was created from the tag {ref}, which no longer names any image on the host; it runs "
                f"image {short(runs)}. Reference images by digest so the record says exactly what runs.",
            )
        elif current != runs:
            yield result(
                FAIL,
                ev,
                f"{container_label(ev)} runs image {short(runs)}, but its tag {ref} now points to {short(current)}: the "
                f"container was not recreated after the image was rebuilt, so it runs an outdated image.{state_note(ev)}",
            )
        else:
            yield result(
                WARN,
                ev,
                f"{container_label(ev)} references its image by the tag {ref} (currently image {short(runs)}), not by digest; "
                "a tag can be moved to different content, so pin the digest.",
            )
