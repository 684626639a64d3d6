"""Checks on Docker Swarm (CIS Docker Benchmark v1.6.0, section 7), read from a manager."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from auditprep.checks.docker.common import (
    FAIL,
    PASS,
    WARN,
    get,
    host,
    join,
    not_shown,
    parse_time,
    result,
    short,
    unseen,
    unseen_env,
)
from auditprep.checks.docker.operations import env_entries
from auditprep.checks.engine import EvidenceView, Result, check
from auditprep.models import Evidence

ABSENT = "swarm mode is not active on the host"
CA_FAIL = timedelta(days=30)
CA_WARN = timedelta(days=90)
NODE_CERT_MAX = timedelta(days=90)


def _swarm(ev: Evidence) -> str:
    cluster = get(ev.data, "Cluster", default={}) or {}
    return f"The swarm {short(str(cluster.get('ID', ev.resource)))} managed from {host(ev)}"


@check("docker.swarm.managers", requires=["docker.swarm"], absent=ABSENT)
def managers(view: EvidenceView) -> Iterator[Result]:
    for ev in view.items("docker.swarm"):
        count = int(get(ev.data, "Node", "Managers", default=0) or 0)
        unreachable = [
            str(get(n.data, "Description", "Hostname", default=n.resource))
            for n in view.items("docker.swarm_node", ev.scope)
            if get(n.data, "Spec", "Role") == "manager"
            and get(n.data, "ManagerStatus", "Reachability", default="reachable") != "reachable"
        ]
        down = f" Unreachable managers: {join(unreachable)}." if unreachable else ""
        if count % 2 == 0:
            yield result(
                FAIL,
                ev,
                f"{_swarm(ev)} has {count} managers: an even number tolerates no more failures than one fewer, and a split "
                f"can lose quorum; run an odd number (3 or 5).{down}",
            )
        elif count == 1:
            yield result(
                WARN,
                ev,
                f"{_swarm(ev)} has a single manager: losing it loses control of the swarm; production swarms run 3 or 5.{down}",
            )
        elif count > 7:
            yield result(
                WARN, ev, f"{_swarm(ev)} has {count} managers; more than 7 slows consensus without adding safety.{down}"
            )
        elif unreachable:
            yield result(WARN, ev, f"{_swarm(ev)} has {count} managers, but not all are reachable.{down}")
        else:
            yield result(
                PASS, ev, f"{_swarm(ev)} has {count} managers, an odd number that keeps quorum through failures."
            )


@check("docker.swarm.autolock", requires=["docker.swarm"], absent=ABSENT)
def autolock(view: EvidenceView) -> Iterator[Result]:
    for ev in view.items("docker.swarm"):
        if get(ev.data, "Cluster", "Spec", "EncryptionConfig", "AutoLockManagers"):
            yield result(
                PASS,
                ev,
                f"{_swarm(ev)} has autolock on: a restarted manager needs the unlock key before it can decrypt the swarm's "
                "state and secrets (rotate the key periodically).",
            )
        else:
            yield result(
                FAIL,
                ev,
                f"{_swarm(ev)} has autolock off: the keys that decrypt the swarm's state and secrets sit on each manager's "
                "disk, so a stolen disk or backup exposes them.",
            )


@check("docker.swarm.overlay_encrypted", requires=["docker.network"], absent="no overlay networks on the host")
def overlay_encrypted(view: EvidenceView) -> Iterator[Result]:
    for ev in view.items("docker.network"):
        if get(ev.data, "Driver") != "overlay":
            continue
        name = get(ev.data, "Name", default=ev.resource_name)
        what = f"The overlay network {name} ({short(ev.resource)}) on {host(ev)}"
        ingress = (
            " It is the routing-mesh ingress network, which carries published service traffic."
            if get(ev.data, "Ingress")
            else ""
        )
        if "encrypted" in (get(ev.data, "Options", default={}) or {}):
            yield result(PASS, ev, f"{what} encrypts traffic between nodes (IPsec).{ingress}")
        else:
            yield result(
                FAIL,
                ev,
                f"{what} sends container traffic between nodes unencrypted; the swarm's own TLS covers only its control "
                f"plane. Create it with the 'encrypted' option.{ingress}",
            )


@check("docker.swarm.ca_expiry", requires=["docker.swarm"], absent=ABSENT)
def ca_expiry(view: EvidenceView) -> Iterator[Result]:
    for ev in view.items("docker.swarm"):
        not_after = parse_time(get(ev.data, "Derived", "TrustRootNotAfter"))
        node_expiry_ns = int(get(ev.data, "Cluster", "Spec", "CAConfig", "NodeCertExpiry", default=0) or 0)
        node_days = node_expiry_ns // (24 * 3600 * 10**9) if node_expiry_ns else 90
        external = get(ev.data, "Cluster", "Spec", "CAConfig", "ExternalCAs", default=[]) or []
        ca_kind = "an external CA" if external else "the swarm's own root CA"
        if not_after is None:
            yield result(
                WARN, ev, f"{_swarm(ev)} did not expose a readable root CA certificate, so its expiry is unknown."
            )
            continue
        left = not_after - ev.collected_at
        until = f"{not_after.date().isoformat()} ({left.days} days after collection)"
        node_note = f" Node certificates are renewed every {node_days} days."
        if left <= CA_FAIL:
            state = "expired on" if left.total_seconds() < 0 else "expires on"
            yield result(
                FAIL,
                ev,
                f"{_swarm(ev)} uses {ca_kind}, whose certificate {state} {not_after.date().isoformat()}; rotate it now "
                f"('docker swarm ca --rotate') or nodes will stop trusting each other.{node_note}",
            )
        elif left <= CA_WARN:
            yield result(WARN, ev, f"{_swarm(ev)} uses {ca_kind}, valid until {until}; plan its rotation.{node_note}")
        elif node_days > NODE_CERT_MAX.days:
            yield result(
                WARN,
                ev,
                f"{_swarm(ev)} uses {ca_kind}, valid until {until}, but node certificates live {node_days} days; renew them "
                f"at least every {NODE_CERT_MAX.days} days.",
            )
        else:
            yield result(PASS, ev, f"{_swarm(ev)} uses {ca_kind}, valid until {until}.{node_note}")


@check("docker.swarm.secrets_used", requires=["docker.swarm_service"], absent="no swarm services on the host")
def secrets_used(view: EvidenceView) -> Iterator[Result]:
    for ev in view.items("docker.swarm_service"):
        if missing := unseen(ev.data, ("Spec", "TaskTemplate", "ContainerSpec")):
            yield not_shown(ev, f"The swarm service {short(ev.resource)} on {host(ev)}", missing)
            continue
        spec = get(ev.data, "Spec", "TaskTemplate", "ContainerSpec", default={}) or {}
        if unseen_env(spec.get("Env")):
            yield not_shown(
                ev,
                f"The swarm service {short(ev.resource)} on {host(ev)}",
                "whether each environment variable name looks secret",
            )
            continue
        names = [n for n, secret in env_entries(spec.get("Env")) if secret]
        secrets = [str(s.get("SecretName", "?")) for s in spec.get("Secrets") or [] if isinstance(s, dict)]
        name = get(ev.data, "Spec", "Name", default=ev.resource_name)
        what = f"The swarm service {name} ({short(ev.resource)}) on {host(ev)}"
        if names:
            also = f" It does use the swarm secret(s) {join(secrets)} for other values." if secrets else ""
            yield result(
                FAIL,
                ev,
                f"{what} passes secret-looking environment variables ({join(names)}) instead of swarm secrets; their values "
                f"are visible to anyone who can inspect the service (they were not collected).{also}",
            )
        elif secrets:
            yield result(PASS, ev, f"{what} receives its secrets as swarm secrets ({join(secrets)}).")
        else:
            yield result(PASS, ev, f"{what} has no secret-looking environment variables and uses no swarm secrets.")
