"""The Docker collector's entry point: every requested host, read-only, one scope per host."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from auditprep.collect.base import (
    Clock,
    CollectionOutcome,
    ProgressCallback,
    Recorder,
    no_progress,
    utcnow,
)
from auditprep.collect.docker.calls import KINDS, OP, call_status, trace_requests, traced
from auditprep.collect.docker.host import HostCollection
from auditprep.collect.docker.hosts import (
    ClientFactory,
    HostTarget,
    default_client,
    resolve_hosts,
    unreachable_sentence,
)
from auditprep.errors import CollectionError
from auditprep.models import CallStatus, Evidence, Scope, Source

COLLECTOR = "docker"


def _connect(factory: ClientFactory, target: HostTarget) -> tuple[Any, dict[str, Any], dict[str, Any], tuple[str, ...]]:
    client = factory(target)
    api: Any = getattr(client, "api", client)  # a DockerClient or an APIClient
    trace_requests(api)
    version, version_path = traced(api.version)
    info, info_path = traced(api.info)
    return api, info, version, info_path + version_path


def _status_for_unreachable(exc: BaseException, sentence: str) -> CallStatus:
    if "permission was denied" in sentence or "refused access" in sentence:
        return CallStatus.ACCESS_DENIED
    return call_status(exc)


def collect_docker(
    hosts: Sequence[str] | None = None,
    *,
    progress: ProgressCallback = no_progress,
    cancel: threading.Event | None = None,
    clock: Clock = utcnow,
    known_inventories: Mapping[str, dict[str, Any]] | None = None,
    client_factory: ClientFactory | None = None,
) -> CollectionOutcome:
    """Collect daemon, network, container, image and swarm evidence from Docker hosts, read-only.

    ``hosts``: URLs (``unix://``, ``tcp://``, ``ssh://``) or Docker context names; ``None`` means
    ``DOCKER_HOST``, else the current Docker context, else the local socket. ``tcp://`` URLs use
    the TLS client certificates named by ``DOCKER_CERT_PATH``/``DOCKER_TLS_VERIFY``; for per-host
    certificates, create a Docker context per host and pass its name.

    ``known_inventories``: image id -> the ``data`` of an earlier ``docker.image_inventory``
    item. Image ids are content hashes, so those images are not exported again.

    ``client_factory(target)``: returns a ``docker.APIClient`` (or ``DockerClient``) for a
    ``HostTarget``; the default connects to ``target.url`` with ``target.tls``.

    Raises ``CollectionError`` (one sentence naming the URL and the cause) when no host could be
    reached. When some hosts answer and others do not, each unreachable host gets a gap for
    every evidence kind in its scope (status ``error`` or ``access_denied``, message = that
    sentence) and the others are collected; ``unreachable_hosts(outcome.evidence)`` lists those
    sentences so a caller can report them and exit non-zero after storing what was collected.
    """
    targets = resolve_hosts(hosts)
    cancel = cancel or threading.Event()
    factory = client_factory or default_client
    recorder = Recorder(Source.DOCKER, COLLECTOR, clock)
    identities: list[str] = []
    failures: list[str] = []
    for target in targets:
        scope = Scope(host=target.label)
        if cancel.is_set():
            for kind in KINDS:
                recorder.attempt(
                    kind, OP[kind], scope, CallStatus.ERROR, "the collection was cancelled before this host was reached"
                )
            continue
        try:
            api, info, version, paths = _connect(factory, target)
        except CollectionError:
            raise
        except Exception as exc:  # any failure to connect is reported as one sentence, never a traceback
            sentence = unreachable_sentence(exc, target)
            failures.append(sentence)
            status = _status_for_unreachable(exc, sentence)
            for kind in KINDS:
                recorder.attempt(kind, "SystemVersion", scope, status, sentence)
            continue
        try:
            HostCollection(
                api, target, recorder, progress=progress, cancel=cancel, known_inventories=known_inventories or {}
            ).run(info, version, paths)
        finally:
            close = getattr(api, "close", None)
            if callable(close):
                close()
        identities.append(
            f"{target.label}: engine {info.get('Name', '?')} id {info.get('ID', '?')} "
            f"(Docker Engine {version.get('Version', '?')})"
        )
    if failures and len(failures) == len(targets):
        more = f" {len(failures) - 1} other host(s) could not be reached either." if len(failures) > 1 else ""
        raise CollectionError(failures[0] + more, title="Docker host unreachable")
    return CollectionOutcome(
        source=Source.DOCKER,
        evidence=recorder.evidence,
        identity="; ".join(identities),
        targets=[t.label for t in targets],
        cancelled=cancel.is_set(),
    )


def unreachable_hosts(evidence: Iterable[Evidence]) -> list[str]:
    """The one-sentence reasons for hosts that could not be reached, in collection order."""
    out: list[str] = []
    for ev in evidence:
        if (
            ev.source is Source.DOCKER
            and ev.kind == "docker.daemon"
            and ev.operation == "SystemVersion"
            and not ev.resource
            and ev.status is not CallStatus.COLLECTED
            and ev.message not in out
        ):
            out.append(ev.message)
    return out
