"""Every planted flaw on the real daemon is found, and its clean twin is not flagged."""

from __future__ import annotations

import pytest

from auditprep.checks import load_all
from auditprep.checks.engine import evaluate
from auditprep.models import FindingStatus

pytestmark = pytest.mark.docker

PASS, FAIL, WARN = FindingStatus.PASS, FindingStatus.FAIL, FindingStatus.WARN

# (check, lab container role, expected status)
CONTAINER_CASES = [
    ("docker.container.privileged", "privileged", FAIL),
    ("docker.container.privileged", "clean", PASS),
    ("docker.container.capabilities", "cap-sys-admin", FAIL),
    ("docker.container.capabilities", "cap-sys-resource", WARN),
    ("docker.container.capabilities", "clean", PASS),
    ("docker.container.user", "root-user", FAIL),
    ("docker.container.user", "privileged", FAIL),  # no user anywhere: the default root
    ("docker.container.user", "clean", PASS),  # the image's USER applies
    ("docker.container.readonly_rootfs", "root-user", FAIL),
    ("docker.container.readonly_rootfs", "clean", PASS),
    ("docker.container.no_new_privileges", "root-user", FAIL),
    ("docker.container.no_new_privileges", "clean", PASS),
    ("docker.container.seccomp", "seccomp-off", FAIL),
    ("docker.container.seccomp", "privileged", FAIL),
    ("docker.container.seccomp", "clean", PASS),
    ("docker.container.host_namespaces", "host-ns", FAIL),
    ("docker.container.host_namespaces", "clean", PASS),
    ("docker.container.devices", "device", FAIL),
    ("docker.container.devices", "clean", PASS),
    ("docker.container.sensitive_mounts", "sensitive", FAIL),
    ("docker.container.sensitive_mounts", "clean", PASS),  # a read-only file under /etc and a private dir
    ("docker.container.docker_socket", "socket-v", FAIL),
    ("docker.container.docker_socket", "socket-mount", FAIL),
    ("docker.container.docker_socket", "socket-dir", FAIL),
    ("docker.container.docker_socket", "clean", PASS),
    ("docker.container.mount_propagation", "propagation", FAIL),
    ("docker.container.mount_propagation", "clean", PASS),
    ("docker.container.ports_all_interfaces", "ports", FAIL),
    ("docker.container.ports_all_interfaces", "clean", PASS),
    ("docker.container.resource_limits", "root-user", FAIL),
    ("docker.container.resource_limits", "clean", PASS),
    ("docker.container.restart_policy", "restart-always", WARN),
    ("docker.container.restart_policy", "clean", PASS),
    ("docker.container.healthcheck", "unhealthy", FAIL),
    ("docker.container.healthcheck", "root-user", FAIL),  # none defined
    ("docker.container.healthcheck", "clean", PASS),
    ("docker.container.env_secrets", "env", FAIL),
    ("docker.container.env_secrets", "heartbleed", FAIL),  # inherited from the image's ENV
    ("docker.container.env_secrets", "clean", PASS),
    ("docker.container.image_digest", "stale", FAIL),
    ("docker.container.image_digest", "root-user", WARN),  # by tag
    ("docker.container.image_digest", "clean", PASS),  # by image id
]

# (check, lab image role, expected status)
IMAGE_CASES = [
    ("docker.image.user", "heartbleed", FAIL),
    ("docker.image.user", "clean", PASS),
    ("docker.image.user", "built", PASS),
    ("docker.image.healthcheck", "heartbleed", FAIL),
    ("docker.image.healthcheck", "clean", PASS),
    ("docker.image.history_secrets", "heartbleed", FAIL),
    ("docker.image.history_secrets", "built", FAIL),
    ("docker.image.history_secrets", "clean", PASS),
    ("docker.image.os_eol", "heartbleed", FAIL),
    ("docker.image.os_eol", "alpine", FAIL),
    ("docker.image.os_eol", "centos", FAIL),
    ("docker.image.os_eol", "clean", PASS),
    ("docker.image.os_eol", "built", PASS),
    ("docker.image.os_eol", "busybox", WARN),  # no os-release at all
    ("docker.image.vulnerable_packages", "heartbleed", FAIL),
    ("docker.image.vulnerable_packages", "alpine", FAIL),
    ("docker.image.vulnerable_packages", "centos", FAIL),
    ("docker.image.vulnerable_packages", "wheezy-patched", PASS),  # the distribution's fixed build
    ("docker.image.vulnerable_packages", "clean", PASS),
    ("docker.image.vulnerable_packages", "built", WARN),  # the database was deleted in a later layer
    ("docker.image.age", "heartbleed", FAIL),
    ("docker.image.age", "clean", PASS),
]


def by_resource(findings, check: str) -> dict[str, object]:
    return {f.resource: f for f in findings if f.check == check}


@pytest.mark.parametrize(
    ("check", "role", "expected"), CONTAINER_CASES, ids=[f"{c}-{r}" for c, r, _ in CONTAINER_CASES]
)
def test_container_checks(findings, lab, check, role, expected):
    found = by_resource(findings, check)[lab.containers[role]]
    assert found.status is expected, found.message
    assert f"{lab.prefix}-{role}" in found.message and lab.containers[role][:12] in found.message
    assert found.scope.host and found.scope.host in found.message


@pytest.mark.parametrize(("check", "role", "expected"), IMAGE_CASES, ids=[f"{c}-{r}" for c, r, _ in IMAGE_CASES])
def test_image_checks(findings, lab, check, role, expected):
    found = by_resource(findings, check)[lab.images[role]]
    assert found.status is expected, found.message
    assert lab.images[role].removeprefix("sha256:")[:12] in found.message


