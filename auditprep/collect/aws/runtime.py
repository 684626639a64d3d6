"""How the collector talks to AWS: clients, the request-rate limits, calls and their outcomes.

Every client carries botocore adaptive retries and timeouts, a guard that refuses operations not
declared in ``operations.OPERATIONS`` (so nothing but the declared reads can ever be sent), and a
limit per account, region and service (see ``ratelimit``), held as the server counts, so a
production account is never hammered. A failed call becomes an ``ApiFailure`` that says which IAM action it needed and
which ``CallStatus`` it maps to; collectors turn it into recorded evidence, never into silence.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from botocore.config import Config

from auditprep.collect.aws import operations
from auditprep.collect.aws.failures import (  # noqa: F401 - re-exported for the service collectors
    ApiFailure,
    Cancelled,
    classify,
    ids_of,
    request_id,
)
from auditprep.collect.aws.ratelimit import Counters, Gate, Limits, RateLimiter, throttle_code  # noqa: F401
from auditprep.collect.base import Recorder
from auditprep.models import CallStatus, Scope

if TYPE_CHECKING:
    import boto3


class UndeclaredOperation(RuntimeError):
    """A collector tried an operation missing from the declared list: a bug, never sent."""


class Traced(dict[str, Any]):
    """An answer from AWS (or an object inside one) that remembers the request ids it came from.

    It is an ordinary dict to everything else; ``RegionContext.item`` reads ``request_ids`` so the
    evidence of a resource names the call that returned it. A copy (``dict(x)``) is a plain dict
    again: a collector that builds its record from several answers names them explicitly.
    """

    __slots__ = ("request_ids",)
    request_ids: tuple[str, ...]


class TracedList(list[Any]):
    """A list from AWS (one page, or every page of a listing) with the request ids of its pages."""

    __slots__ = ("request_ids",)
    request_ids: tuple[str, ...]


def _jsonable(value: Any, rids: tuple[str, ...] = ()) -> Any:
    if isinstance(value, dict):
        out = Traced((k, _jsonable(v, rids)) for k, v in value.items() if k != "ResponseMetadata")
        out.request_ids = rids
        return out
    if isinstance(value, list):
        items = TracedList(_jsonable(v, rids) for v in value)
        items.request_ids = rids
        return items
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    return value


@dataclass
class Runtime:
    """Settings shared by every account: the limits, botocore config, cancellation."""

    limits: Limits
    config: Config
    cancel: threading.Event

    @property
    def counters(self) -> Counters:
        return self.limits.counters

    @classmethod
    def build(cls, *, max_rps: float | None, max_workers: int, max_attempts: int, cancel: threading.Event) -> Runtime:
        config = Config(
            retries={"mode": "adaptive", "max_attempts": max_attempts},
            connect_timeout=5,
            read_timeout=30,
            max_pool_connections=max(10, max_workers * 2),
            user_agent_extra="auditprep",
        )
        return cls(Limits(max_rps), config, cancel)


@dataclass
class Account:
    """One identity (a profile or an assumed role) and the clients made from it."""

    session: boto3.session.Session
    account_id: str
    arn: str
    label: str
    runtime: Runtime
    partition: str = "aws"
    home_region: str = "us-east-1"
    _clients: dict[tuple[str, str], Any] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    # clients are made one at a time (a boto3 session is not safe to share while it makes one),
    # under a lock of their own: a call through a client already made never waits for that
    _making: threading.Lock = field(default_factory=threading.Lock, repr=False)
    # (region, IAM action) -> request ids of the calls made, for the scope-level records
    _calls: dict[tuple[str, str], list[str]] = field(default_factory=dict, repr=False)

    def release(self) -> None:
        """Drop the clients and call notes once the account's work is done (they are made again if needed)."""
        with self._lock:
            self._clients.clear()
            self._calls.clear()

    def note_call(self, region: str, action: str, rid: str) -> None:
        if rid:
            with self._lock:
                self._calls.setdefault((region, action), []).append(rid)

    def calls(self, region: str, action: str) -> tuple[str, ...]:
        """The request ids of every ``action`` call made in ``region`` so far."""
        with self._lock:
            return tuple(dict.fromkeys(self._calls.get((region, action), ())))

    def client(self, service: str, region: str) -> Any:
        key = (service, region)
        with self._lock:
            found = self._clients.get(key)
        if found is not None:
            return found
        with self._making:
            with self._lock:
                found = self._clients.get(key)
            if found is None:
                found = self.session.client(service, region_name=region, config=self.runtime.config)
                _instrument(found, service, self.runtime, self.account_id, region)
                with self._lock:
                    self._clients[key] = found
            return found


