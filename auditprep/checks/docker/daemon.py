"""Checks on the Docker daemon of each host (CIS Docker Benchmark v1.6.0, sections 1 and 2)."""

from __future__ import annotations

from collections.abc import Iterator

from auditprep.checks.docker import advisories, versions
from auditprep.checks.docker.common import FAIL, NOT_APPLICABLE, PASS, WARN, get, host, join, result
from auditprep.checks.engine import EvidenceView, Result, check
from auditprep.models import Evidence

_ABSENT = "no daemon information was collected for the host"
_REMOTE_LOG_DRIVERS = {"syslog", "fluentd", "gelf", "awslogs", "splunk", "gcplogs", "logentries", "etwlogs"}
_LOOPBACK = ("127.0.0.0/8", "::1/128")


def _daemons(view: EvidenceView) -> Iterator[Evidence]:
    yield from view.items("docker.daemon")


def _engine(ev: Evidence) -> str:
    name = get(ev.data, "Info", "Name", default=ev.resource_name) or "?"
    version = get(ev.data, "Version", "Version", default=get(ev.data, "Info", "ServerVersion", default="?"))
    return f"Docker Engine {version} ({name}) on {host(ev)}"


def _security_options(ev: Evidence) -> dict[str, dict[str, str]]:
    """``["name=seccomp,profile=default", "name=userns"]`` -> ``{"seccomp": {"profile": "default"}, "userns": {}}``."""
    out: dict[str, dict[str, str]] = {}
    for opt in get(ev.data, "Info", "SecurityOptions", default=[]) or []:
        fields = dict(part.split("=", 1) for part in str(opt).split(",") if "=" in part)
        if "name" in fields:
            name = fields.pop("name")
            out[name] = fields
    return out


def security_options(ev: Evidence) -> dict[str, dict[str, str]]:
    return _security_options(ev)


def _runtime_components(ev: Evidence) -> list[tuple[str, str, str]]:
    """(component, version, build detail) for runc and containerd, from /version or, failing that, /info."""
    found = []
    for comp in get(ev.data, "Version", "Components", default=[]) or []:
        name = str(comp.get("Name", "")).lower()
        if name in ("runc", "containerd"):
            found.append((name, str(comp.get("Version", "")), str(get(comp, "Details", "GitCommit", default=""))))
    if not found:
        for name, key in (("runc", "RuncCommit"), ("containerd", "ContainerdCommit")):
            commit = str(get(ev.data, "Info", key, "ID", default=""))
            if commit:
                found.append((name, commit, commit))
    return found


@check("docker.daemon.runtime_version", requires=["docker.daemon"], absent=_ABSENT)
def runtime_version(view: EvidenceView) -> Iterator[Result]:
    known = advisories.bundled()
    checked = join(sorted({a.id for a in known.runtime}))
    for ev in _daemons(view):
        components = _runtime_components(ev)
        if not components:
            yield result(
                WARN,
                ev,
                f"{_engine(ev)} did not report its runc and containerd versions, so they could not be compared with known vulnerable releases.",
            )
            continue
        failures, warnings = [], []
        for name, version, detail in components:
            for adv in advisories.runtime_hits(name, version, known):
                ranges = " or ".join(r.describe() for r in adv.affected)
                line = f"{name} {version} falls in the range affected by {adv.id} ({adv.name}: versions {ranges})"
                if versions.is_distribution_build(version, detail):
                    warnings.append(
                        f"{line}; its version string ({detail or version}) shows a distribution build, which may carry "
                        "a backported fix, so confirm against the distribution's security tracker"
                    )
                else:
                    failures.append(line)
        seen = join([f"{n} {v}" for n, v, _ in components])
        tail = f" The bundled list covers a few well-known runtime flaws ({checked}); keep the engine on a supported, patched release."
        if failures:
            yield result(
                FAIL,
                ev,
                f"{_engine(ev)} runs a known-vulnerable container runtime: {'; '.join(failures + warnings)}.{tail}",
            )
        elif warnings:
            yield result(
                WARN, ev, f"{_engine(ev)} may run a vulnerable container runtime: {'; '.join(warnings)}.{tail}"
            )
        else:
            yield result(
                PASS,
                ev,
                f"{_engine(ev)} runs {seen}, outside the vulnerable ranges in the bundled advisory list.{tail}",
            )


