"""Checks on recorded engine output, for what the test daemon cannot show.

The daemon here runs as root without AppArmor, SELinux, user-namespace remapping, rootless
mode, a TCP socket, an authorization plugin or a default bridge, and on Debian's runc build.
These tests take /info, /version and inspect output recorded from it (``recorded/``) and change
only the fields that such hosts report differently, then run the real checks over them.
"""

from __future__ import annotations

import copy
import functools
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from auditprep import paths
from auditprep.catalog import _CheckFile
from auditprep.checks import load_all
from auditprep.checks.engine import evaluate
from auditprep.collect.base import Recorder
from auditprep.collect.docker.host import HostCollection
from auditprep.collect.docker.hosts import HostTarget
from auditprep.collect.docker.redaction import container as redact_container
from auditprep.models import CallStatus, Evidence, FindingStatus, Scope, Source

RECORDED = Path(__file__).parent / "recorded"
SCOPE = Scope(host="unix:///var/run/docker.sock (node-1)")
NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
PASS, FAIL, WARN = FindingStatus.PASS, FindingStatus.FAIL, FindingStatus.WARN


def recorded(name: str) -> dict:
    return json.loads((RECORDED / name).read_text())


def item(kind: str, data: dict, resource: str, name: str = "", when: datetime = NOW) -> list[Evidence]:
    """One item plus the scope-level record a collector writes for its kind."""
    common = {"source": Source.DOCKER, "collector": "docker", "scope": SCOPE, "collected_at": when, "kind": kind}
    return [
        Evidence(operation="list", data={"count": 1}, **common),
        Evidence(operation="inspect", resource=resource, resource_name=name, data=data, **common),
    ]


def daemon(
    info_changes: dict | None = None, *, components: list | None = None, connection: dict | None = None
) -> list[Evidence]:
    info = recorded("info.json")
    info.update(info_changes or {})
    version = recorded("version.json")
    if components is not None:
        version["Components"] = components
    conn = {"URL": "unix:///var/run/docker.sock", "Scheme": "unix", "TLS": False, "TLSVerify": False}
    conn.update(connection or {})
    return item("docker.daemon", {"Info": info, "Version": version, "Connection": conn}, info["ID"], info["Name"])


def container(changes: dict | None = None, host_config: dict | None = None) -> list[Evidence]:
    data = recorded("container_created.json")
    data.update(changes or {})
    data["HostConfig"].update(host_config or {})
    data, _ = redact_container(data)
    return item("docker.container", data, data["Id"], data["Name"].lstrip("/"))


@functools.cache
def _metadata() -> dict:
    data = yaml.safe_load((paths.questionnaires_dir() / "checks" / "docker.yaml").read_text())
    return {c.id: c for c in _CheckFile.model_validate(data).checks}


def run(check_id: str, evidence: list[Evidence]) -> list:
    return evaluate(evidence, {check_id: _metadata()[check_id]}, {}, load_all()).findings


def one(check_id: str, evidence: list[Evidence]):
    found = [f for f in run(check_id, evidence) if f.resource]
    assert len(found) == 1, found
    return found[0]


# --- daemon ---------------------------------------------------------------------------------


def test_recorded_host_fails_userns_and_passes_with_remapping_or_rootless():
    assert one("docker.daemon.userns", daemon()).status is FAIL
    remapped = daemon({"SecurityOptions": ["name=seccomp,profile=default", "name=userns"]})
    assert one("docker.daemon.userns", remapped).status is PASS
    rootless = daemon({"SecurityOptions": ["name=seccomp,profile=builtin", "name=rootless", "name=cgroupns"]})
    found = one("docker.daemon.userns", rootless)
    assert found.status is PASS and "rootless" in found.message


@pytest.mark.parametrize(
    ("components", "expected", "words"),
    [
        (
            [{"Name": "runc", "Version": "1.1.11", "Details": {"GitCommit": "v1.1.11-0-g4bccb38"}}],
            FAIL,
            "CVE-2024-21626",
        ),
        ([{"Name": "runc", "Version": "1.1.12", "Details": {"GitCommit": "v1.1.12-0-g51d5e94"}}], PASS, "runc 1.1.12"),
        ([{"Name": "runc", "Version": "1.0.0-rc93", "Details": {"GitCommit": "12644e6"}}], FAIL, "1.0.0-rc93"),
        ([{"Name": "containerd", "Version": "1.4.2", "Details": {"GitCommit": "7ad1844"}}], FAIL, "CVE-2020-15257"),
        ([{"Name": "containerd", "Version": "v1.6.28", "Details": {"GitCommit": "ae07eda"}}], PASS, "containerd"),
        (None, WARN, "distribution build"),  # the recorded Debian runc 1.1.5+ds1
    ],
)
def test_runtime_versions(components, expected, words):
    found = one("docker.daemon.runtime_version", daemon(components=components))
    assert found.status is expected and words in found.message


