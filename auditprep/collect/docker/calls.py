"""What the Docker collector calls, by kind, and how a failed call is described."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

import docker
import requests

from auditprep.models import CallStatus

# the Engine API's own operation names, so an assessor can look each one up
OP = {
    "docker.daemon": "SystemInfo",
    "docker.network": "NetworkList",
    "docker.container": "ContainerList",
    "docker.image": "ImageList",
    "docker.image_inventory": "ImageGet",
    "docker.swarm": "SystemInfo",
    "docker.swarm_node": "NodeList",
    "docker.swarm_service": "ServiceList",
    "docker.secret": "SecretList",
}
KINDS = tuple(OP)
SWARM_KINDS = ("docker.swarm", "docker.swarm_node", "docker.swarm_service", "docker.secret")
CALL_ERRORS = (docker.errors.DockerException, requests.exceptions.RequestException, OSError)


def call_status(exc: BaseException) -> CallStatus:
    if isinstance(exc, docker.errors.APIError) and exc.status_code in (401, 403):
        return CallStatus.ACCESS_DENIED
    return CallStatus.ERROR


def call_message(exc: BaseException) -> str:
    if isinstance(exc, docker.errors.APIError):
        detail = exc.explanation or str(exc)
        return f"the engine answered HTTP {exc.status_code}: {detail}"
    return f"{type(exc).__name__}: {exc}"


_T = TypeVar("_T")
_local = threading.local()


def _note(response: Any, *args: Any, **kwargs: Any) -> None:
    paths = getattr(_local, "paths", None)
    if paths is not None:
        paths.append(f"{response.request.method} {response.request.path_url}")


def trace_requests(api: Any) -> None:
    """Note every Engine API request ``api`` sends (method and path), for ``traced`` to hand out."""
    hooks = getattr(api, "hooks", None)
    if isinstance(hooks, dict):
        found = hooks.setdefault("response", [])
        if _note not in found:
            found.append(_note)


def traced(fn: Callable[..., _T], *args: Any, **kwargs: Any) -> tuple[_T, tuple[str, ...]]:
    """``fn(*args, **kwargs)`` and the Engine API requests it sent from this thread, e.g.
    ``GET /v1.41/containers/<id>/json``: the path an assessor can ask the same engine again."""
    previous = getattr(_local, "paths", None)
    _local.paths = []
    try:
        result = fn(*args, **kwargs)
        return result, tuple(dict.fromkeys(_local.paths))
    finally:
        _local.paths = previous


def short(object_id: str) -> str:
    return object_id.removeprefix("sha256:")[:12]