@check("docker.daemon.userns", requires=["docker.daemon"], absent=_ABSENT)
def userns(view: EvidenceView) -> Iterator[Result]:
    for ev in _daemons(view):
        opts = _security_options(ev)
        if "rootless" in opts:
            yield result(
                PASS, ev, f"{_engine(ev)} runs in rootless mode, so root in a container is not root on the host."
            )
        elif "userns" in opts:
            yield result(
                PASS,
                ev,
                f"{_engine(ev)} remaps user namespaces, so root in a container maps to an unprivileged host user.",
            )
        else:
            yield result(
                FAIL,
                ev,
                f"{_engine(ev)} neither remaps user namespaces nor runs rootless, so root in a container is root on the host "
                "if it escapes.",
            )


@check("docker.daemon.live_restore", requires=["docker.daemon"], absent=_ABSENT)
def live_restore(view: EvidenceView) -> Iterator[Result]:
    for ev in _daemons(view):
        if get(ev.data, "Info", "LiveRestoreEnabled"):
            yield result(
                PASS,
                ev,
                f"{_engine(ev)} has live restore enabled: containers keep running while the daemon restarts or is upgraded.",
            )
        elif get(ev.data, "Info", "Swarm", "LocalNodeState") == "active":
            yield result(
                NOT_APPLICABLE,
                ev,
                f"{_engine(ev)} is in swarm mode, where live restore cannot be enabled; the swarm reschedules tasks instead.",
            )
        else:
            yield result(
                FAIL,
                ev,
                f"{_engine(ev)} does not have live restore enabled, so restarting or upgrading the daemon stops every container.",
            )


@check("docker.daemon.logging_driver", requires=["docker.daemon"], absent=_ABSENT)
def logging_driver(view: EvidenceView) -> Iterator[Result]:
    for ev in _daemons(view):
        driver = str(get(ev.data, "Info", "LoggingDriver", default="") or "")
        if driver in _REMOTE_LOG_DRIVERS:
            yield result(
                PASS,
                ev,
                f"{_engine(ev)} sends container logs with the '{driver}' driver by default, which ships them off the host.",
            )
        elif driver == "journald":
            yield result(
                WARN,
                ev,
                f"{_engine(ev)} logs containers to the host journal ('journald'); that is central only if the journal is forwarded off the host, so show the forwarding.",
            )
        elif driver == "none":
            yield result(FAIL, ev, f"{_engine(ev)} discards container logs by default (logging driver 'none').")
        else:
            yield result(
                FAIL,
                ev,
                f"{_engine(ev)} keeps container logs on the host (default logging driver '{driver or 'unknown'}'), where they are lost with "
                "the host and can be altered by anyone with root on it; use a remote driver or a log shipper.",
            )


@check("docker.daemon.insecure_registries", requires=["docker.daemon"], absent=_ABSENT)
def insecure_registries(view: EvidenceView) -> Iterator[Result]:
    for ev in _daemons(view):
        config = get(ev.data, "Info", "RegistryConfig", default={}) or {}
        cidrs = [c for c in config.get("InsecureRegistryCIDRs") or [] if c not in _LOOPBACK]
        names = [
            name
            for name, index in (config.get("IndexConfigs") or {}).items()
            if isinstance(index, dict)
            and index.get("Secure") is False
            and name.split(":")[0] not in ("localhost", "127.0.0.1", "[::1]")
        ]
        insecure = names + cidrs
        if insecure:
            yield result(
                FAIL,
                ev,
                f"{_engine(ev)} pulls from insecure registries without verified TLS: {join(insecure)}. Images from them can be "
                "swapped in transit.",
            )
        else:
            yield result(PASS, ev, f"{_engine(ev)} trusts no insecure registry beyond the built-in loopback range.")


