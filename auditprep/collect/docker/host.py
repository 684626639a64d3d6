"""Collect everything from one reachable Docker host.

Per host, in this order: the daemon (``/info`` and ``/version``), networks, every container
(stopped and never-started ones included), every image with its history and package inventory,
and the swarm when this host is a manager. Requests are one list call per kind plus one inspect
per container and per image (and one history call per image); image exports are streamed once,
only for images whose inventory the caller does not already hold. Inspects run concurrently.

Every kind gets one scope-level record saying whether its list call worked and how many objects
it found; an object that vanished or failed on its own gets a resource-level record, and the
collection goes on.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any

import docker

from auditprep.collect.base import Progress, ProgressCallback, Recorder
from auditprep.collect.docker import inventory, redaction
from auditprep.collect.docker.calls import CALL_ERRORS, KINDS, OP, SWARM_KINDS, call_message, call_status, short, traced
from auditprep.collect.docker.hosts import HostTarget
from auditprep.collect.docker.swarm import collect_swarm
from auditprep.models import CallStatus, Scope

INSPECT_WORKERS = 8
EXPORT_WORKERS = 2
__all__ = ["KINDS", "HostCollection"]


class HostCollection:
    """One host's collection: records every kind into ``recorder`` under the host's scope."""

    def __init__(
        self,
        api: Any,
        target: HostTarget,
        recorder: Recorder,
        *,
        progress: ProgressCallback,
        cancel: threading.Event,
        known_inventories: Mapping[str, dict[str, Any]],
    ):
        self.api = api
        self.target = target
        self.rec = recorder
        self.scope = Scope(host=target.label)
        self.progress = progress
        self.cancel = cancel
        self.known = known_inventories
        self.info_paths: tuple[str, ...] = ()  # the requests that read /info and /version

    # --- helpers ---------------------------------------------------------------------------

    def _report(self, service: str, done: int, total: int, message: str = "") -> None:
        self.progress(Progress("docker", self.target.label, service, done, total, message))

    def gap(self, kind: str, status: CallStatus, message: str, *, resource: str = "", name: str = "") -> None:
        self.rec.attempt(kind, OP[kind], self.scope, status, message, resource=resource, name=name)

    def _cancelled_gap(self, kind: str, what: str) -> None:
        self.gap(kind, CallStatus.ERROR, f"the collection was cancelled before {what}")

    def _list(
        self, kind: str, call: Callable[[], list[dict[str, Any]]]
    ) -> tuple[list[dict[str, Any]] | None, tuple[str, ...]]:
        """The objects a list call returned (None when it failed) and the API requests it sent."""
        try:
            found, paths = traced(call)
            return list(found or []), paths
        except CALL_ERRORS as exc:
            self.gap(kind, call_status(exc), f"listing failed: {call_message(exc)}")
            return None, ()

    def _concurrently(
        self, work: Iterable[Any], fn: Callable[[Any], Any], workers: int, on_done: Callable[[Any, Any], None]
    ) -> bool:
        """Run ``fn`` over ``work`` with a few threads; ``on_done`` runs here, in order of completion.

        Returns False when cancelled before every item was started (the rest is not started)."""
        pending: dict[Future, Any] = {}
        items = iter(work)
        exhausted = False
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="docker-collect") as pool:
            while True:
                while not exhausted and len(pending) < workers * 2 and not self.cancel.is_set():
                    try:
                        item = next(items)
                    except StopIteration:
                        exhausted = True
                        break
                    pending[pool.submit(fn, item)] = item
                if not pending:
                    break
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    on_done(pending.pop(future), future.result())
        return exhausted

    # --- kinds -----------------------------------------------------------------------------

    def daemon(self, info: dict[str, Any], version: dict[str, Any]) -> None:
        data, redactions = redaction.daemon(info)
        connection = {
            "URL": self.target.url,
            "Scheme": self.target.scheme,
            "TLS": self.target.tls is not None,
            "TLSVerify": bool(self.target.tls is not None and self.target.tls.verify),
            "ClientCertificate": bool(self.target.tls is not None and self.target.tls.cert),
            "ChosenBy": self.target.origin,
        }
        self.rec.attempt("docker.daemon", "SystemInfo", self.scope, count=1, api_paths=self.info_paths)
        self.rec.item(
            "docker.daemon",
            "SystemInfo, SystemVersion",
            self.scope,
            str(info.get("ID") or self.target.url),
            {"Info": data, "Version": version, "Connection": connection},
            name=str(info.get("Name") or ""),
            redactions=redactions,
            api_paths=self.info_paths,
        )

    def networks(self) -> None:
        found, paths = self._list("docker.network", self.api.networks)
        if found is None:
            return
        for net in found:
            data, redactions = redaction.labelled(net, ("Labels",), ("Options",))
            self.rec.item(
                "docker.network",
                "NetworkList",
                self.scope,
                net.get("Id", ""),
                data,
                name=net.get("Name", ""),
                redactions=redactions,
                api_paths=paths,
            )
        self.rec.attempt("docker.network", "NetworkList", self.scope, count=len(found), api_paths=paths)

    def containers(self) -> None:
        listed, list_paths = self._list("docker.container", lambda: self.api.containers(all=True))
        if listed is None:
            return
        total = len(listed)
        done = 0
        vanished = 0

        def inspect(summary: dict[str, Any]) -> tuple[str, Any]:
            try:
                return "ok", traced(self.api.inspect_container, summary["Id"])
            except docker.errors.NotFound:
                return "gone", None
            except CALL_ERRORS as exc:
                return "error", exc

        def record(summary: dict[str, Any], outcome: tuple[str, Any]) -> None:
            nonlocal done, vanished
            done += 1
            cid = summary["Id"]
            name = ((summary.get("Names") or ["/" + short(cid)])[0]).lstrip("/")
            state, value = outcome
            if state == "ok":
                attrs, paths = value
                data, redactions = redaction.container(attrs)
                self.rec.item(
                    "docker.container",
                    "ContainerInspect",
                    self.scope,
                    cid,
                    data,
                    name=name,
                    redactions=redactions,
                    api_paths=paths,
                )
            elif state == "gone":
                vanished += 1
                self.rec.attempt(
                    "docker.container",
                    "ContainerInspect",
                    self.scope,
                    CallStatus.ERROR,
                    "the container was listed but removed before it could be inspected",
                    resource=cid,
                    name=name,
                )
            else:
                self.rec.attempt(
                    "docker.container",
                    "ContainerInspect",
                    self.scope,
                    call_status(value),
                    f"inspecting the container failed: {call_message(value)}",
                    resource=cid,
                    name=name,
                )
            self._report("containers", done, total)

        self._report("containers", 0, total)
        if not self._concurrently(listed, inspect, INSPECT_WORKERS, record):
            self._cancelled_gap("docker.container", "every container was inspected")
            return
        note = f"{vanished} container(s) were removed while the collection ran" if vanished else ""
        self.rec.attempt(
            "docker.container", "ContainerList", self.scope, count=total, message=note, api_paths=list_paths
        )

    def images(self) -> None:
        listed, list_paths = self._list("docker.image", self.api.images)
        if listed is None:
            self.gap("docker.image_inventory", CallStatus.ERROR, "the image list could not be read")
            return
        unique = list({img["Id"]: img for img in listed if img.get("Id")}.values())
        total = len(unique)
        done = 0
        inspected: list[tuple[str, str]] = []  # (id, name) of images whose inspect worked

        def inspect(summary: dict[str, Any]) -> tuple[str, Any]:
            try:
                attrs, inspect_paths = traced(self.api.inspect_image, summary["Id"])
                history, history_paths = traced(self.api.history, summary["Id"])
                return "ok", (attrs, history, inspect_paths + history_paths)
            except docker.errors.NotFound:
                return "gone", None
            except CALL_ERRORS as exc:
                return "error", exc

        def record(summary: dict[str, Any], outcome: tuple[str, Any]) -> None:
            nonlocal done
            done += 1
            iid = summary["Id"]
            tags = [t for t in summary.get("RepoTags") or [] if t != "<none>:<none>"]
            name = tags[0] if tags else short(iid)
            state, value = outcome
            if state == "ok":
                data, redactions = redaction.image(value[0], value[1] or [])
                self.rec.item(
                    "docker.image",
                    "ImageInspect, ImageHistory",
                    self.scope,
                    iid,
                    data,
                    name=name,
                    redactions=redactions,
                    api_paths=value[2],
                )
                inspected.append((iid, name))
            else:
                message = (
                    "the image was listed but removed before it could be inspected"
                    if state == "gone"
                    else f"inspecting the image failed: {call_message(value)}"
                )
                status = CallStatus.ERROR if state == "gone" else call_status(value)
                self.rec.attempt("docker.image", "ImageInspect", self.scope, status, message, resource=iid, name=name)
            self._report("images", done, total)

        self._report("images", 0, total)
        if not self._concurrently(unique, inspect, INSPECT_WORKERS, record):
            self._cancelled_gap("docker.image", "every image was inspected")
            self._cancelled_gap("docker.image_inventory", "every image was inventoried")
            return
        self.rec.attempt("docker.image", "ImageList", self.scope, count=total, api_paths=list_paths)
        self.inventories(sorted(inspected))

    def inventories(self, images: list[tuple[str, str]]) -> None:
        total = len(images)
        done = 0
        to_read: list[tuple[str, str]] = []
        exported: list[str] = []  # the export requests sent, for the scope record
        for iid, name in images:
            known = self.known.get(iid)
            if isinstance(known, dict) and known.get("format") == inventory.INVENTORY_FORMAT:
                self.rec.item(
                    "docker.image_inventory",
                    "ImageGet (inventory reused from an earlier collection of the same image id)",
                    self.scope,
                    iid,
                    dict(known),
                    name=name,
                )
                done += 1
            else:
                to_read.append((iid, name))

        def read(item: tuple[str, str]) -> tuple[str, Any]:
            iid = item[0]
            try:
                stream, paths = traced(self.api.get_image, iid, chunk_size=256 * 1024)
                found = inventory.read_export(stream, cancelled=self.cancel.is_set)
                return "ok", ({"image_id": iid, **found}, paths)
            except inventory.Cancelled:
                return "cancelled", None
            except inventory.InventoryError as exc:
                return "unreadable", exc
            except docker.errors.NotFound:
                return "gone", None
            except CALL_ERRORS as exc:
                return "error", exc

        def record(item: tuple[str, str], outcome: tuple[str, Any]) -> None:
            nonlocal done
            done += 1
            iid, name = item
            state, value = outcome
            if state == "ok":
                self.rec.item(
                    "docker.image_inventory", "ImageGet", self.scope, iid, value[0], name=name, api_paths=value[1]
                )
                exported.extend(value[1])
            elif state != "cancelled":
                message = {
                    "gone": "the image was removed before its export could be read",
                    "unreadable": f"the image export could not be read: {value}",
                }.get(state) or f"exporting the image failed: {call_message(value)}"
                status = call_status(value) if state == "error" else CallStatus.ERROR
                self.rec.attempt(
                    "docker.image_inventory", "ImageGet", self.scope, status, message, resource=iid, name=name
                )
            self._report("image inventories", done, total)

        self._report("image inventories", done, total)
        if not self._concurrently(to_read, read, EXPORT_WORKERS, record):
            self._cancelled_gap("docker.image_inventory", "every image was inventoried")
            return
        self.rec.attempt("docker.image_inventory", "ImageGet", self.scope, count=total, api_paths=tuple(exported))

    def swarm(self, info: dict[str, Any]) -> None:
        collect_swarm(self, info)

    def run(self, info: dict[str, Any], version: dict[str, Any], paths: tuple[str, ...] = ()) -> None:
        self.info_paths = paths
        self.daemon(info, version)
        steps = (
            ("docker.network", self.networks),
            ("docker.container", self.containers),
            ("docker.image", self.images),
            ("docker.swarm", lambda: self.swarm(info)),
        )
        for i, (_kind, step) in enumerate(steps):
            if self.cancel.is_set():
                for later_kind, _ in steps[i:]:
                    kinds: tuple[str, ...] = SWARM_KINDS if later_kind == "docker.swarm" else (later_kind,)
                    if later_kind == "docker.image":
                        kinds = ("docker.image", "docker.image_inventory")
                    for k in kinds:
                        self._cancelled_gap(k, f"{k} was collected")
                return
            step()
