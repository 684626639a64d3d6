"""Request-rate limits shaped like AWS's own: per account, region and service, per API where lower.

AWS throttles each account separately in each region, service by service, and for some APIs
(CloudTrail ``LookupEvents``, every ECS action) separately again. So a collection keeps one limit
per (account, region, service) and, where AWS documents a per-action limit, one per action too:
more accounts and regions mean more work in parallel, never more pressure on any one of them.

Each limit has two parts, as AWS's token buckets do: a sustained rate and a burst (the most
requests in any one second). The burst is held the way the server counts (``RateLimiter``: a
request holds its place from just before it is sent until one second after its answer), so the
busiest second at the server never passes it whatever the delays between here and there.

Throttling answers are handled by botocore's adaptive retry mode, which keeps a client-side rate
limiter per client, that is per (account, region, service): once AWS answers "slow down", that
client's sending rate drops and recovers on its own. ``--max-rps`` adds an optional ceiling on the
whole collection, all accounts and regions together.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

THROTTLE_CODES = frozenset(
    {
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
)


@dataclass(frozen=True)
class Rule:
    """``sustained`` requests per second on average, at most ``burst`` in any one second."""

    sustained: float
    burst: int
    basis: str  # where the figure comes from


# Per (account, region, service), by botocore client name. Where AWS publishes a figure for the
# calls made here the rule uses it or less; where it publishes none, a conservative figure of our
# own, said so. ``PER_ACTION``: services that limit each action separately (then the rule applies
# to each action, as AWS applies it).
_EC2_READS = "EC2 documents a bucket of 100 and a refill of 20 per second for non-mutating actions"
_OURS = "a conservative figure of ours (a few calls per region are made)"
SERVICE_RULES: dict[str, Rule] = {
    "ec2": Rule(20, 100, _EC2_READS),
    "ecs": Rule(20, 50, "ECS keeps a token bucket per action, account and region; 20 a second, burst 50: ours"),
    "ecr": Rule(100, 100, "ECR publishes rates only for its image push and pull APIs; ours"),
    "eks": Rule(10, 20, _OURS),
    "elbv2": Rule(10, 20, _OURS),
    "acm": Rule(5, 10, _OURS),
    "cloudtrail": Rule(5, 10, _OURS),
    "logs": Rule(5, 10, _OURS),
    "kms": Rule(50, 50, _OURS),
    "guardduty": Rule(10, 20, _OURS),
    "securityhub": Rule(3, 6, _OURS),
    "config": Rule(5, 10, _OURS),
    "inspector2": Rule(10, 20, _OURS),
    "sts": Rule(50, 100, _OURS),
    "organizations": Rule(2, 5, _OURS),
}
PER_ACTION = frozenset({"ecs"})
DEFAULT_RULE = Rule(5, 10, "a service with no rule of its own")
# (service, operation) -> a limit of its own, below its service's
OPERATION_RULES: dict[tuple[str, str], Rule] = {
    ("cloudtrail", "LookupEvents"): Rule(2, 2, "CloudTrail documents 2 LookupEvents per second per account and region"),
}


class Gate(Protocol):
    def acquire(self) -> None: ...
    def release(self) -> None: ...


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


class ScopeLimit:
    """One AWS throttling scope: ``rule.sustained`` per second on average (a token bucket holding
    ``rule.burst``), never more than ``rule.burst`` in one second at the server."""

    def __init__(self, rule: Rule, clock: Callable[[], float] = time.monotonic):
        self.rule = rule
        self.window = RateLimiter(rule.burst, clock)
        self._clock = clock
        self._lock = threading.Lock()
        self._tokens = float(rule.burst)
        self._stamp = clock()

    def acquire(self) -> None:
        while True:
            with self._lock:
                now = self._clock()
                self._tokens = min(float(self.rule.burst), self._tokens + (now - self._stamp) * self.rule.sustained)
                self._stamp = now
                if self._tokens >= 1:
                    self._tokens -= 1
                    break
                wait = (1 - self._tokens) / self.rule.sustained
            time.sleep(wait)
        self.window.acquire()

    def release(self) -> None:
        self.window.release()


@dataclass
class Counters:
    """Requests sent (every attempt) and throttling answers received, for progress and benchmarks."""

    requests: int = 0
    throttles: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def sent(self) -> None:
        with self.lock:
            self.requests += 1

    def throttled(self) -> None:
        with self.lock:
            self.throttles += 1


class Limits:
    """Every limit of one collection, made as scopes are first used; ``cap`` is ``--max-rps``."""

    def __init__(self, cap: float | None = None, clock: Callable[[], float] = time.monotonic):
        self.cap = RateLimiter(cap, clock) if cap else None
        self.counters = Counters()
        self._clock = clock
        self._lock = threading.Lock()
        self._scopes: dict[tuple[str, ...], ScopeLimit] = {}

    def _scope(self, key: tuple[str, ...], rule: Rule) -> ScopeLimit:
        with self._lock:
            found = self._scopes.get(key)
            if found is None:
                found = self._scopes[key] = ScopeLimit(rule, self._clock)
            return found

    def gates(self, account: str, region: str, service: str, operation: str) -> list[Gate]:
        """The limits one request passes, widest first (always in this order, so never a deadlock)."""
        out: list[Gate] = [self.cap] if self.cap else []
        rule = SERVICE_RULES.get(service, DEFAULT_RULE)
        if service in PER_ACTION:
            out.append(self._scope((account, region, service, operation), rule))
        else:
            out.append(self._scope((account, region, service), rule))
        own = OPERATION_RULES.get((service, operation))
        if own is not None:
            out.append(self._scope((account, region, service, operation), own))
        return out

    def forget(self, account: str) -> None:
        """Drop an account's scopes once its work is done (memory stays bounded by concurrency)."""
        with self._lock:
            for key in [k for k in self._scopes if k[0] == account]:
                del self._scopes[key]


def throttle_code(parsed: Any) -> bool:
    if not isinstance(parsed, dict):
        return False
    return str((parsed.get("Error") or {}).get("Code", "")) in THROTTLE_CODES
