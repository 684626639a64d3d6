"""Swarm evidence from a manager: the cluster (without join tokens), nodes, services and secrets.

The cluster settings come from the node's own ``/info`` (its ``Swarm.Cluster`` block), which
never includes join tokens, so they are not even fetched; ``/swarm`` is only read when that
block is missing. A worker cannot see swarm-wide settings, which is recorded as a gap.
"""

from __future__ import annotations

from datetime import UTC
from typing import TYPE_CHECKING, Any

from cryptography import x509

from auditprep.collect.docker import redaction
from auditprep.collect.docker.calls import CALL_ERRORS, OP, SWARM_KINDS, call_message, call_status, traced
from auditprep.models import CallStatus

if TYPE_CHECKING:
    from auditprep.collect.docker.host import HostCollection


def _trust_root_expiry(pem: Any) -> str | None:
    if not isinstance(pem, str) or "BEGIN CERTIFICATE" not in pem:
        return None
    try:
        cert = x509.load_pem_x509_certificate(pem.encode())
    except ValueError:
        return None
    return cert.not_valid_after_utc.astimezone(UTC).isoformat()


def collect_swarm(host: HostCollection, info: dict[str, Any]) -> None:
    """The swarm as this node sees it: everything from a manager, a recorded gap from a worker."""
    node = info.get("Swarm") or {}
    state = node.get("LocalNodeState") or "inactive"
    if state != "active":
        for kind in SWARM_KINDS:
            host.rec.attempt(
                kind, OP[kind], host.scope, count=0, message=f"swarm mode is not active on this host ({state})"
            )
        return
    if not node.get("ControlAvailable"):
        for kind in SWARM_KINDS:
            host.gap(
                kind,
                CallStatus.NOT_ENABLED,
                "this host is a swarm worker; swarm-wide settings can only be read from a manager, "
                "so collect from a manager too",
            )
        return
    cluster = node.get("Cluster")
    paths = tuple(p for p in host.info_paths if p.split("?")[0].endswith("/info"))  # where the block came from
    if not isinstance(cluster, dict) or not cluster.get("ID"):
        try:
            cluster, paths = traced(host.api.inspect_swarm)
        except CALL_ERRORS as exc:
            host.gap("docker.swarm", call_status(exc), f"reading the swarm failed: {call_message(exc)}")
            cluster = None
    if cluster:
        data, redactions = redaction.swarm(cluster)
        summary = {k: v for k, v in node.items() if k != "Cluster"}
        derived = {"TrustRootNotAfter": _trust_root_expiry((cluster.get("TLSInfo") or {}).get("TrustRoot"))}
        host.rec.attempt("docker.swarm", "SystemInfo", host.scope, count=1, api_paths=paths)
        host.rec.item(
            "docker.swarm",
            "SystemInfo (Swarm.Cluster)",
            host.scope,
            cluster.get("ID", ""),
            {"Cluster": data, "Node": summary, "Derived": derived},
            name=(cluster.get("Spec") or {}).get("Name", ""),
            redactions=redactions,
            api_paths=paths,
        )
    for kind, call, shape, name_of in (
        (
            "docker.swarm_node",
            host.api.nodes,
            lambda n: redaction.labelled(n, ("Spec", "Labels")),
            lambda n: (n.get("Description") or {}).get("Hostname", ""),
        ),
        ("docker.swarm_service", host.api.services, redaction.service, lambda s: s["Spec"].get("Name", "")),
        ("docker.secret", host.api.secrets, redaction.secret, lambda s: s["Spec"].get("Name", "")),
    ):
        found, list_paths = host._list(kind, call)
        if found is None:
            continue
        for obj in found:
            data, redactions = shape(obj)
            host.rec.item(
                kind,
                OP[kind],
                host.scope,
                obj.get("ID", ""),
                data,
                name=name_of(obj),
                redactions=redactions,
                api_paths=list_paths,
            )
        host.rec.attempt(kind, OP[kind], host.scope, count=len(found), api_paths=list_paths)
