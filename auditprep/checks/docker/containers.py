"""Checks on how each container is confined (CIS Docker Benchmark v1.6.0, section 5).

Every container counts, whatever its state: a created-but-never-started or stopped container
keeps its settings and is one ``docker start`` away from running with them.
"""

from __future__ import annotations

from collections.abc import Iterator

from auditprep.checks.docker.common import (
    FAIL,
    PASS,
    WARN,
    container_label,
    containers,
    get,
    is_root_user,
    join,
    not_shown,
    opt_value,
    result,
    security_opts,
    state_note,
    unseen,
)
from auditprep.checks.docker.daemon import security_options
from auditprep.checks.engine import EvidenceView, Result, check
from auditprep.models import FindingStatus

NOT_EVALUATED = FindingStatus.NOT_EVALUATED

ABSENT = "no containers on the host"
# capabilities that amount to (or lead straight to) control of the host
HIGH_RISK_CAPS = {
    "ALL",
    "SYS_ADMIN",
    "SYS_MODULE",
    "SYS_PTRACE",
    "SYS_RAWIO",
    "SYS_BOOT",
    "SYS_TIME",
    "NET_ADMIN",
    "DAC_READ_SEARCH",
    "MAC_ADMIN",
    "MAC_OVERRIDE",
    "BPF",
    "PERFMON",
    "SYSLOG",
}


def _caps(values: object) -> list[str]:
    return [str(c).upper().removeprefix("CAP_") for c in values or []] if isinstance(values, list) else []


@check("docker.container.privileged", requires=["docker.container"], absent=ABSENT)
def privileged(view: EvidenceView) -> Iterator[Result]:
    for ev in containers(view):
        if missing := unseen(ev.data, ("HostConfig", "Privileged")):
            yield not_shown(ev, container_label(ev), missing)
            continue
        if get(ev.data, "HostConfig", "Privileged"):
            yield result(
                FAIL,
                ev,
                f"{container_label(ev)} is privileged: it gets every capability and every host device, and no seccomp or "
                f"AppArmor confinement, so it is effectively root on the host.{state_note(ev)}",
            )
        else:
            yield result(PASS, ev, f"{container_label(ev)} is not privileged.")


@check("docker.container.capabilities", requires=["docker.container"], absent=ABSENT)
def capabilities(view: EvidenceView) -> Iterator[Result]:
    for ev in containers(view):
        if missing := unseen(ev.data, ("HostConfig", "CapAdd"), ("HostConfig", "CapDrop")):
            yield not_shown(ev, container_label(ev), missing)
            continue
        added = _caps(get(ev.data, "HostConfig", "CapAdd"))
        dropped = _caps(get(ev.data, "HostConfig", "CapDrop"))
        risky = [c for c in added if c in HIGH_RISK_CAPS]
        other = [c for c in added if c not in HIGH_RISK_CAPS]
        if risky:
            yield result(
                FAIL,
                ev,
                f"{container_label(ev)} adds the capabilit{'ies' if len(risky) > 1 else 'y'} {join(risky)}, which give a path "
                f"to control of the host.{state_note(ev)}",
            )
        elif other:
            yield result(
                WARN,
                ev,
                f"{container_label(ev)} adds the capabilit{'ies' if len(other) > 1 else 'y'} {join(other)} beyond Docker's "
                f"default set; confirm each is needed and documented.{state_note(ev)}",
            )
        elif "ALL" in dropped:
            yield result(PASS, ev, f"{container_label(ev)} drops all capabilities and adds none back.")
        else:
            what = (
                f"drops {join(dropped)} and adds none"
                if dropped
                else "keeps Docker's default capability set and adds none"
            )
            yield result(
                PASS,
                ev,
                f"{container_label(ev)} {what}; dropping ALL and adding back only what it needs would be tighter.",
            )


def _remapped(daemon_features: dict[str, dict[str, str]]) -> str:
    """How the daemon keeps container root from being host root, or '' when it does not."""
    if "rootless" in daemon_features:
        return "the daemon runs rootless"
    if "userns" in daemon_features:
        return "the daemon remaps user namespaces"
    return ""


