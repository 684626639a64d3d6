"""The inventory's field readers and its Docker rows (hosts, containers, images), shared by the builder."""

from __future__ import annotations

from typing import Any

from auditprep.models import Evidence

# kinds whose stored content the inventory reads
DATA_KINDS = (
    "aws.ecs.cluster",
    "aws.ecs.service",
    "aws.ecs.task_definition",
    "aws.ecs.container_instance",
    "aws.eks.cluster",
    "aws.eks.nodegroup",
    "aws.eks.fargate_profile",
    "aws.ecr.image",
    "docker.daemon",
    "docker.swarm",
    "docker.container",
    "docker.image",
)
_ENV_KEYS = ("launchType", "requiresCompatibilities", "capacityProviderStrategy")


def _short_arn(arn: str) -> str:
    return arn.rsplit("/", 1)[-1] if arn else ""


def _get(data: Any, *path: Any, default: Any = None) -> Any:
    for key in path:
        if isinstance(data, dict):
            data = data.get(key)
        elif isinstance(data, list) and isinstance(key, int) and -len(data) <= key < len(data):
            data = data[key]
        else:
            return default
        if data is None:
            return default
    return data


def _yes_no(value: Any) -> str:
    if value is None:
        return "unknown"
    return "yes" if value else "no"


def _image_label(image: str) -> tuple[str, str]:
    """(reference without digest, digest or '') of an image reference."""
    if "@" in image:
        ref, digest = image.split("@", 1)
        return ref, digest
    return image, ""


class _DockerRows:
    """The Docker half of the inventory builder; the builder holds the tables these fill."""

    inv: Any  # the Inventory being built
    host_rows: Any
    images: Any
    repo_digests: Any

    def _host_row(self, host: str) -> dict[str, Any]:
        return self.host_rows.setdefault(
            host,
            {
                "host": host,
                "engine": "",
                "os": "",
                "kernel": "",
                "containers": 0,
                "running": 0,
                "images": 0,
                "swarm": "inactive",
                "evidence": "",
            },
        )

    def docker_daemon(self, ev: Evidence) -> None:
        data = ev.data
        d = next((data[k] for k in ("Info", "info") if isinstance(data.get(k), dict)), data)
        version = next((data[k] for k in ("Version", "version") if isinstance(data.get(k), dict)), {})
        row = self._host_row(ev.scope.label())
        row.update(
            {
                "engine": d.get("ServerVersion", "") or version.get("Version", ""),
                "os": d.get("OperatingSystem", ""),
                "kernel": d.get("KernelVersion", ""),
                "images": d.get("Images", 0) or 0,
                "evidence": ev.id,
            }
        )
        state = _get(d, "Swarm", "LocalNodeState", default="")
        if state:
            manager = _get(d, "Swarm", "ControlAvailable", default=False)
            row["swarm"] = f"{state} ({'manager' if manager else 'worker'})" if state == "active" else state

    def docker_swarm(self, ev: Evidence) -> None:
        row = self._host_row(ev.scope.label())
        if row["swarm"] == "inactive":
            row["swarm"] = "active"

    def docker_container(self, ev: Evidence) -> None:
        d = ev.data
        host = ev.scope.label()
        row = self._host_row(host)
        state = _get(d, "State", "Status", default="") or d.get("state", "")
        row["containers"] += 1
        if state == "running":
            row["running"] += 1
        image = _get(d, "Config", "Image", default="") or d.get("image", "")
        image_id = d.get("Image", "") if isinstance(d.get("Image"), str) else ""
        hc = d.get("HostConfig") or {}
        self.inv.containers.append(
            {
                "name": (ev.resource_name or d.get("Name", "") or ev.resource[:12]).lstrip("/"),
                "id": ev.resource,
                "host": host,
                "image": image,
                "image_id": image_id,
                "state": state or "unknown",
                "user": _get(d, "Config", "User", default="") or "root (image default)",
                "privileged": _yes_no(hc.get("Privileged")) if "Privileged" in hc else "unknown",
                "read_only": _yes_no(hc.get("ReadonlyRootfs")) if "ReadonlyRootfs" in hc else "unknown",
                "evidence": ev.id,
            }
        )
        key = (image, image_id)
        entry = self.images.setdefault(
            key,
            {
                "image": image,
                "digest": image_id,
                "source": "Docker host",
                "used_by": [],
                "where": host,
                "pushed": "",
                "scan": "",
            },
        )
        entry["used_by"].append((ev.resource_name or d.get("Name", "")).lstrip("/"))

    def docker_image(self, ev: Evidence) -> None:
        digests = ev.data.get("RepoDigests") or []
        if digests and isinstance(digests[0], str):
            self.repo_digests[ev.data.get("Id", ev.resource)] = digests[0].split("@", 1)[-1]

    # --- finishing -----------------------------------------------------------------------------
