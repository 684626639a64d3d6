"""TLS checks: load balancer listener policies judged by the protocols they really allow, plain
HTTP listeners that do not redirect, and ACM certificate expiry."""

from __future__ import annotations

from collections.abc import Iterator

from auditprep.checks.aws._common import age_days, failed, parse_time, passed, unknown, warned, where
from auditprep.checks.engine import EvidenceView, Result, check
from auditprep.models import Evidence

LISTENER = "aws.elbv2.listener"
SSL_POLICY = "aws.elbv2.ssl_policy"
CERTIFICATE = "aws.acm.certificate"
OLD_PROTOCOLS = {"SSLv3", "TLSv1", "TLSv1.1"}
EXPIRY_WARNING_DAYS = 30


def _listener(ev: Evidence) -> str:
    lb = (ev.data.get("auditprep_derived") or {}).get("load_balancer") or {}
    scheme = lb.get("Scheme") or "unknown scheme"
    return (
        f"Listener {ev.data.get('Protocol')}:{ev.data.get('Port')} of load balancer {lb.get('LoadBalancerName')} "
        f"({scheme}) {where(ev.scope)}"
    )


@check("aws.elb.tls_policy", requires=[LISTENER, SSL_POLICY], absent="no HTTPS or TLS listener exists here")
def tls_policy(view: EvidenceView) -> Iterator[Result]:
    for ev in view.items(LISTENER):
        if ev.data.get("Protocol") not in ("HTTPS", "TLS"):
            continue
        name = ev.data.get("SslPolicy")
        policy = next((p for p in view.items(SSL_POLICY, ev.scope) if p.resource == name), None)
        if policy is None:
            yield unknown(ev, f"{_listener(ev)} uses policy {name}, whose protocols were not returned.")
            continue
        protocols = policy.data.get("SslProtocols") or []
        old = sorted(OLD_PROTOCOLS & set(protocols))
        if old:
            yield failed(ev, f"{_listener(ev)} uses policy {name}, which still accepts {', '.join(old)}.")
        else:
            yield passed(ev, f"{_listener(ev)} uses policy {name}, which accepts only {', '.join(protocols)}.")


@check("aws.elb.http_redirect", requires=[LISTENER], absent="no plain HTTP listener exists here")
def http_redirect(view: EvidenceView) -> Iterator[Result]:
    for ev in view.items(LISTENER):
        if ev.data.get("Protocol") != "HTTP":
            continue
        actions = ev.data.get("DefaultActions") or []
        redirect = next((a for a in actions if a.get("Type") == "redirect"), None)
        target = ((redirect or {}).get("RedirectConfig") or {}).get("Protocol")
        if target == "HTTPS":
            yield passed(ev, f"{_listener(ev)} only redirects clients to HTTPS.")
        else:
            yield failed(ev, f"{_listener(ev)} serves traffic over plain HTTP without redirecting to HTTPS.")


@check("aws.acm.expiry", requires=[CERTIFICATE], absent="no ACM certificate exists here")
def acm_expiry(view: EvidenceView) -> Iterator[Result]:
    for ev in view.items(CERTIFICATE):
        not_after = parse_time(ev.data.get("NotAfter"))
        if not_after is None:
            continue  # pending validation, failed or revoked: no validity window to judge
        used = "in use" if ev.data.get("InUse") else "not in use"
        label = (
            f"Certificate {ev.resource_name} ({used}, {ev.data.get('Type', 'unknown type').lower()}) {where(ev.scope)}"
        )
        left = -(age_days(ev, ev.data.get("NotAfter")) or 0)
        if ev.data.get("Status") == "EXPIRED" or not_after <= ev.collected_at:
            yield failed(ev, f"{label} expired on {not_after.date().isoformat()}.")
        elif left <= EXPIRY_WARNING_DAYS:
            yield warned(ev, f"{label} expires in {left} days, on {not_after.date().isoformat()}.")
        else:
            yield passed(ev, f"{label} is valid until {not_after.date().isoformat()}.")
