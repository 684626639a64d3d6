"""CloudTrail event history for moto: a local proxy that records container write calls as events.

moto 5 does not implement ``cloudtrail:LookupEvents`` (its server answers it with an error), and its
AWS Config models no ECS resource type. What real CloudTrail does for management events is simple
to model faithfully for the calls a test makes: every successful ECS, ECR or EKS write that passes
through this proxy to moto is recorded as the event CloudTrail would keep (event name and source,
time, region, the request parameters and the response elements, exactly as sent and answered),
and ``LookupEvents`` is answered from that record with CloudTrail's own filters (one lookup
attribute, start and end time, newest first, pages with a NextToken). Everything else reaches moto
unchanged. Event times come from ``clock``, so a test or the demo recorder can spread its estate's
history over weeks. ``deny`` makes chosen operations answer AccessDenied, as a role without
``cloudtrail:LookupEvents`` or ``config:*`` gets.

Not modelled: events of services other than ECS, ECR and EKS; read-only events; CloudTrail's
delivery delay (events are visible at once); the 90-day expiry (tests stay within it).
"""

from __future__ import annotations

import http.client
import json
import re
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

ACCOUNT = "123456789012"
_SOURCES = {
    "AmazonEC2ContainerServiceV20141113": "ecs.amazonaws.com",
    "AmazonEC2ContainerRegistry_V20150921": "ecr.amazonaws.com",
}
_EKS_PATHS = (
    ("POST", re.compile(r"^/clusters$"), "CreateCluster"),
    ("POST", re.compile(r"^/clusters/[^/]+/node-groups$"), "CreateNodegroup"),
    ("POST", re.compile(r"^/clusters/[^/]+/update-config$"), "UpdateClusterConfig"),
    ("POST", re.compile(r"^/clusters/[^/]+/updates$"), "UpdateClusterVersion"),
    ("DELETE", re.compile(r"^/clusters/[^/]+$"), "DeleteCluster"),
)
_REGION = re.compile(r"Credential=([^/]+)/\d+/([a-z0-9-]+)/")
_ASSUMED = re.compile(rb"<AccessKeyId>([^<]+)</AccessKeyId>.*?<Arn>arn:aws:sts::(\d{12}):", re.S)