@check("docker.daemon.experimental", requires=["docker.daemon"], absent=_ABSENT)
def experimental(view: EvidenceView) -> Iterator[Result]:
    for ev in _daemons(view):
        engine_details = next(
            (
                c.get("Details") or {}
                for c in get(ev.data, "Version", "Components", default=[]) or []
                if c.get("Name") == "Engine"
            ),
            {},
        )
        if get(ev.data, "Info", "ExperimentalBuild") or str(engine_details.get("Experimental", "")).lower() == "true":
            yield result(
                FAIL, ev, f"{_engine(ev)} has experimental features enabled, which are not meant for production."
            )
        else:
            yield result(PASS, ev, f"{_engine(ev)} runs without experimental features.")


@check("docker.daemon.tcp_tls", requires=["docker.daemon"], absent=_ABSENT)
def tcp_tls(view: EvidenceView) -> Iterator[Result]:
    for ev in _daemons(view):
        warnings = [str(w) for w in get(ev.data, "Info", "Warnings", default=[]) or []]
        plain = [w.split("\n")[0].strip() for w in warnings if "without encryption" in w]
        unverified = [w.split("\n")[0].strip() for w in warnings if "without TLS client verification" in w]
        conn = get(ev.data, "Connection", default={}) or {}
        problems = []
        if conn.get("Scheme") == "tcp" and not conn.get("TLS"):
            problems.append(f"this collection reached it over plain TCP at {conn.get('URL')}")
        if plain:
            problems.append(f"the daemon reports an API socket without encryption ({'; '.join(plain)})")
        if unverified:
            problems.append(
                f"the daemon reports a TLS socket that does not verify client certificates ({'; '.join(unverified)})"
            )
        if problems:
            yield result(
                FAIL,
                ev,
                f"{_engine(ev)} exposes its API over TCP without mutual TLS: {'; '.join(problems)}. Anyone who can reach that port "
                "controls the host as root.",
            )
        else:
            how = conn.get("Scheme") or "a local socket"
            via = f"over {how}{' with TLS' if conn.get('TLS') else ''}"
            yield result(
                PASS,
                ev,
                f"{_engine(ev)} reports no TCP API socket without TLS or without client-certificate verification (collected {via}).",
            )


@check("docker.daemon.icc", requires=["docker.network"], absent="no networks were listed on the host")
def icc(view: EvidenceView) -> Iterator[Result]:
    for scope in view.scopes("docker.network"):
        bridges = [
            ev
            for ev in view.items("docker.network", scope)
            if get(ev.data, "Options", "com.docker.network.bridge.default_bridge") == "true"
            or (get(ev.data, "Name") == "bridge" and get(ev.data, "Driver") == "bridge")
        ]
        if not bridges:
            listed = view.items("docker.network", scope)
            yield Result(
                PASS,
                "",
                scope,
                f"Host {scope.label()} has no default bridge network (the daemon runs without docker0), so no container can "
                "talk to others over it.",
                tuple(ev.id for ev in listed if ev.id),
            )
        for ev in bridges:
            icc_opt = get(ev.data, "Options", "com.docker.network.bridge.enable_icc", default="true")
            if str(icc_opt).lower() == "false":
                yield result(
                    PASS,
                    ev,
                    f"The default bridge network on {host(ev)} blocks traffic between containers (icc disabled).",
                )
            else:
                yield result(
                    FAIL,
                    ev,
                    f"The default bridge network on {host(ev)} lets every container on it reach every other (icc enabled); set "
                    "icc to false and connect containers that must talk through user-defined networks.",
                )


@check("docker.daemon.authz_plugin", requires=["docker.daemon"], absent=_ABSENT)
def authz_plugin(view: EvidenceView) -> Iterator[Result]:
    for ev in _daemons(view):
        plugins = [str(p) for p in get(ev.data, "Info", "Plugins", "Authorization", default=[]) or []]
        if plugins:
            yield result(
                PASS, ev, f"{_engine(ev)} checks API requests with the authorization plugin(s) {join(plugins)}."
            )
        else:
            yield result(
                FAIL,
                ev,
                f"{_engine(ev)} has no authorization plugin, so anyone who can reach its API can do anything (the API is all or nothing).",
            )
