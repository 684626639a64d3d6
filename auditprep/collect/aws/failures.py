"""How a failed AWS call is told apart: denied, throttled, unsupported, unreachable; and request ids.

A failed call becomes an ``ApiFailure`` that says which IAM action it needed and which
``CallStatus`` it maps to; collectors turn it into recorded evidence, never into silence.
"""

from __future__ import annotations

from typing import Any

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
from auditprep.collect.aws.ratelimit import THROTTLE_CODES
from auditprep.models import CallStatus

_DENIED = {
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "UnauthorizedException",
    "AuthorizationError",
    "AuthorizationErrorException",
    "Forbidden",
}
_THROTTLED = THROTTLE_CODES


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
