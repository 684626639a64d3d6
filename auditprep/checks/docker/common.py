"""Shared wording and small readers for the Docker checks.

Checks read evidence dicts only (the engine's inspect JSON as the collector stored it), never
the Docker SDK. Messages are full sentences that name the object (name and short id) and the
host, so a finding can be read on its own in a report.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from auditprep.checks.engine import EvidenceView, Result
from auditprep.models import Evidence, FindingStatus

PASS, FAIL, WARN, NOT_APPLICABLE = (
    FindingStatus.PASS,
    FindingStatus.FAIL,
    FindingStatus.WARN,
    FindingStatus.NOT_APPLICABLE,
)
NEVER_STARTED = "0001-01-01T00:00:00Z"


def short(object_id: str) -> str:
    return object_id.removeprefix("sha256:")[:12]


def host(ev: Evidence) -> str:
    return ev.scope.label()


def get(data: Any, *path: str, default: Any = None) -> Any:
    for part in path:
        if not isinstance(data, dict):
            return default
        data = data.get(part)
    return default if data is None else data


def result(status: FindingStatus, ev: Evidence, message: str) -> Result:
    return Result(status, ev.resource, ev.scope, message, (ev.id,) if ev.id else ())


# --- containers -----------------------------------------------------------------------------


def container_name(ev: Evidence) -> str:
    return ev.resource_name or str(get(ev.data, "Name", default="")).lstrip("/") or short(ev.resource)


def container_label(ev: Evidence) -> str:
    return f"Container {container_name(ev)} ({short(ev.resource)}) on {host(ev)}"


def never_started(ev: Evidence) -> bool:
    state = get(ev.data, "State", default={})
    return state.get("Status") == "created" and state.get("StartedAt", NEVER_STARTED) in (NEVER_STARTED, "")


def state_note(ev: Evidence) -> str:
    """A sentence about the container's state, for findings on a setting that acts when it runs."""
    status = get(ev.data, "State", "Status", default="")
    if never_started(ev):
        return " It has never been started, but it is one 'docker start' away from running this way."
    if status in ("exited", "dead"):
        return f" It is stopped ({status}), but can be started again with this setting."
    if status == "paused":
        return " It is paused."
    return ""


def containers(view: EvidenceView) -> Iterator[Evidence]:
    yield from view.items("docker.container")


def security_opts(ev: Evidence) -> list[str]:
    return [str(o) for o in get(ev.data, "HostConfig", "SecurityOpt", default=[]) or []]


def opt_value(opts: list[str], name: str) -> str | None:
    """``seccomp=unconfined`` / ``seccomp:unconfined`` -> ``unconfined`` (Docker accepts both forms)."""
    for opt in opts:
        for sep in ("=", ":"):
            key, found, value = opt.partition(sep)
            if found and key.strip() == name:
                return value.strip()
        if opt.strip() == name:
            return "true"
    return None


# --- images ---------------------------------------------------------------------------------


def image_label(ev: Evidence) -> str:
    tags = [t for t in get(ev.data, "RepoTags", default=[]) or [] if t != "<none>:<none>"]
    name = ev.resource_name or (tags[0] if tags else "")
    if name and name != short(ev.resource):
        return f"Image {name} ({short(ev.resource)}) on {host(ev)}"
    return f"Image {short(ev.resource)} (untagged) on {host(ev)}"


def is_root_user(user: str) -> bool:
    name = user.split(":", 1)[0].strip()
    return name in ("", "root", "0")


def parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value or value.startswith("0001-"):
        return None
    text = value.replace("Z", "+00:00")
    # the engine gives nanoseconds; Python takes at most microseconds
    if "." in text:
        head, _, rest = text.partition(".")
        digits = "".join(ch for ch in rest if ch.isdigit())
        tz = rest[len(digits) :]
        text = f"{head}.{digits[:6]}{tz}"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def join(items: list[str], word: str = "and") -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {word} " + items[-1]


def unseen(data: Any, *paths: tuple[str, ...]) -> str:
    """The first of ``paths`` whose key is missing from the inspect data (a null value counts as shown), or ''.

    The Engine API always returns these keys; a missing one means the evidence does not show the
    setting, and a check must then say so instead of assuming the default.
    """
    for path in paths:
        node = data
        for part in path:
            if not isinstance(node, dict) or part not in node:
                return ".".join(path)
            node = node[part]
    return ""


def unseen_env(env: Any) -> bool:
    """Whether a redacted environment list has an entry the collector did not classify."""
    return any(isinstance(e, dict) and "secret_like" not in e for e in env or [])


def not_shown(ev: Evidence, label: str, field: str) -> Result:
    return result(
        FindingStatus.NOT_EVALUATED, ev, f"{label}: {field} is not shown in the evidence, so this is not evaluated."
    )
