"""AWS test infrastructure: a real moto server over HTTP, sessions that record every operation sent,
a partial Stubber for the few operations moto lacks, and a local fault-injecting proxy.

moto runs in server mode in this process (``ThreadedMotoServer``) for the whole session; every
test starts from an empty server (``POST /moto-api/reset``). Requests go through botocore over
real HTTP, so retries, pagination and error parsing are the real ones.
"""

from __future__ import annotations

import http.client
import json
import logging
import random
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import boto3
import botocore.retries.standard
import pytest
from botocore.stub import Stubber

from .trail_proxy import TrailProxy
from .world import R1

moto_server = pytest.importorskip("moto.server", reason="moto[server] is not installed (pip install -e .[test])")


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    # werkzeug logs every request at INFO, and pytest keeps each record: thousands per test, for nothing
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def trail(moto_endpoint: str) -> Iterator[TrailProxy]:
    """moto behind a proxy that keeps CloudTrail event history (moto lacks LookupEvents; see trail_proxy)."""
    with TrailProxy(moto_endpoint) as proxy:
        yield proxy


@pytest.fixture
def aws(trail: TrailProxy, monkeypatch: pytest.MonkeyPatch, tmp_path) -> str:
    """An empty moto server (with CloudTrail event history) reached through the standard AWS environment variables."""
    moto_endpoint = trail.url
    _post(moto_endpoint, "/moto-api/reset")  # through the proxy to moto
    trail.events.clear()
    for var in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_ROLE_ARN"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", R1)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    return moto_endpoint