class TrailProxy:
    def __init__(self, upstream: str, clock: Callable[[], datetime] | None = None, account: str = ACCOUNT):
        self.upstream = urlsplit(upstream)
        self.clock = clock or (lambda: datetime.now(UTC))
        self.account = account
        self.events: list[dict[str, Any]] = []
        self.accounts: dict[str, str] = {}  # access key -> account, learned from AssumeRole answers
        self.deny: set[str] = set()
        self.lookups = 0
        self.lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                return None

            def do_POST(self) -> None:
                proxy._handle(self, "POST")

            def do_GET(self) -> None:
                proxy._handle(self, "GET")

            def do_DELETE(self) -> None:
                proxy._handle(self, "DELETE")

            def do_PUT(self) -> None:
                proxy._handle(self, "PUT")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> TrailProxy:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    # --- the proxy ------------------------------------------------------------------------------

    def _handle(self, req: BaseHTTPRequestHandler, method: str) -> None:
        body = req.rfile.read(int(req.headers.get("Content-Length") or 0))
        target = req.headers.get("X-Amz-Target", "")
        prefix, _, op = target.rpartition(".")
        region_m = _REGION.search(req.headers.get("Authorization", ""))
        key, region = (region_m.group(1), region_m.group(2)) if region_m else ("", "us-east-1")
        account = self.accounts.get(key, self.account)
        if op and op in self.deny:
            return self._send(
                req,
                400,
                {"__type": "AccessDeniedException", "message": f"User is not authorized to perform: {op}"},
                error="AccessDeniedException",
            )
        if op == "LookupEvents":
            return self._send(req, 200, self._lookup(json.loads(body or b"{}"), region, account))
        status, headers, data = self._forward(req, method, body)
        if b"AssumeRoleResult" in data:  # credentials of another account: its events are its own
            for found_key, found_account in _ASSUMED.findall(data):
                self.accounts[found_key.decode()] = found_account.decode()
        source = _SOURCES.get(prefix.split(".")[-1]) if prefix else None
        name = op
        if source is None and method in ("POST", "DELETE") and "/eks/" in req.headers.get("Authorization", ""):
            path = urlsplit(req.path).path
            name = next((n for m, rx, n in _EKS_PATHS if m == method and rx.match(path)), "")
            source = "eks.amazonaws.com" if name else None
        if source and status == 200 and not _read_only(name):
            self._record(name, source, region, account, body, data)
        req.send_response(status)
        for k, v in headers:
            if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                req.send_header(k, v)
        req.send_header("Content-Length", str(len(data)))
        req.end_headers()
        req.wfile.write(data)

    def _forward(self, req: BaseHTTPRequestHandler, method: str, body: bytes) -> tuple[int, list, bytes]:
        conn = http.client.HTTPConnection(self.upstream.hostname, self.upstream.port, timeout=60)
        headers = {k: v for k, v in req.headers.items() if k.lower() not in ("host", "content-length")}
        conn.request(method, req.path, body=body, headers=headers)
        resp = conn.getresponse()
        return resp.status, resp.getheaders(), resp.read()

    def _send(self, req: BaseHTTPRequestHandler, status: int, payload: dict[str, Any], error: str = "") -> None:
        data = json.dumps(payload).encode()
        req.send_response(status)
        req.send_header("Content-Type", "application/x-amz-json-1.1")
        req.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        if error:
            req.send_header("x-amzn-ErrorType", error)
        req.send_header("Content-Length", str(len(data)))
        req.end_headers()
        req.wfile.write(data)

    # --- CloudTrail -----------------------------------------------------------------------------

    def _record(self, name: str, source: str, region: str, account: str, body: bytes, answer: bytes) -> None:
        at = self.clock()
        try:
            params = json.loads(body or b"{}")
        except ValueError:
            params = {}
        try:
            response = json.loads(answer or b"{}")
        except ValueError:
            response = {}
        event_id = str(uuid.uuid4())
        detail = {
            "eventVersion": "1.09",
            "userIdentity": {"type": "IAMUser", "accountId": account, "userName": "deployer"},
            "eventTime": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "eventSource": source,
            "eventName": name,
            "awsRegion": region,
            "requestParameters": params,
            "responseElements": response,
            "eventID": event_id,
            "readOnly": False,
            "eventType": "AwsApiCall",
            "managementEvent": True,
            "recipientAccountId": account,
        }
        with self.lock:
            self.events.append({"region": region, "account": account, "at": at, "detail": detail})

    def _lookup(self, request: dict[str, Any], region: str, account: str) -> dict[str, Any]:
        with self.lock:
            self.lookups += 1
            events = [e for e in self.events if e["region"] == region and e["account"] == account]
        attrs = request.get("LookupAttributes") or []
        start = request.get("StartTime")
        end = request.get("EndTime")
        out = []
        for e in sorted(events, key=lambda e: e["at"], reverse=True):
            d = e["detail"]
            ts = e["at"].timestamp()
            if start is not None and ts < float(start):
                continue
            if end is not None and ts > float(end):
                continue
            if attrs and not all(_matches(a, d) for a in attrs):
                continue
            out.append(
                {
                    "EventId": d["eventID"],
                    "EventName": d["eventName"],
                    "ReadOnly": "false",
                    "EventTime": ts,
                    "EventSource": d["eventSource"],
                    "Username": d["userIdentity"]["userName"],
                    "Resources": [],
                    "CloudTrailEvent": json.dumps(d),
                }
            )
        first = int(request.get("NextToken") or 0)
        size = min(int(request.get("MaxResults") or 50), 50)
        page = out[first : first + size]
        answer: dict[str, Any] = {"Events": page}
        if first + size < len(out):
            answer["NextToken"] = str(first + size)
        return answer


def _read_only(name: str) -> bool:
    return name.startswith(("Describe", "List", "Get", "BatchGet", "BatchCheck"))


def _matches(attr: dict[str, str], detail: dict[str, Any]) -> bool:
    key, value = attr.get("AttributeKey"), attr.get("AttributeValue")
    if key == "EventName":
        return bool(detail["eventName"] == value)
    if key == "EventSource":
        return bool(detail["eventSource"] == value)
    if key == "EventId":
        return bool(detail["eventID"] == value)
    if key == "ReadOnly":
        return value == "false"
    return False