def test_runtime_version_falls_back_to_info_commits():
    found = one("docker.daemon.runtime_version", daemon({"RuncCommit": {"ID": "v1.1.10-0-g18a0cb0"}}, components=[]))
    assert found.status is FAIL and "runc v1.1.10" in found.message


def test_live_restore():
    assert one("docker.daemon.live_restore", daemon()).status is FAIL
    assert one("docker.daemon.live_restore", daemon({"LiveRestoreEnabled": True})).status is PASS
    swarm = daemon({"Swarm": {"LocalNodeState": "active", "ControlAvailable": True}})
    assert one("docker.daemon.live_restore", swarm).status is FindingStatus.NOT_APPLICABLE


@pytest.mark.parametrize(
    ("driver", "expected"),
    [("json-file", FAIL), ("local", FAIL), ("none", FAIL), ("journald", WARN), ("awslogs", PASS), ("fluentd", PASS)],
)
def test_logging_driver(driver, expected):
    assert one("docker.daemon.logging_driver", daemon({"LoggingDriver": driver})).status is expected


def test_insecure_registries():
    assert one("docker.daemon.insecure_registries", daemon()).status is PASS  # only the loopback default
    config = recorded("info.json")["RegistryConfig"]
    cidr = copy.deepcopy(config)
    cidr["InsecureRegistryCIDRs"].append("10.20.0.0/16")
    found = one("docker.daemon.insecure_registries", daemon({"RegistryConfig": cidr}))
    assert found.status is FAIL and "10.20.0.0/16" in found.message
    named = copy.deepcopy(config)
    named["IndexConfigs"]["registry.internal:5000"] = {"Name": "registry.internal:5000", "Secure": False, "Mirrors": []}
    assert (
        "registry.internal:5000" in one("docker.daemon.insecure_registries", daemon({"RegistryConfig": named})).message
    )


def test_experimental():
    assert one("docker.daemon.experimental", daemon({"ExperimentalBuild": True})).status is FAIL
    assert one("docker.daemon.experimental", daemon()).status is PASS


def test_tcp_without_tls():
    plain = daemon(
        {
            "Warnings": [
                "WARNING: API is accessible on http://0.0.0.0:2375 without encryption.\n"
                "         Access to the remote API is equivalent to root access on the host."
            ]
        }
    )
    found = one("docker.daemon.tcp_tls", plain)
    assert found.status is FAIL and "0.0.0.0:2375" in found.message
    unverified = daemon(
        {"Warnings": ["WARNING: API is accessible on https://0.0.0.0:2376 without TLS client verification"]}
    )
    assert one("docker.daemon.tcp_tls", unverified).status is FAIL
    reached_plain = daemon(connection={"URL": "tcp://10.0.0.5:2375", "Scheme": "tcp", "TLS": False})
    assert "plain TCP" in one("docker.daemon.tcp_tls", reached_plain).message
    with_tls = daemon(connection={"URL": "tcp://10.0.0.5:2376", "Scheme": "tcp", "TLS": True, "TLSVerify": True})
    assert one("docker.daemon.tcp_tls", with_tls).status is PASS


def test_authz_plugin():
    assert one("docker.daemon.authz_plugin", daemon()).status is FAIL
    plugins = recorded("info.json")["Plugins"] | {"Authorization": ["opa-docker-authz:latest"]}
    found = one("docker.daemon.authz_plugin", daemon({"Plugins": plugins}))
    assert found.status is PASS and "opa-docker-authz" in found.message


def _bridge(enable_icc: str) -> dict:
    return {
        "Name": "bridge",
        "Id": "f0e1d2c3b4a5",
        "Driver": "bridge",
        "Scope": "local",
        "Options": {
            "com.docker.network.bridge.default_bridge": "true",
            "com.docker.network.bridge.enable_icc": enable_icc,
            "com.docker.network.bridge.name": "docker0",
        },
    }


def test_icc_on_the_default_bridge():
    assert one("docker.daemon.icc", item("docker.network", _bridge("true"), "f0e1d2c3b4a5", "bridge")).status is FAIL
    assert one("docker.daemon.icc", item("docker.network", _bridge("false"), "f0e1d2c3b4a5", "bridge")).status is PASS


# --- containers on hosts with AppArmor or SELinux ---------------------------------------------


APPARMOR_HOST = {"SecurityOptions": ["name=apparmor", "name=seccomp,profile=builtin", "name=cgroupns"]}
SELINUX_HOST = {"SecurityOptions": ["name=seccomp,profile=builtin", "name=selinux", "name=cgroupns"]}