def _instrument(client: Any, service: str, runtime: Runtime, account: str, region: str) -> None:
    def guard(model: Any, **_: Any) -> None:
        if operations.declared(service, model.name) is None:
            raise UndeclaredOperation(f"{service}:{model.name} is not in the declared read-only operations")

    client.meta.events.register_first(f"before-call.{client.meta.service_model.service_id.hyphenize()}", guard)
    limits = runtime.limits
    limit(client, lambda op: limits.gates(account, region, service, op), runtime.counters)


_current = threading.local()  # per thread: client id -> (operation being called, gates held)


def limit(client: Any, gates: Gate | Callable[[str], list[Gate]], counters: Counters | None = None) -> None:
    """Put every attempt ``client`` sends (retries included) under ``gates`` (one limiter, or the
    limiters of each operation): a place is taken just before the request leaves and given back
    as soon as its answer has arrived (before it is parsed), or the call failed."""
    key = id(client)
    resolve: Callable[[str], list[Gate]] = (
        (lambda _op: [gates]) if hasattr(gates, "acquire") else gates  # type: ignore[assignment,list-item,return-value]
    )

    def state() -> dict[int, Any]:
        found = getattr(_current, "clients", None)
        if found is None:
            found = _current.clients = {}
        return found

    def calling(model: Any, **_: Any) -> None:
        state()[key] = (model.name, [])

    def taken(**_: Any) -> None:
        op, _held = state().get(key, ("", []))
        held = resolve(op)
        for gate in held:
            gate.acquire()
        state()[key] = (op, held)
        if counters is not None:
            counters.sent()

    def answered(**_: Any) -> None:  # the answer is in: its place is given back before it is parsed
        op, held = state().get(key, ("", []))
        for gate in reversed(held):
            gate.release()
        state()[key] = (op, [])

    def given_back(**kwargs: Any) -> None:  # parsed, or failed: whatever is still held goes back
        answered()
        if counters is not None and throttle_code(kwargs.get("parsed_response")):
            counters.throttled()

    events = client.meta.events
    service_id = client.meta.service_model.service_id.hyphenize()
    events.register(f"before-call.{service_id}", calling)
    events.register(f"before-send.{service_id}", taken)
    events.register(f"before-parse.{service_id}", answered)
    events.register(f"response-received.{service_id}", given_back)
    events.register(f"after-call-error.{service_id}", given_back)


_T = TypeVar("_T")
_R = TypeVar("_R")
FAN_OUT = 4  # calls in flight at once within one region's service; the global rate limit still applies