@check("docker.container.user", requires=["docker.container", "docker.daemon"], absent=ABSENT)
def user(view: EvidenceView) -> Iterator[Result]:
    image_users = {
        (img.scope, img.resource): get(img.data, "Config", "User")
        for img in view.items("docker.image")
        if isinstance(get(img.data, "Config"), dict) and "User" in img.data["Config"]
    }
    for ev in containers(view):
        config = get(ev.data, "Config")
        if not isinstance(config, dict) or "User" not in config:
            yield result(
                NOT_EVALUATED,
                ev,
                f"{container_label(ev)}: its user is not shown (the inspect data has no Config.User).",
            )
            continue
        configured = str(config.get("User") or "")
        source = "its configuration"
        if not configured:
            image = str(get(ev.data, "Image", default=""))
            if (ev.scope, image) not in image_users:
                yield result(
                    NOT_EVALUATED,
                    ev,
                    f"{container_label(ev)} names no user, so it runs as its image's USER, which was not shown "
                    "(the image was not inspected).",
                )
                continue
            from_image = str(image_users[(ev.scope, image)] or "")
            if from_image:
                configured, source = from_image, "its image's default"
        if not is_root_user(configured):
            yield result(PASS, ev, f"{container_label(ev)} runs as the non-root user '{configured}' (from {source}).")
            continue
        why = f"user '{configured}' from {source}" if configured else "neither the container nor its image names a user"
        daemon = view.one("docker.daemon", ev.scope)
        remap = _remapped(security_options(daemon)) if daemon is not None else ""
        userns_mode = get(ev.data, "HostConfig", "UsernsMode")
        if remap and userns_mode is not None and str(userns_mode) != "host":
            yield result(
                PASS,
                ev,
                f"{container_label(ev)} runs its process as root inside the container ({why}), but {remap}, so "
                "that root is an unprivileged user on the host.",
            )
        elif remap and userns_mode is None:
            yield result(
                NOT_EVALUATED,
                ev,
                f"{container_label(ev)} runs as root inside the container ({why}) and {remap}, but whether the "
                "container opts out of it (HostConfig.UsernsMode) is not shown.",
            )
        else:
            opted_out = " (it opts out of the daemon's user-namespace remapping with --userns=host)" if remap else ""
            yield result(
                FAIL, ev, f"{container_label(ev)} runs its process as root ({why}){opted_out}.{state_note(ev)}"
            )


@check("docker.container.readonly_rootfs", requires=["docker.container"], absent=ABSENT)
def readonly_rootfs(view: EvidenceView) -> Iterator[Result]:
    for ev in containers(view):
        if get(ev.data, "HostConfig", "ReadonlyRootfs"):
            yield result(PASS, ev, f"{container_label(ev)} mounts its root filesystem read-only.")
        else:
            yield result(
                FAIL,
                ev,
                f"{container_label(ev)} has a writable root filesystem, so a compromised process can change its own binaries "
                f"and drop tools.{state_note(ev)}",
            )


@check("docker.container.no_new_privileges", requires=["docker.container"], absent=ABSENT)
def no_new_privileges(view: EvidenceView) -> Iterator[Result]:
    for ev in containers(view):
        value = opt_value(security_opts(ev), "no-new-privileges")
        if value is not None and value.lower() in ("true", "1", ""):
            yield result(
                PASS,
                ev,
                f"{container_label(ev)} sets no-new-privileges, so setuid binaries cannot raise its privileges.",
            )
        else:
            yield result(
                FAIL,
                ev,
                f"{container_label(ev)} does not set no-new-privileges, so its processes can gain privileges through setuid or "
                f"setgid binaries (unless the daemon sets it for every container, which only daemon.json shows).{state_note(ev)}",
            )


