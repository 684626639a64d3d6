"""What the Docker collector calls, by kind, and how a failed call is described."""

from __future__ import annotations

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


def short(object_id: str) -> str:
    return object_id.removeprefix("sha256:")[:12]
