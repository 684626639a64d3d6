"""The Docker collector's entry point: every requested host, read-only, one scope per host."""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

from auditprep.collect.base import (
    Clock,
    CollectionOutcome,
    Progress,
    ProgressCallback,
    Recorder,
    no_progress,
    utcnow,
)
from auditprep.collect.docker.calls import KINDS, OP, call_status, trace_requests, traced
from auditprep.collect.docker.host import HostCollection
from auditprep.collect.docker.hosts import (
    DEFAULT_TIMEOUT,
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


UnitSink = Callable[[str, CollectionOutcome], None]
CONNECT_TIMEOUT = 10.0  # seconds to connect and read a host's version and info
MAX_HOSTS = 4  # hosts collected at once


def collect_docker(
    hosts: Sequence[str] | None = None,
    *,
    progress: ProgressCallback = no_progress,
    cancel: threading.Event | None = None,
    clock: Clock = utcnow,
    known_inventories: Mapping[str, dict[str, Any]] | None = None,
    client_factory: ClientFactory | None = None,
    sink: UnitSink | None = None,
    skip: Collection[str] = (),
    max_hosts: int = MAX_HOSTS,
    connect_timeout: float = CONNECT_TIMEOUT,
    call_timeout: float = DEFAULT_TIMEOUT,
) -> CollectionOutcome:
    """Collect daemon, network, container, image and swarm evidence from Docker hosts, read-only.

    ``hosts``: URLs (``unix://``, ``tcp://``, ``ssh://``) or Docker context names; ``None`` means
    ``DOCKER_HOST``, else the current Docker context, else the local socket. ``tcp://`` URLs use
    the TLS client certificates named by ``DOCKER_CERT_PATH``/``DOCKER_TLS_VERIFY``; for per-host
    certificates, create a Docker context per host and pass its name.

    Hosts are collected ``max_hosts`` at a time. Each has two deadlines: ``connect_timeout`` to
    connect and read its version and info, ``call_timeout`` for every later call. Each host is a
    unit: with ``sink``, its evidence goes to ``sink(label, outcome)`` as soon as it is done; the
    hosts whose label is in ``skip`` are not collected again (``collect --resume``).

    ``known_inventories``: image id -> the ``data`` of an earlier ``docker.image_inventory``
    item. Image ids are content hashes, so those images are not exported again.

    ``client_factory(target)``: returns a ``docker.APIClient`` (or ``DockerClient``) for a
    ``HostTarget``; the default connects to ``target.url`` with ``target.tls``.

    Raises ``CollectionError`` (one sentence naming the URL and the cause) when no host could be
    reached (then nothing is handed to ``sink``). When some hosts answer and others do not, each
    unreachable host gets a gap for every evidence kind in its scope (status ``error`` or
    ``access_denied``, message = that sentence) and the others are collected;
    ``unreachable_hosts(outcome.evidence)`` lists those sentences so a caller can report them and
    exit non-zero after storing what was collected.
    """
    targets = resolve_hosts(hosts)
    cancel = cancel or threading.Event()

    def connect(target: HostTarget) -> Any:
        # ssh: one deadline for the connection and every call, kept at the call deadline
        return default_client(target, timeout=call_timeout if target.scheme == "ssh" else connect_timeout)

    factory = client_factory or connect
    todo = [t for t in targets if t.label not in set(skip)]
    state = _Fleet(progress, sink, len(todo))

    def one(target: HostTarget) -> None:
        recorder = Recorder(Source.DOCKER, COLLECTOR, clock)
        identity, failure = _host(
            factory, target, recorder, state.progress_for(target), cancel, known_inventories or {}, call_timeout
        )
        state.done(target, recorder, identity, failure, cancel.is_set())

    with ThreadPoolExecutor(max_workers=max(1, max_hosts), thread_name_prefix="auditprep-docker") as pool:
        for fut in [pool.submit(one, t) for t in todo]:
            fut.result()
    failed = [f for f in state.failures if f]
    if todo and len(failed) == len(todo) and len(todo) == len(targets):
        more = f" {len(failed) - 1} other host(s) could not be reached either." if len(failed) > 1 else ""
        raise CollectionError(failed[0] + more, title="Docker host unreachable")
    state.release_failed()
    return CollectionOutcome(
        source=Source.DOCKER,
        evidence=state.kept,
        identity="; ".join(i for i in state.identities if i),
        targets=[t.label for t in todo],
        cancelled=cancel.is_set(),
    )


class _Fleet:
    """What the hosts of one collection share: progress counts, the sink, and what is held back.

    A host that could not be reached is held back until the end: if no host could, nothing is
    stored and the collection fails as a whole."""

    def __init__(self, progress: ProgressCallback, sink: UnitSink | None, total: int):
        self._progress = progress
        self._sink = sink
        self.total = total
        self.finished = 0
        self.lock = threading.Lock()
        self.kept: list[Evidence] = []
        self.identities: list[str] = []
        self.failures: list[str] = []
        self._held: list[tuple[str, CollectionOutcome]] = []

    def progress_for(self, target: HostTarget) -> ProgressCallback:
        def report(p: Progress) -> None:
            self._progress(replace(p, units_done=self.finished, units_total=self.total))

        return report

    def done(self, target: HostTarget, recorder: Recorder, identity: str, failure: str, cancelled: bool) -> None:
        outcome = CollectionOutcome(Source.DOCKER, recorder.evidence, identity, [target.label], cancelled)
        with self.lock:
            self.finished += 1
            self.identities.append(identity)
            self.failures.append(failure)
            if failure:
                self._held.append((target.label, outcome))
            elif self._sink is not None:
                self._sink(target.label, outcome)
            else:
                self.kept.extend(outcome.evidence)
        self._progress(
            Progress(
                "docker",
                target.label,
                "host",
                self.finished,
                self.total,
                failure or "done",
                units_done=self.finished,
                units_total=self.total,
            )
        )

    def release_failed(self) -> None:
        for label, outcome in self._held:
            if self._sink is not None:
                self._sink(label, outcome)
            else:
                self.kept.extend(outcome.evidence)
        self._held.clear()


def _host(
    factory: ClientFactory,
    target: HostTarget,
    recorder: Recorder,
    progress: ProgressCallback,
    cancel: threading.Event,
    known_inventories: Mapping[str, dict[str, Any]],
    call_timeout: float,
) -> tuple[str, str]:
    """Collect one host into ``recorder``: (its identity, or the sentence saying why it could not be reached)."""
    scope = Scope(host=target.label)
    if cancel.is_set():
        for kind in KINDS:
            recorder.attempt(
                kind, OP[kind], scope, CallStatus.ERROR, "the collection was cancelled before this host was reached"
            )
        return "", ""
    try:
        api, info, version, paths = _connect(factory, target)
    except CollectionError as exc:
        sentence = exc.message
        for kind in KINDS:
            recorder.attempt(kind, "SystemVersion", scope, CallStatus.ERROR, sentence)
        return "", sentence
    except Exception as exc:  # any failure to connect is reported as one sentence, never a traceback
        sentence = unreachable_sentence(exc, target)
        status = _status_for_unreachable(exc, sentence)
        for kind in KINDS:
            recorder.attempt(kind, "SystemVersion", scope, status, sentence)
        return "", sentence
    if hasattr(api, "timeout"):
        api.timeout = call_timeout  # connected: every later call has the call deadline
    try:
        HostCollection(
            api, target, recorder, progress=progress, cancel=cancel, known_inventories=known_inventories
        ).run(info, version, paths)
    finally:
        close = getattr(api, "close", None)
        if callable(close):
            close()
    identity = (
        f"{target.label}: engine {info.get('Name', '?')} id {info.get('ID', '?')} "
        f"(Docker Engine {version.get('Version', '?')})"
    )
    return identity, ""


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
