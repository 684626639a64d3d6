"""ECS checks: task definition hardening, services and clusters.

Task definitions judged are those a service runs plus the latest revision of each family (the
next one likely to be deployed); each message says which it is.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from auditprep.checks.aws._common import failed, names, passed, short, unknown, warned, where
from auditprep.checks.engine import EvidenceView, Result, check
from auditprep.models import Evidence

TD = "aws.ecs.task_definition"
SERVICE = "aws.ecs.service"
CLUSTER = "aws.ecs.cluster"
NO_TD = "no task definition is in use or active"

# Capabilities that give a container power over the host or other containers.
RISKY_CAPABILITIES = {
    "ALL",
    "SYS_ADMIN",
    "NET_ADMIN",
    "SYS_PTRACE",
    "SYS_MODULE",
    "SYS_RAWIO",
    "SYS_BOOT",
    "SYS_TIME",
    "DAC_READ_SEARCH",
    "BPF",
    "PERFMON",
    "MAC_ADMIN",
    "MAC_OVERRIDE",
    "SYSLOG",
    "LINUX_IMMUTABLE",
}
# Current Fargate platform versions; "LATEST" always resolves to these.
LATEST_FARGATE = {"LINUX": "1.4.0", "WINDOWS_SERVER": "1.0.0"}


def _label(ev: Evidence) -> str:
    derived = ev.data.get("auditprep_derived", {})
    services = derived.get("in_use_by_services", [])
    if services:
        use = f"used by service {names(short(s) for s in services)}"
    else:
        use = "the latest revision of its family, not used by any service"
    return f"Task definition {ev.resource_name} ({use}) {where(ev.scope)}"


def _containers(ev: Evidence) -> list[dict[str, Any]]:
    return list(ev.data.get("containerDefinitions") or [])


def _task_definitions(view: EvidenceView) -> Iterator[Evidence]:
    """Task definitions whose containers were shown; the others are reported not evaluated by ``_unseen``."""
    for ev in view.items(TD):
        if _containers(ev):
            yield ev


def _unseen(view: EvidenceView) -> Iterator[Result]:
    for ev in view.items(TD):
        if not _containers(ev):
            yield unknown(ev, f"{_label(ev)}: its container definitions were not shown.")


@check("aws.ecs.task_privileged", requires=[TD], absent=NO_TD)
def task_privileged(view: EvidenceView) -> Iterator[Result]:
    yield from _unseen(view)
    for ev in _task_definitions(view):
        bad = [c.get("name", "?") for c in _containers(ev) if c.get("privileged") is True]
        if bad:
            yield failed(ev, f"{_label(ev)} runs container {names(bad)} privileged, with full access to the host.")
        else:
            yield passed(ev, f"{_label(ev)} runs no privileged container.")


def _runs_as_root(user: Any) -> bool:
    name = str(user).split(":", 1)[0].strip()
    return name in ("", "root", "0")


@check("aws.ecs.task_nonroot", requires=[TD], absent=NO_TD)
def task_nonroot(view: EvidenceView) -> Iterator[Result]:
    yield from _unseen(view)
    for ev in _task_definitions(view):
        root = [c.get("name", "?") for c in _containers(ev) if c.get("user") and _runs_as_root(c.get("user"))]
        unset = [c.get("name", "?") for c in _containers(ev) if not c.get("user")]
        if root:
            yield failed(ev, f"{_label(ev)} runs container {names(root)} as root (user root or 0).")
        elif unset:
            yield unknown(
                ev,
                f"{_label(ev)} names no user for container {names(unset)}, so each runs as its image's USER, "
                "which the collected evidence does not show: it depends on the image's USER, not shown.",
            )
        else:
            yield passed(ev, f"{_label(ev)} names a non-root user for every container.")


@check("aws.ecs.task_readonly_rootfs", requires=[TD], absent=NO_TD)
def task_readonly_rootfs(view: EvidenceView) -> Iterator[Result]:
    yield from _unseen(view)
    for ev in _task_definitions(view):
        writable = [c.get("name", "?") for c in _containers(ev) if c.get("readonlyRootFilesystem") is not True]
        if writable:
            yield failed(ev, f"{_label(ev)} lets container {names(writable)} write to its root filesystem.")
        else:
            yield passed(ev, f"{_label(ev)} mounts every container's root filesystem read-only.")


@check("aws.ecs.task_host_namespaces", requires=[TD], absent=NO_TD)
def task_host_namespaces(view: EvidenceView) -> Iterator[Result]:
    yield from _unseen(view)
    for ev in _task_definitions(view):
        shared = [
            f"{mode} ({ev.data.get(key)})"
            for key, mode in (("networkMode", "network"), ("pidMode", "process"), ("ipcMode", "IPC"))
            if ev.data.get(key) == "host"
        ]
        if shared:
            yield failed(ev, f"{_label(ev)} shares the host's {', '.join(shared)} namespace with its containers.")
        else:
            yield passed(ev, f"{_label(ev)} shares no network, process or IPC namespace with the host.")


@check("aws.ecs.task_capabilities", requires=[TD], absent=NO_TD)
def task_capabilities(view: EvidenceView) -> Iterator[Result]:
    yield from _unseen(view)
    for ev in _task_definitions(view):
        risky: list[str] = []
        not_dropped: list[str] = []
        for c in _containers(ev):
            caps = ((c.get("linuxParameters") or {}).get("capabilities")) or {}
            added = {str(a).upper().removeprefix("CAP_") for a in caps.get("add") or []}
            dropped = {str(d).upper().removeprefix("CAP_") for d in caps.get("drop") or []}
            for cap in sorted(added & RISKY_CAPABILITIES):
                risky.append(f"{c.get('name', '?')} adds {cap}")
            if "ALL" not in dropped:
                not_dropped.append(c.get("name", "?"))
        if risky:
            yield failed(ev, f"{_label(ev)} grants powerful Linux capabilities: {names(risky)}.")
        elif not_dropped:
            yield warned(
                ev,
                f"{_label(ev)} adds no powerful capability, but container {names(not_dropped)} "
                "keeps the default set instead of dropping ALL.",
            )
        else:
            yield passed(ev, f"{_label(ev)} drops all capabilities and adds back only harmless ones.")


@check("aws.ecs.task_logging", requires=[TD], absent=NO_TD)
def task_logging(view: EvidenceView) -> Iterator[Result]:
    yield from _unseen(view)
    for ev in _task_definitions(view):
        missing = [
            c.get("name", "?") for c in _containers(ev) if not (c.get("logConfiguration") or {}).get("logDriver")
        ]
        if missing:
            yield failed(
                ev,
                f"{_label(ev)} configures no log driver for container {names(missing)}, so its output "
                "is lost when the task stops.",
            )
        else:
            drivers = sorted({c["logConfiguration"]["logDriver"] for c in _containers(ev)})
            yield passed(ev, f"{_label(ev)} ships every container's logs ({', '.join(drivers)}).")


@check("aws.ecs.task_env_secrets", requires=[TD], absent=NO_TD)
def task_env_secrets(view: EvidenceView) -> Iterator[Result]:
    yield from _unseen(view)
    for ev in _task_definitions(view):
        env = [(c, e) for c in _containers(ev) for e in c.get("environment") or []]
        if any("secret_like" not in e for _, e in env):
            yield unknown(ev, f"{_label(ev)}: its environment variable names were not classified.")
            continue
        flagged = [f"{c.get('name', '?')}:{e.get('name')}" for c, e in env if e["secret_like"]]
        refs = sum(len(c.get("secrets") or []) for c in _containers(ev))
        if flagged:
            yield failed(
                ev,
                f"{_label(ev)} passes secret-looking environment variables in plain text: "
                f"{names(flagged)} (values were not collected).",
            )
        else:
            via = f"; {refs} secret(s) are injected by reference" if refs else ""
            yield passed(ev, f"{_label(ev)} has no secret-looking plain-text environment variable{via}.")


def image_pin(image: str) -> tuple[str, str | None]:
    """('digest'|'tag'|'latest', tag) for an image reference."""
    if "@sha256:" in image:
        return "digest", None
    last = image.rsplit("/", 1)[-1]
    tag = last.rsplit(":", 1)[1] if ":" in last else None
    return ("latest", tag) if tag in (None, "latest") else ("tag", tag)


@check("aws.ecs.task_image_digest", requires=[TD], absent=NO_TD)
def task_image_digest(view: EvidenceView) -> Iterator[Result]:
    yield from _unseen(view)
    for ev in _task_definitions(view):
        latest, tagged = [], []
        for c in _containers(ev):
            kind, _ = image_pin(str(c.get("image", "")))
            if kind == "latest":
                latest.append(f"{c.get('name', '?')} ({c.get('image')})")
            elif kind == "tag":
                tagged.append(f"{c.get('name', '?')} ({c.get('image')})")
        if latest:
            yield failed(ev, f"{_label(ev)} runs a floating 'latest' (or untagged) image: {names(latest)}.")
        elif tagged:
            yield warned(ev, f"{_label(ev)} names images by tag, which can be moved to other content: {names(tagged)}.")
        else:
            yield passed(ev, f"{_label(ev)} pins every image by digest.")


# --- services ------------------------------------------------------------------------------------

NO_SERVICE = "no ECS service runs here"


def _svc(ev: Evidence) -> str:
    cluster = short(ev.data.get("clusterArn", ""))
    return f"ECS service {ev.resource_name} (cluster {cluster}) {where(ev.scope)}"


@check("aws.ecs.service_public_ip", requires=[SERVICE, TD], absent=NO_SERVICE)
def service_public_ip(view: EvidenceView) -> Iterator[Result]:
    tds = {ev.resource: ev for ev in view.items(TD)}
    for ev in view.items(SERVICE):
        vpc = ((ev.data.get("networkConfiguration") or {}).get("awsvpcConfiguration")) or {}
        if vpc.get("assignPublicIp") == "ENABLED":
            yield failed(ev, f"{_svc(ev)} gives its tasks public IP addresses.")
        elif vpc:
            # assignPublicIp is DISABLED unless set (the API's documented default)
            yield passed(ev, f"{_svc(ev)} does not give its tasks public IP addresses.")
        else:
            td = tds.get(str(ev.data.get("taskDefinition", "")))
            # a task definition without networkMode uses bridge networking (the EC2 default)
            mode = (td.data.get("networkMode") or "bridge") if td is not None else None
            if mode is None or mode == "awsvpc" or _is_fargate(ev.data):
                yield unknown(
                    ev,
                    f"{_svc(ev)}: its awsvpc network configuration was not shown, so whether its tasks get "
                    "public IP addresses is not known.",
                )
            else:
                yield passed(
                    ev, f"{_svc(ev)} uses {mode} networking, so its tasks get no public IP address of their own."
                )


def _is_fargate(data: dict[str, Any]) -> bool:
    if data.get("launchType") == "FARGATE":
        return True
    return any(
        str(s.get("capacityProvider", "")).startswith("FARGATE") for s in data.get("capacityProviderStrategy") or []
    )


@check("aws.ecs.service_platform_version", requires=[SERVICE], absent="no ECS service runs on Fargate here")
def service_platform_version(view: EvidenceView) -> Iterator[Result]:
    for ev in view.items(SERVICE):
        if not _is_fargate(ev.data):
            continue
        version = ev.data.get("platformVersion")
        if not version:
            primary: dict[str, Any] = next(
                (d for d in ev.data.get("deployments", []) if d.get("status") == "PRIMARY"), {}
            )
            version = primary.get("platformVersion")
        family = str(ev.data.get("platformFamily") or "LINUX")
        latest = LATEST_FARGATE["WINDOWS_SERVER" if family.startswith("WINDOWS") else "LINUX"]
        if not version:
            yield unknown(ev, f"{_svc(ev)} runs on Fargate but did not report its platform version.")
        elif version in ("LATEST", latest):
            yield passed(ev, f"{_svc(ev)} runs on the current Fargate platform ({version}).")
        else:
            yield failed(ev, f"{_svc(ev)} is pinned to Fargate platform {version}; the current one is {latest}.")


@check("aws.ecs.service_exec_enabled", requires=[SERVICE, CLUSTER], absent=NO_SERVICE)
def service_exec_enabled(view: EvidenceView) -> Iterator[Result]:
    clusters = {ev.resource: ev for ev in view.items(CLUSTER)}
    for ev in view.items(SERVICE):
        enabled = ev.data.get("enableExecuteCommand")
        if enabled is None:
            yield unknown(
                ev,
                f"{_svc(ev)}: whether it allows interactive ECS Exec sessions is not shown, because "
                "ecs:DescribeServices did not report enableExecuteCommand.",
            )
            continue
        if enabled is not True:
            yield passed(ev, f"{_svc(ev)} does not allow interactive ECS Exec sessions into its containers.")
            continue
        cluster = clusters.get(ev.data.get("clusterArn", ""))
        logged = cluster is not None and _exec_logging(cluster)[0] == "pass"
        if logged:
            yield warned(
                ev,
                f"{_svc(ev)} allows interactive ECS Exec sessions into its containers; the cluster "
                "records them, but each use should be an approved exception.",
            )
        else:
            yield failed(
                ev,
                f"{_svc(ev)} allows interactive ECS Exec sessions into its containers and the cluster "
                "does not record them.",
            )


# --- clusters ------------------------------------------------------------------------------------

NO_CLUSTER = "no ECS cluster exists here"


def _cluster(ev: Evidence) -> str:
    return f"ECS cluster {ev.resource_name} {where(ev.scope)}"


@check("aws.ecs.cluster_container_insights", requires=[CLUSTER], absent=NO_CLUSTER)
def cluster_container_insights(view: EvidenceView) -> Iterator[Result]:
    for ev in view.items(CLUSTER):
        value = next(
            (s.get("value") for s in ev.data.get("settings") or [] if s.get("name") == "containerInsights"), None
        )
        if value in ("enabled", "enhanced"):
            yield passed(ev, f"{_cluster(ev)} has Container Insights {value}.")
        else:
            yield failed(
                ev,
                f"{_cluster(ev)} has Container Insights {value or 'not set'}, so container metrics and "
                "performance events are not collected.",
            )


def _exec_logging(ev: Evidence) -> tuple[str, str]:
    cfg = ((ev.data.get("configuration") or {}).get("executeCommandConfiguration")) or {}
    mode = cfg.get("logging") or "DEFAULT"
    log = cfg.get("logConfiguration") or {}
    if mode == "NONE":
        return "fail", "turns ECS Exec session logging off"
    if mode == "DEFAULT":
        return "warn", (
            "leaves ECS Exec session logging at DEFAULT, which records sessions only if the task's own "
            "awslogs configuration does"
        )
    dest = []
    if log.get("cloudWatchLogGroupName"):
        enc = "encrypted" if log.get("cloudWatchEncryptionEnabled") else "unencrypted"
        dest.append(f"CloudWatch Logs group {log['cloudWatchLogGroupName']} ({enc})")
    if log.get("s3BucketName"):
        enc = "encrypted" if log.get("s3EncryptionEnabled") else "unencrypted"
        dest.append(f"S3 bucket {log['s3BucketName']} ({enc})")
    if not dest:
        return "fail", "overrides ECS Exec logging but names no destination"
    session_key = "with a KMS key for the session" if cfg.get("kmsKeyId") else "without a KMS key for the session"
    if any("unencrypted" in d for d in dest):
        return "warn", f"records ECS Exec sessions to {', '.join(dest)} {session_key}"
    return "pass", f"records ECS Exec sessions to {', '.join(dest)} {session_key}"


@check("aws.ecs.cluster_exec_logging", requires=[CLUSTER], absent=NO_CLUSTER)
def cluster_exec_logging(view: EvidenceView) -> Iterator[Result]:
    for ev in view.items(CLUSTER):
        verdict, text = _exec_logging(ev)
        make = {"pass": passed, "warn": warned, "fail": failed}[verdict]
        yield make(ev, f"{_cluster(ev)} {text}.")