def test_apparmor_profile():
    confined = container({"AppArmorProfile": "docker-default"})
    found = one("docker.container.seccomp", daemon(APPARMOR_HOST) + confined)
    assert found.status is PASS and "AppArmor profile docker-default" in found.message
    unconfined = container({"AppArmorProfile": "unconfined"}, {"SecurityOpt": ["apparmor=unconfined"]})
    found = one("docker.container.seccomp", daemon(APPARMOR_HOST) + unconfined)
    assert found.status is FAIL and "AppArmor is disabled" in found.message
    # the same option on a host without AppArmor changes nothing
    assert one("docker.container.seccomp", daemon() + unconfined).status is PASS


def test_selinux_labels():
    labelled = container(host_config={"SecurityOpt": ["label=type:svirt_apache_t"]})
    found = one("docker.container.seccomp", daemon(SELINUX_HOST) + labelled)
    assert found.status is PASS and "label=type:svirt_apache_t" in found.message
    disabled = container(host_config={"SecurityOpt": ["label=disable"]})
    found = one("docker.container.seccomp", daemon(SELINUX_HOST) + disabled)
    assert found.status is FAIL and "SELinux labelling is disabled" in found.message


def test_a_daemon_without_seccomp_leaves_containers_unfiltered():
    found = one("docker.container.seccomp", daemon({"SecurityOptions": []}) + container())
    assert found.status is FAIL and "no seccomp support" in found.message


def test_user_comes_from_the_image_when_the_container_sets_none():
    image = recorded("image.json")
    image["Config"]["User"] = "app"
    evidence = container() + item("docker.image", image, image["Id"])
    evidence[1] = evidence[1].model_copy(update={"data": {**evidence[1].data, "Image": image["Id"]}})
    found = one("docker.container.user", evidence)
    assert found.status is PASS and "image's default" in found.message


def test_states_are_named_in_findings():
    exited = container(
        {
            "State": {
                **recorded("container_created.json")["State"],
                "Status": "exited",
                "StartedAt": "2026-11-01T00:00:00Z",
            }
        }
    )
    found = one("docker.container.readonly_rootfs", exited)
    assert "stopped (exited)" in found.message


# --- images ---------------------------------------------------------------------------------


def inventory(os_release: dict | None, pkgs: list[tuple[str, str, str, str]], when: datetime = NOW) -> list[Evidence]:
    data = {
        "format": 1,
        "image_id": "sha256:" + "a" * 64,
        "os": os_release,
        "package_managers": sorted({p[0] for p in pkgs}),
        "packages": [{"manager": m, "name": n, "version": v, "source": s, "arch": "amd64"} for m, n, v, s in pkgs],
        "notes": [],
    }
    return item("docker.image_inventory", data, data["image_id"], "app:1", when)


@pytest.mark.parametrize(
    ("osr", "expected"),
    [
        ({"ID": "ubuntu", "VERSION_ID": "23.10", "PRETTY_NAME": "Ubuntu 23.10"}, FAIL),  # interim: nine months
        ({"ID": "ubuntu", "VERSION_ID": "12.04", "PRETTY_NAME": "Ubuntu 12.04 LTS"}, FAIL),  # older than the list
        ({"ID": "amzn", "VERSION_ID": "2023", "PRETTY_NAME": "Amazon Linux 2023"}, PASS),
        ({"ID": "rhel", "VERSION_ID": "9.4", "PRETTY_NAME": "Red Hat Enterprise Linux 9.4"}, PASS),
        ({"ID": "fedora", "VERSION_ID": "40", "PRETTY_NAME": "Fedora Linux 40"}, WARN),  # not in the list
    ],
)
def test_os_end_of_life(osr, expected):
    assert one("docker.image.os_eol", inventory(osr, [])).status is expected


def test_os_end_of_life_soon_is_a_warning():
    soon = datetime(2027, 3, 1, tzinfo=UTC)  # Ubuntu 22.04 standard support ends in April 2027
    found = one("docker.image.os_eol", inventory({"ID": "ubuntu", "VERSION_ID": "22.04"}, [], soon))
    assert found.status is WARN and "2027-04-30" in found.message


def test_distribution_fixes_and_famous_versions():
    rhel_fixed = inventory({"ID": "rhel", "VERSION_ID": "6.5"}, [("rpm", "openssl", "1.0.1e-16.el6_5.7", "openssl")])
    found = one("docker.image.vulnerable_packages", rhel_fixed)
    assert found.status is PASS and "RHSA-2014:0376" in found.message
    rhel_old = inventory({"ID": "rhel", "VERSION_ID": "6.5"}, [("rpm", "openssl", "1.0.1e-16.el6_5.4", "openssl")])
    assert one("docker.image.vulnerable_packages", rhel_old).status is FAIL
    xz = inventory({"ID": "debian", "VERSION_ID": "13"}, [("dpkg", "liblzma5", "5.6.1-1", "xz-utils")])
    assert "CVE-2024-3094" in one("docker.image.vulnerable_packages", xz).message
    reverted = inventory(
        {"ID": "debian", "VERSION_ID": "13"}, [("dpkg", "liblzma5", "5.6.1+really5.4.5-1", "xz-utils")]
    )
    assert one("docker.image.vulnerable_packages", reverted).status is PASS
    newer = inventory({"ID": "alpine", "VERSION_ID": "3.20.1"}, [("apk", "libssl3", "3.3.2-r0", "openssl")])
    found = one("docker.image.vulnerable_packages", newer)
    assert found.status is PASS and "not a full vulnerability scan" in found.message