@dataclass
class RegionContext:
    """Everything a service collector needs for one account and region."""

    def map(self, fn: Callable[[_T], _R], items: Iterable[_T], width: int = FAN_OUT) -> list[_R]:
        """``fn`` over ``items``, a few at a time, results in the items' order.

        Per-resource calls (one DescribeTaskDefinition per family, a few ECR calls per repository)
        have no batch form, so their latency is overlapped here instead of paid one after another.
        Short-lived threads of its own: it never waits on the pool running this region. ``fn``
        should only call AWS and return data; recording stays with the caller, in order.
        """
        items = list(items)
        if len(items) <= 1 or width <= 1:
            return [fn(item) for item in items]
        with ThreadPoolExecutor(max_workers=min(width, len(items)), thread_name_prefix="auditprep-fanout") as pool:
            return list(pool.map(fn, items))

    account: Account
    region: str
    recorder: Recorder
    # answers read ahead of when they are recorded (``prefetch``): key -> answer or ApiFailure
    _early: dict[tuple[Any, ...], Any] = field(default_factory=dict, repr=False)

    def prefetch(self, how: str, service: str, operation: str, *args: Any, **params: Any) -> Any:
        """Make a call now (``how``: "call" or "collect_all") and keep its answer, or its failure, for
        the first identical call later: reads that do not depend on an earlier phase go out
        alongside it, and are still recorded in their own phase, in order."""
        key = (how, service, operation, args, repr(sorted(params.items())))
        try:
            found: Any = getattr(self, how)(service, operation, *args, **params)
        except ApiFailure as failure:
            found = failure
        self._early[key] = found
        return found

    def _early_answer(
        self, how: str, service: str, operation: str, args: tuple[Any, ...], params: dict[str, Any]
    ) -> Any:
        if not self._early:
            return None
        found = self._early.pop((how, service, operation, args, repr(sorted(params.items()))), None)
        if isinstance(found, ApiFailure):
            raise found
        return found

    @property
    def scope(self) -> Scope:
        return Scope(account=self.account.account_id, region=self.region)

    @property
    def partition(self) -> str:
        return self.account.partition

    def arn(self, service: str, resource: str) -> str:
        return f"arn:{self.partition}:{service}:{self.region}:{self.account.account_id}:{resource}"

    def client(self, service: str) -> Any:
        return self.account.client(service, self.region)

    def calls(self, *operations: str) -> tuple[str, ...]:
        """The request ids of every call of ``operations`` (IAM action names) made in this region."""
        out: dict[str, None] = {}
        for op in operations:
            out.update(dict.fromkeys(self.account.calls(self.region, op)))
        return tuple(out)

    def check_cancel(self) -> None:
        if self.account.runtime.cancel.is_set():
            raise Cancelled()

    def call(self, service: str, operation: str, **params: Any) -> dict[str, Any]:
        """One call; returns the JSON-safe response or raises ``ApiFailure``."""
        self.check_cancel()
        early = self._early_answer("call", service, operation, (), params)
        if early is not None:
            return early  # type: ignore[no-any-return]
        client = self.client(service)
        method = getattr(client, _snake(operation))
        act = operations.action(service, operation)
        try:
            response = method(**params)
        except UndeclaredOperation:
            raise
        except Exception as exc:  # noqa: BLE001 - classified or re-raised by classify
            failure = classify(exc, act)
            for rid in failure.request_ids:
                self.account.note_call(self.region, act, rid)
            raise failure from exc
        rid = request_id(response)
        self.account.note_call(self.region, act, rid)
        return _jsonable(response, (rid,) if rid else ())

    def pages(self, service: str, operation: str, key: str, **params: Any) -> Iterator[list[Any]]:
        """Every page of a paginated call, yielding the list under ``key`` of each page."""
        client = self.client(service)
        paginator = client.get_paginator(_snake(operation))
        act = operations.action(service, operation)
        it = iter(paginator.paginate(**params))
        while True:
            self.check_cancel()
            try:
                page = next(it)
            except StopIteration:
                return
            except UndeclaredOperation:
                raise
            except Exception as exc:  # noqa: BLE001
                failure = classify(exc, act)
                for rid in failure.request_ids:
                    self.account.note_call(self.region, act, rid)
                raise failure from exc
            rid = request_id(page)
            self.account.note_call(self.region, act, rid)
            yield _jsonable(page.get(key, []), (rid,) if rid else ())

    def collect_all(self, service: str, operation: str, key: str, **params: Any) -> list[Any]:
        """Every item of every page; the list (a ``TracedList``) carries the request ids of all its pages."""
        early = self._early_answer("collect_all", service, operation, (key,), params)
        if early is not None:
            return early  # type: ignore[no-any-return]
        out = TracedList()
        rids: list[str] = []
        for page in self.pages(service, operation, key, **params):
            out.extend(page)
            rids.extend(ids_of(page))
        out.request_ids = tuple(dict.fromkeys(rids))
        return out

    # --- recording -----------------------------------------------------------------------------

    def attempt(
        self,
        kind: str,
        operation: str,
        *,
        count: int | None = None,
        failure: ApiFailure | None = None,
        message: str = "",
        resource: str = "",
        name: str = "",
        request_ids: tuple[str, ...] | None = None,
    ) -> None:
        """Record how ``kind`` went here. Its request ids: those given, else the failed call's,
        else every call of ``operation`` made in this region so far (the calls it summarises)."""
        if failure is not None:
            self.recorder.attempt(
                kind,
                failure.action,
                self.scope,
                failure.status,
                failure.message,
                count=count,
                resource=resource,
                name=name,
                request_ids=failure.request_ids if request_ids is None else request_ids,
            )
        else:
            self.recorder.attempt(
                kind,
                operation,
                self.scope,
                CallStatus.COLLECTED,
                message,
                count=count,
                resource=resource,
                name=name,
                request_ids=self.account.calls(self.region, operation) if request_ids is None else request_ids,
            )

    def item(
        self,
        kind: str,
        operation: str,
        resource: str,
        data: dict[str, Any],
        *,
        name: str = "",
        redactions: tuple[str, ...] = (),
        request_ids: tuple[str, ...] | None = None,
    ) -> None:
        """Record one resource. Its request ids: those given, else those ``data`` came with."""
        rids = ids_of(data) if request_ids is None else request_ids
        self.recorder.item(
            kind, operation, self.scope, resource, data, name=name, redactions=redactions, request_ids=rids
        )


def _snake(operation: str) -> str:
    from botocore import xform_name

    return xform_name(operation)


def chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
