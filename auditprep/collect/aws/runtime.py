"""How the collector talks to AWS: clients, the global request-rate limit, calls and their outcomes.

Every client carries botocore adaptive retries and timeouts, a guard that refuses operations not
declared in ``operations.OPERATIONS`` (so nothing but the declared reads can ever be sent), and a
shared limit on requests per second across all threads, held as the server counts, so a
production account is never hammered. A failed call becomes an ``ApiFailure`` that says which IAM action it needed and
which ``CallStatus`` it maps to; collectors turn it into recorded evidence, never into silence.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    ReadTimeoutError,
)

from auditprep.collect import redact
from auditprep.collect.aws import operations
from auditprep.collect.base import Recorder
from auditprep.models import CallStatus, Scope

if TYPE_CHECKING:
    import boto3

_DENIED = {
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "UnauthorizedException",
    "AuthorizationError",
    "AuthorizationErrorException",
    "Forbidden",
}
_THROTTLED = {
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestLimitExceeded",
    "TooManyRequestsException",
    "RequestThrottled",
    "RequestThrottledException",
    "SlowDown",
    "ProvisionedThroughputExceededException",
}


class ApiFailure(Exception):
    """One API call that did not succeed, classified.

    ``request_ids``: the AWS request id of the failed call, when AWS answered with one, so a
    denied or failed read is as traceable as a successful one. ``unsupported``: the endpoint does
    not offer the operation at all (as opposed to refusing this identity or failing).
    """

    def __init__(
        self,
        status: CallStatus,
        action: str,
        message: str,
        code: str = "",
        request_ids: tuple[str, ...] = (),
        unsupported: bool = False,
    ):
        super().__init__(message)
        self.status = status
        self.action = action
        self.message = message
        self.code = code
        self.request_ids = request_ids
        self.unsupported = unsupported


_UNSUPPORTED = {"UnknownOperationException", "InvalidAction", "UnsupportedOperation", "UnsupportedOperationException"}


def request_id(response: Any) -> str:
    """The AWS request id of one answer: ``ResponseMetadata.RequestId``, else the request id header."""
    if not isinstance(response, dict):
        return ""
    meta = response.get("ResponseMetadata") or {}
    found = meta.get("RequestId")
    if not found:
        headers = {str(k).lower(): v for k, v in (meta.get("HTTPHeaders") or {}).items()}
        found = headers.get("x-amzn-requestid") or headers.get("x-amz-request-id") or ""
    return str(found)


def ids_of(*objs: Any) -> tuple[str, ...]:
    """The request ids carried by answers (``Traced`` objects or ``ApiFailure``), in order, once each."""
    out: dict[str, None] = {}
    for obj in objs:
        for rid in getattr(obj, "request_ids", ()) or ():
            if rid:
                out[rid] = None
    return tuple(out)


class Cancelled(Exception):
    """The run was cancelled; the task stops where it is."""


def classify(exc: Exception, action: str) -> ApiFailure:
    """Map a botocore exception to a recorded outcome with a one-sentence reason."""
    if isinstance(exc, ClientError):
        if getattr(exc, "operation_name", None) == "AssumeRole":
            action = operations.ASSUME_ROLE.action
        err = exc.response.get("Error", {})
        code = str(err.get("Code", ""))
        rid = request_id(exc.response)
        rids = (rid,) if rid else ()
        text, _ = redact.text(str(err.get("Message", "")).strip())
        status_code = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if code in _DENIED or (status_code == 403 and "denied" in text.lower()):
            return ApiFailure(
                CallStatus.ACCESS_DENIED,
                action,
                f"the identity lacks permission for {action} ({code}{': ' + text if text else ''})",
                code,
                rids,
            )
        if code in _THROTTLED:
            return ApiFailure(
                CallStatus.THROTTLED, action, f"{action} was still throttled after retries ({code})", code, rids
            )
        if status_code == 404 and not code.strip("0123456789"):
            return ApiFailure(
                CallStatus.ERROR,
                action,
                f"{action} is not supported by this endpoint (HTTP 404)",
                code,
                rids,
                unsupported=True,
            )
        detail = f"{code}: {text}" if text and code else (text or code or "no detail")
        return ApiFailure(
            CallStatus.ERROR, action, f"{action} failed ({detail[:300]})", code, rids, unsupported=code in _UNSUPPORTED
        )
    if isinstance(exc, NoCredentialsError):
        return ApiFailure(
            CallStatus.ERROR,
            action,
            "no AWS credentials were found; give --profile NAME, set AWS_PROFILE, or sign in with 'aws sso login'",
            "NoCredentials",
        )
    if isinstance(exc, (EndpointConnectionError, ConnectTimeoutError)):
        return ApiFailure(CallStatus.ERROR, action, f"the endpoint could not be reached ({exc})", "Unreachable")
    if isinstance(exc, ReadTimeoutError):
        return ApiFailure(CallStatus.ERROR, action, f"{action} timed out", "Timeout")
    if isinstance(exc, BotoCoreError):
        return ApiFailure(CallStatus.ERROR, action, f"{action} failed ({exc})", type(exc).__name__)
    raise exc


class RateLimiter:
    """At most ``rate`` requests in any one second, counted the way the server counts them.

    A token bucket spaces requests as they leave this process, but the server sees them when they
    arrive, and scheduling and network delays move arrivals closer together: spaced exactly 20 per
    second here, the benchmark's server logged 22 to 25 in its busiest second. So a request holds
    its place from the moment it is sent until one window after its answer came back: the server
    saw it somewhere in between, and no other arrangement of arrivals can put more than the limit
    inside one window. Under ``rate`` 1 the window widens to ``1 / rate`` seconds and holds one.

    ``acquire`` before each attempt is sent, ``release`` once its answer (or failure) is in; both
    from the same thread, which may hold one place at a time.
    """

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic):
        if not rate > 0:
            raise ValueError("the request rate must be positive")
        self.rate = rate
        self.window = 1.0 if rate >= 1 else 1.0 / rate
        self.allowance = max(1, int(rate * self.window))
        self._clock = clock
        self._cond = threading.Condition()
        self._answered: deque[float] = deque()  # when each recent answer came back, oldest first
        self._in_flight: dict[int, float] = {}  # thread id -> when its request was sent

    def acquire(self) -> None:
        me = threading.get_ident()
        with self._cond:
            if me in self._in_flight:  # an earlier attempt of this thread ended without a release
                self._finish(me)
            while True:
                now = self._clock()
                while self._answered and self._answered[0] + self.window <= now:
                    self._answered.popleft()
                if len(self._answered) + len(self._in_flight) < self.allowance:
                    self._in_flight[me] = now
                    return
                if self._in_flight:
                    self._forget_ended_threads()
                wait = self._answered[0] + self.window - now if self._answered else 1.0
                self._cond.wait(min(wait, 1.0))

    def release(self) -> None:
        with self._cond:
            if threading.get_ident() in self._in_flight:
                self._finish(threading.get_ident())
                self._cond.notify()

    @property
    def in_flight(self) -> int:
        """Requests sent and not yet answered."""
        with self._cond:
            return len(self._in_flight)

    def _finish(self, ident: int) -> None:
        del self._in_flight[ident]
        self._answered.append(self._clock())

    def _forget_ended_threads(self) -> None:
        alive = {t.ident for t in threading.enumerate()}
        for ident in [i for i in self._in_flight if i not in alive]:
            self._finish(ident)


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
    """Settings shared by every account: limiter, botocore config, cancellation."""

    limiter: RateLimiter
    config: Config
    cancel: threading.Event

    @classmethod
    def build(cls, *, max_rps: float, max_workers: int, max_attempts: int, cancel: threading.Event) -> Runtime:
        config = Config(
            retries={"mode": "adaptive", "max_attempts": max_attempts},
            connect_timeout=5,
            read_timeout=30,
            max_pool_connections=max(10, max_workers * 2),
            user_agent_extra="auditprep",
        )
        return cls(RateLimiter(max_rps), config, cancel)


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
    # (region, IAM action) -> request ids of the calls made, for the scope-level records
    _calls: dict[tuple[str, str], list[str]] = field(default_factory=dict, repr=False)

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
            if found is None:
                found = self.session.client(service, region_name=region, config=self.runtime.config)
                _instrument(found, service, self.runtime)
                self._clients[key] = found
            return found


def _instrument(client: Any, service: str, runtime: Runtime) -> None:
    def guard(model: Any, **_: Any) -> None:
        if operations.declared(service, model.name) is None:
            raise UndeclaredOperation(f"{service}:{model.name} is not in the declared read-only operations")

    client.meta.events.register_first(f"before-call.{client.meta.service_model.service_id.hyphenize()}", guard)
    limit(client, runtime.limiter)


def limit(client: Any, limiter: RateLimiter) -> None:
    """Put every attempt ``client`` sends (retries included) under ``limiter``: a place is taken just
    before the request leaves and given back when its answer has been read, or the call failed."""

    def taken(**_: Any) -> None:
        limiter.acquire()

    def given_back(**_: Any) -> None:
        limiter.release()

    events = client.meta.events
    service_id = client.meta.service_model.service_id.hyphenize()
    events.register(f"before-send.{service_id}", taken)
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