def test_image_age_and_reproducible_builds():
    image = recorded("image.json")
    old = dict(image, Created=(NOW - timedelta(days=200)).isoformat())
    assert one("docker.image.age", item("docker.image", old, image["Id"])).status is WARN
    fixed = dict(image, Created="1970-01-01T00:00:00Z")
    assert one("docker.image.age", item("docker.image", fixed, image["Id"])).status is WARN


# --- swarm ----------------------------------------------------------------------------------


def swarm(managers: int, *, ca_days: int = 3650, node_cert_days: int = 90, autolock: bool = False) -> list[Evidence]:
    data = {
        "Cluster": {
            "ID": "tpwvb9494oafjgsv788v4gvke",
            "Spec": {
                "Name": "default",
                "CAConfig": {"NodeCertExpiry": node_cert_days * 24 * 3600 * 10**9},
                "EncryptionConfig": {"AutoLockManagers": autolock},
            },
        },
        "Node": {"LocalNodeState": "active", "ControlAvailable": True, "Managers": managers, "Nodes": managers + 2},
        "Derived": {"TrustRootNotAfter": (NOW + timedelta(days=ca_days)).isoformat()},
    }
    return item("docker.swarm", data, "tpwvb9494oafjgsv788v4gvke", "default")


@pytest.mark.parametrize(("managers", "expected"), [(1, WARN), (2, FAIL), (3, PASS), (4, FAIL), (5, PASS), (9, WARN)])
def test_manager_counts(managers, expected):
    assert one("docker.swarm.managers", swarm(managers)).status is expected


def test_ca_expiry_and_rotation():
    assert one("docker.swarm.ca_expiry", swarm(3, ca_days=10)).status is FAIL
    assert one("docker.swarm.ca_expiry", swarm(3, ca_days=-1)).status is FAIL
    assert one("docker.swarm.ca_expiry", swarm(3, ca_days=60)).status is WARN
    assert one("docker.swarm.ca_expiry", swarm(3, node_cert_days=365)).status is WARN
    assert one("docker.swarm.ca_expiry", swarm(3)).status is PASS


def test_a_swarm_worker_records_gaps_so_swarm_checks_are_not_evaluated():
    info = recorded("info.json")
    info["Swarm"] = {
        "NodeID": "w1",
        "LocalNodeState": "active",
        "ControlAvailable": False,
        "Error": "",
        "RemoteManagers": [],
    }
    target = HostTarget("unix:///var/run/docker.sock", SCOPE.host, "default socket")
    rec = Recorder(Source.DOCKER, "docker", lambda: NOW)
    HostCollection(None, target, rec, progress=lambda p: None, cancel=None, known_inventories={}).swarm(info)
    assert {e.kind for e in rec.evidence} == {
        "docker.swarm",
        "docker.swarm_node",
        "docker.swarm_service",
        "docker.secret",
    }
    assert all(e.status is CallStatus.NOT_ENABLED and "worker" in e.message for e in rec.evidence)
    findings = run("docker.swarm.autolock", rec.evidence)
    assert [f.status for f in findings] == [FindingStatus.NOT_EVALUATED] and "worker" in findings[0].message


def test_an_inactive_swarm_makes_swarm_checks_not_applicable():
    target = HostTarget("unix:///var/run/docker.sock", SCOPE.host, "default socket")
    rec = Recorder(Source.DOCKER, "docker", lambda: NOW)
    HostCollection(None, target, rec, progress=lambda p: None, cancel=None, known_inventories={}).swarm(
        recorded("info.json")
    )
    findings = run("docker.swarm.managers", rec.evidence)
    assert [f.status for f in findings] == [FindingStatus.NOT_APPLICABLE]


def test_a_host_without_a_default_bridge_passes_icc_citing_its_network_list():
    host = item("docker.network", {"Name": "host", "Id": "n1", "Driver": "host", "Options": {}}, "n1", "host")
    none = item("docker.network", {"Name": "none", "Id": "n2", "Driver": "null", "Options": {}}, "n2", "none")[1:]
    numbered = [e.model_copy(update={"id": f"E{i}"}) for i, e in enumerate(host + none)]
    [found] = run("docker.daemon.icc", numbered)
    assert found.status is PASS and "no default bridge" in found.message
    assert found.evidence == ("E1", "E2")
