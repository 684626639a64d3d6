"""TLS checks: load balancer listener policies judged by the protocols they really allow, plain
HTTP listeners that do not redirect, and ACM certificate expiry."""

from __future__ import annotations

from collections.abc import Iterator

from auditprep.checks.aws._common import age_days, failed, names, parse_time, passed, unknown, warned, where
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
        if not protocols:
            yield unknown(ev, f"{_listener(ev)} uses policy {name}, whose protocols were not returned.")
            continue
        old = sorted(OLD_PROTOCOLS & set(protocols))
        if old:
            yield failed(ev, f"{_listener(ev)} uses policy {name}, which still accepts {', '.join(old)}.")
        else:
            yield passed(ev, f"{_listener(ev)} uses policy {name}, which accepts only {', '.join(protocols)}.")


def _to_https(actions: list[dict]) -> bool:
    """Whether a list of actions ends in a redirect to HTTPS (authentication steps may come first)."""
    final = [a for a in actions if not str(a.get("Type", "")).startswith("authenticate")]
    return bool(final) and all(
        a.get("Type") == "redirect" and (a.get("RedirectConfig") or {}).get("Protocol") == "HTTPS" for a in final
    )


def _rule_name(rule: dict) -> str:
    conditions = []
    for c in rule.get("Conditions") or []:
        values = c.get("Values") or [
            v
            for key, cfg in c.items()
            if key.endswith("Config") and isinstance(cfg, dict)
            for v in cfg.get("Values") or []
        ]
        conditions.append(f"{c.get('Field')} {', '.join(str(v) for v in values)}".strip())
    what = f" ({'; '.join(conditions)})" if conditions else ""
    return f"rule {rule.get('Priority', '?')}{what}"


@check("aws.elb.http_redirect", requires=[LISTENER], absent="no plain HTTP listener exists here")
def http_redirect(view: EvidenceView) -> Iterator[Result]:
    for ev in view.items(LISTENER):
        if ev.data.get("Protocol") != "HTTP":
            continue
        if "DefaultActions" not in ev.data or "Rules" not in ev.data:
            yield unknown(ev, f"{_listener(ev)}: its default action or its rules were not read.")
            continue
        plain = []
        if not _to_https(ev.data.get("DefaultActions") or []):
            plain.append("its default action")
        plain.extend(
            _rule_name(r) for r in ev.data["Rules"] if not r.get("IsDefault") and not _to_https(r.get("Actions") or [])
        )
        if plain:
            yield failed(
                ev, f"{_listener(ev)} serves traffic over plain HTTP without redirecting to HTTPS: {names(plain)}."
            )
        else:
            rules = sum(1 for r in ev.data["Rules"] if not r.get("IsDefault"))
            also = f" (its default action and {rules} rule(s))" if rules else ""
            yield passed(ev, f"{_listener(ev)} only redirects clients to HTTPS{also}.")


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