def test_never_started_privileged_container_is_one_start_away(findings, lab, docker_api):
    assert docker_api.inspect_container(lab.containers["privileged"])["State"]["Status"] == "created"
    message = by_resource(findings, "docker.container.privileged")[lab.containers["privileged"]].message
    assert "never been started" in message and "one 'docker start' away" in message


def test_heartbleed_finding_names_package_version_cve_and_says_it_is_not_a_scanner(findings, lab):
    message = by_resource(findings, "docker.image.vulnerable_packages")[lab.images["heartbleed"]].message
    assert "openssl 1.0.1f-1" in message and "libssl1.0.0 1.0.1f-1" in message
    assert "CVE-2014-0160" in message and "Heartbleed" in message
    assert "not a full vulnerability scan" in message and "Trivy" in message
    rpm = by_resource(findings, "docker.image.vulnerable_packages")[lab.images["centos"]].message
    assert "openssl 1.0.1e-15.el6 (rpm)" in rpm
    patched = by_resource(findings, "docker.image.vulnerable_packages")[lab.images["wheezy-patched"]].message
    assert "DSA-2896-1" in patched


def test_stale_container_names_both_images(findings, lab):
    message = by_resource(findings, "docker.container.image_digest")[lab.containers["stale"]].message
    assert lab.images["moving-old"].removeprefix("sha256:")[:12] in message
    assert lab.images["moving-new"].removeprefix("sha256:")[:12] in message


def test_daemon_checks_follow_what_the_daemon_reports(findings, docker_api):
    info = docker_api.info()
    daemon = {f.check: f for f in findings if f.check.startswith("docker.daemon.") and f.check != "docker.daemon.icc"}
    assert {f.resource for f in daemon.values()} == {info["ID"]}
    assert daemon["docker.daemon.experimental"].status is (FAIL if info["ExperimentalBuild"] else PASS)
    driver = info["LoggingDriver"]
    expected_logging = FAIL if driver in ("json-file", "local", "none") else WARN if driver == "journald" else PASS
    assert daemon["docker.daemon.logging_driver"].status is expected_logging
    assert daemon["docker.daemon.authz_plugin"].status is (PASS if info["Plugins"].get("Authorization") else FAIL)
    userns = any("userns" in o or "rootless" in o for o in info["SecurityOptions"])
    assert daemon["docker.daemon.userns"].status is (PASS if userns else FAIL)
    # the lab runs a swarm, where live restore is not available
    assert daemon["docker.daemon.live_restore"].status is (
        PASS if info["LiveRestoreEnabled"] else FindingStatus.NOT_APPLICABLE
    )
    runc = next(c for c in docker_api.version()["Components"] if c["Name"] == "runc")
    assert runc["Version"] in daemon["docker.daemon.runtime_version"].message
    assert daemon["docker.daemon.tcp_tls"].status is PASS  # reached over the lab's socket; no plain TCP listener


def test_swarm_checks(findings, lab):
    if not lab.swarm_created:
        pytest.skip("the daemon was already in a swarm, so the lab did not create a single-node one")
    overlay = by_resource(findings, "docker.swarm.overlay_encrypted")
    assert overlay[lab.networks["encrypted"]].status is PASS
    assert overlay[lab.networks["plain"]].status is FAIL
    secrets = by_resource(findings, "docker.swarm.secrets_used")
    assert secrets[lab.services["env-secret"]].status is FAIL
    assert "DB_PASSWORD" in secrets[lab.services["env-secret"]].message
    assert secrets[lab.services["with-secret"]].status is PASS
    swarm = {
        f.check: f
        for f in findings
        if f.check in ("docker.swarm.managers", "docker.swarm.ca_expiry", "docker.swarm.autolock")
    }
    assert swarm["docker.swarm.managers"].status is WARN and "single manager" in swarm["docker.swarm.managers"].message
    assert swarm["docker.swarm.ca_expiry"].status is PASS
    assert swarm["docker.swarm.autolock"].status is FAIL


def test_autolock_turned_on_passes(lab, docker_api, docker_url, check_metadata, collected):
    if not lab.swarm_created:
        pytest.skip("the lab did not create the swarm, so it does not change its settings")
    from auditprep.collect.docker import collect_docker

    spec = docker_api.inspect_swarm()
    version = spec["Version"]["Index"]
    docker_api.update_swarm(version=version, swarm_spec=docker_api.create_swarm_spec(autolock_managers=True))
    try:
        known = {e.resource: e.data for e in collected.evidence if e.kind == "docker.image_inventory" and e.resource}
        outcome = collect_docker([docker_url], known_inventories=known)
    finally:
        spec = docker_api.inspect_swarm()
        docker_api.update_swarm(
            version=spec["Version"]["Index"], swarm_spec=docker_api.create_swarm_spec(autolock_managers=False)
        )
    result = evaluate(
        outcome.evidence, {"docker.swarm.autolock": check_metadata["docker.swarm.autolock"]}, {}, load_all()
    )
    assert [f.status for f in result.findings] == [PASS]


def test_every_judgement_cites_the_evidence_it_rests_on(collected, check_metadata):
    """Once the store has given evidence ids, every pass, fail and warning points at its records."""
    numbered = [e.model_copy(update={"id": f"E{i}"}) for i, e in enumerate(collected.evidence)]
    result = evaluate(numbered, check_metadata, {}, load_all())
    judged = [f for f in result.findings if f.status in (PASS, FAIL, WARN)]
    assert judged and all(f.evidence for f in judged), [f.check for f in judged if not f.evidence]
    # live restore is not applicable in the lab's swarm; every other check judged something
    assert {f.check for f in judged} | {"docker.daemon.live_restore"} == set(check_metadata)