@check("docker.container.seccomp", requires=["docker.container", "docker.daemon"], absent=ABSENT)
def seccomp(view: EvidenceView) -> Iterator[Result]:
    for ev in containers(view):
        if missing := unseen(ev.data, ("HostConfig", "Privileged"), ("HostConfig", "SecurityOpt")):
            yield not_shown(ev, container_label(ev), missing)
            continue
        daemon = view.one("docker.daemon", ev.scope)
        features = security_options(daemon) if daemon else {}
        opts = security_opts(ev)
        problems = []
        if get(ev.data, "HostConfig", "Privileged"):
            problems.append("it is privileged, which turns seccomp and AppArmor off")
        sc = opt_value(opts, "seccomp")
        if sc == "unconfined":
            problems.append("seccomp is disabled (seccomp=unconfined)")
        elif daemon is not None and "seccomp" not in features:
            problems.append("the daemon has no seccomp support, so no system-call filter applies")
        aa = opt_value(opts, "apparmor")
        profile = str(get(ev.data, "AppArmorProfile", default="") or "")
        # AppArmor and SELinux options only mean something where the host enforces them
        if "apparmor" in features and (aa == "unconfined" or profile == "unconfined"):
            problems.append("AppArmor is disabled (apparmor=unconfined)")
        if "selinux" in features and opt_value(opts, "label") == "disable":
            problems.append("SELinux labelling is disabled (label=disable)")
        if problems:
            yield result(
                FAIL,
                ev,
                f"{container_label(ev)} runs without its kernel security profiles: {'; '.join(problems)}.{state_note(ev)}",
            )
            continue
        applied = [f"seccomp profile {sc}" if sc else "the daemon's default seccomp profile"]
        if "apparmor" in features:
            applied.append(f"AppArmor profile {aa or profile or 'docker-default'}")
        if "selinux" in features:
            labels = [o for o in opts if o.startswith(("label=", "label:"))]
            applied.append(f"SELinux labels {join(labels)}" if labels else "SELinux labelling")
        yield result(PASS, ev, f"{container_label(ev)} runs with {join(applied)}.")


_NAMESPACES = (
    ("NetworkMode", "network"),
    ("PidMode", "process (PID)"),
    ("IpcMode", "IPC"),
    ("UTSMode", "UTS (host name)"),
    ("UsernsMode", "user"),
)


@check("docker.container.host_namespaces", requires=["docker.container"], absent=ABSENT)
def host_namespaces(view: EvidenceView) -> Iterator[Result]:
    for ev in containers(view):
        if missing := unseen(
            ev.data,
            ("HostConfig", "NetworkMode"),
            ("HostConfig", "PidMode"),
            ("HostConfig", "IpcMode"),
            ("HostConfig", "UTSMode"),
            ("HostConfig", "UsernsMode"),
        ):
            yield not_shown(ev, container_label(ev), missing)
            continue
        shared = [label for key, label in _NAMESPACES if str(get(ev.data, "HostConfig", key, default="")) == "host"]
        if shared:
            yield result(
                FAIL,
                ev,
                f"{container_label(ev)} shares the host's {join(shared)} namespace{'s' if len(shared) > 1 else ''}, removing "
                f"that isolation from the host.{state_note(ev)}",
            )
        else:
            yield result(PASS, ev, f"{container_label(ev)} shares no namespace with the host.")


@check("docker.container.devices", requires=["docker.container"], absent=ABSENT)
def devices(view: EvidenceView) -> Iterator[Result]:
    for ev in containers(view):
        if missing := unseen(ev.data, ("HostConfig", "Devices"), ("HostConfig", "DeviceCgroupRules")):
            yield not_shown(ev, container_label(ev), missing)
            continue
        mapped = [
            str(d.get("PathOnHost", "?"))
            for d in get(ev.data, "HostConfig", "Devices", default=[]) or []
            if isinstance(d, dict)
        ]
        rules = [str(r) for r in get(ev.data, "HostConfig", "DeviceCgroupRules", default=[]) or []]
        if mapped:
            yield result(
                FAIL,
                ev,
                f"{container_label(ev)} has direct access to the host device{'s' if len(mapped) > 1 else ''} {join(mapped)}.{state_note(ev)}",
            )
        elif rules:
            yield result(
                WARN,
                ev,
                f"{container_label(ev)} maps no device but its device cgroup rules ({join(rules)}) allow device access; confirm they are needed.{state_note(ev)}",
            )
        else:
            yield result(PASS, ev, f"{container_label(ev)} has no host devices mapped in.")