@pytest.fixture(autouse=True)
def short_retry_sleeps(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep botocore's real retry logic but make its back-off sleeps a few milliseconds."""
    monkeypatch.setattr(botocore.retries.standard.ExponentialBackoff, "delay_amount", lambda self, ctx: 0.01)


def _post(endpoint: str, path: str, body: Any = None) -> None:
    parts = urlsplit(endpoint)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    conn.request("POST", path, body=json.dumps(body) if body is not None else None)
    resp = conn.getresponse()
    resp.read()
    assert resp.status in (200, 201), f"{path} answered {resp.status}"


@pytest.fixture
def moto_api(aws: str):
    """POST to moto's control API (e.g. to queue Inspector findings or ECR scan results)."""
    return lambda path, body: _post(aws, path, body)


class PartialStubber(Stubber):
    """A Stubber that answers only the named operations and lets every other call reach moto.

    Used only where moto lacks an operation (each test that uses it says which).
    """

    def __init__(self, client: Any, operations: set[str]):
        super().__init__(client)
        self.only = operations

    def _assert_expected_params(self, model: Any, params: Any, context: Any, **kwargs: Any) -> None:
        if model.name in self.only:
            super()._assert_expected_params(model, params, context, **kwargs)

    def _get_response_handler(self, model: Any, params: Any, context: Any, **kwargs: Any) -> Any:
        if model.name in self.only:
            return super()._get_response_handler(model, params, context, **kwargs)
        return None


class Sessions:
    """A session factory that records every operation sent and can stub chosen operations."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []
        self.made: list[boto3.session.Session] = []
        self.lock = threading.Lock()
        # (service, region) -> list of (operation, response) queued on the next client made
        self.stubs: dict[tuple[str, str], list[tuple[str, dict[str, Any]]]] = {}
        self.stubbers: list[PartialStubber] = []

    def stub(self, service: str, region: str, operation: str, response: dict[str, Any]) -> None:
        self.stubs.setdefault((service, region), []).append((operation, response))

    def _record(self, model: Any, **_: Any) -> None:
        with self.lock:
            self.calls.append((model.service_model.service_name, model.name))

    def __call__(self, profile: str | None) -> boto3.session.Session:
        session = boto3.session.Session(profile_name=profile)
        self.made.append(session)
        # before-parameter-build fires for every call, stubbed or sent
        session.events.register("before-parameter-build", self._record)
        original = session.client

        def client(service: str, *args: Any, **kwargs: Any) -> Any:
            made = original(service, *args, **kwargs)
            queued = self.stubs.get((service, kwargs.get("region_name", "")))
            if queued:
                stubber = PartialStubber(made, {op for op, _ in queued})
                for op, response in queued:
                    stubber.add_response(_snake(op), response)
                stubber.activate()
                self.stubbers.append(stubber)
            return made

        session.client = client  # type: ignore[method-assign]
        return session


def _snake(op: str) -> str:
    from botocore import xform_name

    return xform_name(op)


@pytest.fixture
def sessions() -> Sessions:
    return Sessions()


# --- a local fault-injecting proxy in front of moto ------------------------------------------------


class FaultProxy:
    """Forwards requests to moto, except that chosen operations answer AccessDenied or throttle.

    ``deny``: operations (``X-Amz-Target`` suffix or query ``Action``) always denied.
    ``throttle``: operation -> how many times to answer ThrottlingException before passing through.
    """

    def __init__(self, upstream: str):
        self.upstream = urlsplit(upstream)
        self.deny: set[str] = set()
        self.throttle: dict[str, int] = {}
        self.seen: list[str] = []
        self.arrivals: list[float] = []  # monotonic time each request was logged here
        # (time, access key id, region, signing service, operation) of every request, from its signature
        self.scoped: list[tuple[float, str, str, str, str]] = []
        # up to this many seconds of random delay before a request is logged: the scheduling and
        # network delays that move arrivals closer together than the client spaced them
        self.jitter = 0.0
        self.answered_errors = 0
        self.error_ids: list[str] = []  # the request id of every error answered, in order
        self._random = random.Random(7)
        self.lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                return None

            def do_POST(self) -> None:
                proxy._handle(self, "POST")

            def do_GET(self) -> None:
                proxy._handle(self, "GET")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def _handle(self, req: BaseHTTPRequestHandler, method: str) -> None:
        body = req.rfile.read(int(req.headers.get("Content-Length") or 0))
        target = req.headers.get("X-Amz-Target", "")
        op = target.rsplit(".", 1)[-1] if target else (parse_qs(body.decode(errors="replace")).get("Action") or [""])[0]
        if self.jitter:
            with self.lock:
                delay = self._random.uniform(0, self.jitter)
            time.sleep(delay)
        cred = req.headers.get("Authorization", "").partition("Credential=")[2].split(",")[0].split("/")
        with self.lock:
            self.seen.append(op)
            self.arrivals.append(time.monotonic())
            if len(cred) >= 4:
                self.scoped.append((self.arrivals[-1], cred[0], cred[2], cred[3], op))
            throttle_left = self.throttle.get(op, 0)
            if throttle_left:
                self.throttle[op] = throttle_left - 1
        if op in self.deny:
            return self._error(
                req,
                target,
                400,
                "AccessDeniedException",
                f"User: arn:aws:iam::123456789012:user/auditor is not authorized to perform: {op}",
            )
        if throttle_left:
            return self._error(req, target, 400, "ThrottlingException", "Rate exceeded")
        conn = http.client.HTTPConnection(self.upstream.hostname, self.upstream.port, timeout=30)
        headers = {k: v for k, v in req.headers.items() if k.lower() not in ("host", "content-length")}
        conn.request(method, req.path, body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        req.send_response(resp.status)
        for k, v in resp.getheaders():
            if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                req.send_header(k, v)
        req.send_header("Content-Length", str(len(data)))
        req.end_headers()
        req.wfile.write(data)

    def _error(self, req: BaseHTTPRequestHandler, target: str, status: int, code: str, message: str) -> None:
        # AWS names every answer, errors included, with a request id (header for JSON, body for XML)
        with self.lock:
            self.answered_errors += 1
            rid = f"fault-{self.answered_errors:04d}-{code}"
        self.error_ids.append(rid)
        if target:
            data = json.dumps({"__type": code, "message": message}).encode()
            ctype = "application/x-amz-json-1.1"
        else:
            data = (
                f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message>"
                f"</Error><RequestId>{rid}</RequestId></ErrorResponse>"
            ).encode()
            ctype = "text/xml"
        req.send_response(status)
        req.send_header("Content-Type", ctype)
        req.send_header("x-amzn-ErrorType", code)
        req.send_header("x-amzn-RequestId", rid)
        req.send_header("Content-Length", str(len(data)))
        req.end_headers()
        req.wfile.write(data)


@pytest.fixture
def fault_proxy(aws: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[FaultProxy]:
    proxy = FaultProxy(aws)
    proxy.thread.start()
    monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.url)
    yield proxy
    proxy.server.shutdown()
    proxy.server.server_close()
