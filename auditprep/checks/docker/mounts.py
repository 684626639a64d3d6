"""Checks on what each container mounts from its host (CIS Docker Benchmark v1.6.0, 5.6, 5.20, 5.32).

A host path can reach a container three ways, and the engine reports each differently:
``HostConfig.Binds`` (``-v src:dst:opts``), ``HostConfig.Mounts`` (``--mount``) and the
top-level ``Mounts`` list (what the engine set up, both kinds). All three are read and merged,
so a mount is seen whichever way it was made and whether or not the container ever ran.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from auditprep.checks.docker.common import FAIL, PASS, container_label, containers, get, join, result, state_note
from auditprep.checks.engine import EvidenceView, Result, check
from auditprep.models import Evidence

ABSENT = "no containers on the host"
# host directories whose exposure hands over the host (CIS 5.6 list, plus Docker's own state)
SENSITIVE = ("/", "/boot", "/dev", "/etc", "/lib", "/proc", "/sys", "/usr", "/var/lib/docker")
SOCKETS = ("/var/run/docker.sock", "/run/docker.sock")
_PROPAGATION = {"shared", "rshared", "slave", "rslave", "private", "rprivate"}


@dataclass
class BindMount:
    source: str
    destination: str
    read_only: bool
    propagation: str


def _norm(path: str) -> str:
    return posixpath.normpath(path) if path.startswith("/") else path


def bind_mounts(data: dict[str, Any]) -> list[BindMount]:
    found: dict[tuple[str, str], BindMount] = {}

    def add(source: str, destination: str, read_only: bool, propagation: str) -> None:
        if not source.startswith("/"):
            return  # a named volume, which lives under the engine's own volume directory
        key = (_norm(source), _norm(destination))
        mount = found.setdefault(key, BindMount(key[0], key[1], read_only, propagation))
        mount.read_only = mount.read_only or read_only
        if propagation and not mount.propagation:
            mount.propagation = propagation

    for bind in get(data, "HostConfig", "Binds", default=[]) or []:
        parts = str(bind).split(":")
        if len(parts) < 2:
            continue
        options = parts[2].split(",") if len(parts) > 2 else []
        propagation = next((o for o in options if o in _PROPAGATION), "")
        add(parts[0], parts[1], "ro" in options, propagation)
    for mount in get(data, "HostConfig", "Mounts", default=[]) or []:
        if isinstance(mount, dict) and mount.get("Type") == "bind":
            propagation = str(get(mount, "BindOptions", "Propagation", default="") or "")
            add(str(mount.get("Source", "")), str(mount.get("Target", "")), bool(mount.get("ReadOnly")), propagation)
    for mount in get(data, "Mounts", default=[]) or []:
        if isinstance(mount, dict) and mount.get("Type") == "bind":
            add(
                str(mount.get("Source", "")),
                str(mount.get("Destination", "")),
                mount.get("RW") is False,
                str(mount.get("Propagation", "") or ""),
            )
    return list(found.values())


def _under(path: str, directory: str) -> bool:
    return directory == "/" or path == directory or path.startswith(directory.rstrip("/") + "/")


def _describe(m: BindMount) -> str:
    return f"{m.source} (at {m.destination}, {'read-only' if m.read_only else 'read-write'})"


@check("docker.container.sensitive_mounts", requires=["docker.container"], absent=ABSENT)
def sensitive_mounts(view: EvidenceView) -> Iterator[Result]:
    for ev in containers(view):
        mounts = bind_mounts(ev.data)
        whole = [m for m in mounts if m.source in SENSITIVE]
        inside = [
            m
            for m in mounts
            if m not in whole and not m.read_only and any(_under(m.source, d) for d in SENSITIVE if d != "/")
        ]
        reviewed = [
            m
            for m in mounts
            if m not in whole and m not in inside and any(_under(m.source, d) for d in SENSITIVE if d != "/")
        ]
        if whole or inside:
            parts = []
            if whole:
                parts.append(
                    f"the host director{'ies' if len(whole) > 1 else 'y'} {join([_describe(m) for m in whole])}"
                )
            if inside:
                parts.append(f"writable paths inside them: {join([_describe(m) for m in inside])}")
            yield result(
                FAIL,
                ev,
                f"{container_label(ev)} mounts sensitive host paths: {'; '.join(parts)}. Through them it can read or change the "
                f"host's configuration, kernel interfaces or devices.{state_note(ev)}",
            )
        elif reviewed:
            yield result(
                PASS,
                ev,
                f"{container_label(ev)} mounts no sensitive host directory, only read-only files or subdirectories of them "
                f"({join([m.source for m in reviewed])}).",
            )
        else:
            yield result(PASS, ev, f"{container_label(ev)} mounts no sensitive host directory.")


def _socket_paths(view: EvidenceView, ev: Evidence) -> set[str]:
    paths = set(SOCKETS)
    daemon = view.one("docker.daemon", ev.scope)
    url = str(get(daemon.data, "Connection", "URL", default="")) if daemon else ""
    if url.startswith("unix://"):
        paths.add(_norm(url[len("unix://") :]))
    return paths


@check("docker.container.docker_socket", requires=["docker.container"], absent=ABSENT)
def docker_socket(view: EvidenceView) -> Iterator[Result]:
    for ev in containers(view):
        sockets = _socket_paths(view, ev)
        exposed = []
        for m in bind_mounts(ev.data):
            name = posixpath.basename(m.source)
            if name in ("docker.sock", "containerd.sock", "dockershim.sock") or m.source in sockets:
                exposed.append(f"the socket {m.source} at {m.destination}")
            elif any(_under(s, m.source) for s in sockets):
                exposed.append(f"{m.source} at {m.destination}, which contains the Docker socket")
        if exposed:
            yield result(
                FAIL,
                ev,
                f"{container_label(ev)} can reach the container engine's API through {join(exposed)}: whoever controls the "
                f"container controls every container and the host as root.{state_note(ev)}",
            )
        else:
            yield result(PASS, ev, f"{container_label(ev)} does not mount the Docker socket.")


@check("docker.container.mount_propagation", requires=["docker.container"], absent=ABSENT)
def mount_propagation(view: EvidenceView) -> Iterator[Result]:
    for ev in containers(view):
        shared = [m for m in bind_mounts(ev.data) if m.propagation in ("shared", "rshared")]
        if shared:
            listed = join([f"{m.source} at {m.destination} ({m.propagation})" for m in shared])
            yield result(
                FAIL,
                ev,
                f"{container_label(ev)} uses shared mount propagation for {listed}, so mounts made inside the container appear "
                f"on the host.{state_note(ev)}",
            )
        else:
            yield result(PASS, ev, f"{container_label(ev)} uses no shared mount propagation.")
