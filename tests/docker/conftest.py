"""A real Docker daemon for the Docker tests, and a lab of planted flaws and their clean twins.

The daemon is the one at ``DOCKER_HOST`` (else the local socket). Where none answers, the tests
that need it skip and say why, except under CI (``CI`` set), where they fail: CI must provide one.

The lab builds tiny images offline (``docker load`` of archives made in ``docker_lab``, and one
classic-builder build), creates one container per setting (privileged ones are created, never
started: the test host cannot start them), and sets up a local single-node swarm with an
encrypted and a plain overlay network. Everything carries the ``LAB_LABEL`` label or the lab's
name prefix and is removed at the end; the swarm is left only if the lab created it.
"""

from __future__ import annotations

import io
import os
import tarfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import docker
import pytest
import yaml
from docker.types import ContainerSpec, Healthcheck, Mount, SecretReference, ServiceMode, TaskTemplate
from docker_lab import (
    LAB_LABEL,
    PLANTED,
    apk_installed,
    busybox_layer,
    dpkg_status,
    image_archive,
    layer_tar,
    os_release,
    rpm_header,
    rpmdb_sqlite,
)

from auditprep import paths
from auditprep.catalog import _CheckFile
from auditprep.checks import load_all
from auditprep.checks.engine import evaluate


def daemon_url() -> str:
    return os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"


def _client() -> docker.APIClient:
    return docker.APIClient(**docker.utils.kwargs_from_env(), version="auto", timeout=60)


@pytest.fixture(scope="session")
def docker_url() -> str:
    """The URL of a reachable Docker daemon (skips without one, fails under CI)."""
    url = daemon_url()
    try:
        api = _client()
        api.ping()
        api.close()
    except Exception as exc:  # any failure means no usable daemon here
        reason = f"no Docker daemon answers at {url} ({type(exc).__name__}: {exc})"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; CI must start one and export DOCKER_HOST")
        pytest.skip(reason)
    return url


@pytest.fixture(scope="session")
def docker_api(docker_url: str):
    api = _client()
    yield api
    api.close()


@dataclass
class Lab:
    api: docker.APIClient
    prefix: str
    images: dict[str, str] = field(default_factory=dict)  # role -> image id
    containers: dict[str, str] = field(default_factory=dict)  # role -> container id
    networks: dict[str, str] = field(default_factory=dict)
    services: dict[str, str] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)
    swarm_created: bool = False
    gwbridge_existed: bool = True
    socket_path: str = ""

    def tag(self, role: str) -> str:
        return f"{self.prefix}/{role}:1"

    def load(self, role: str, archive: bytes, tag: str | None = None) -> str:
        list(self.api.load_image(archive))  # the load finishes as its progress stream is read
        image_id = self.api.inspect_image(tag or self.tag(role))["Id"]
        self.images[role] = image_id
        return image_id

    def create(self, role: str, image: str, *, start: bool = False, host: dict | None = None, **kwargs) -> str:
        host = dict(host or {})
        host.setdefault("network_mode", "none")
        cid = self.api.create_container(
            image,
            command=kwargs.pop("command", ["/bin/sleep", "300"]),
            name=f"{self.prefix}-{role}",
            labels={LAB_LABEL: self.prefix},
            host_config=self.api.create_host_config(**host),
            **kwargs,
        )["Id"]
        self.containers[role] = cid
        if start:
            self.api.start(cid)
        return cid


def _build_images(lab: Lab) -> None:
    base = busybox_layer()
    now = datetime.now(UTC)
    lab.load("busybox", image_archive(lab.tag("busybox"), [base]))
    clean_layer = layer_tar(
        {
            "etc/os-release": os_release("debian", "13", "Debian GNU/Linux 13 (trixie)"),
            "var/lib/dpkg/status": dpkg_status(
                [
                    ("openssl", "3.5.1-1", "openssl"),
                    ("libssl3t64", "3.5.1-1", "openssl"),
                    ("zlib1g", "1:1.3.dfsg-3", "zlib"),
                ]
            ),
        }
    )
    lab.load(
        "clean",
        image_archive(
            lab.tag("clean"),
            [base, clean_layer],
            created=now - timedelta(days=3),
            config={
                "User": "1000:1000",
                "Env": ["PATH=/bin", "APP_MODE=production"],
                "Healthcheck": {"Test": ["CMD", "/bin/true"], "Interval": 1_000_000_000, "Retries": 1},
                "Labels": {"org.opencontainers.image.source": "https://example.com/app"},
            },
        ),
    )
    heartbleed_layer = layer_tar(
        {
            "etc/os-release": os_release("debian", "7", "Debian GNU/Linux 7 (wheezy)"),
            "var/lib/dpkg/status": dpkg_status(
                [
                    ("openssl", "1.0.1f-1", "openssl"),
                    ("libssl1.0.0", "1.0.1f-1", "openssl"),
                    ("bash", "4.2+dfsg-0.1", ""),
                ]
            ),
        }
    )
    lab.load(
        "heartbleed",
        image_archive(
            lab.tag("heartbleed"),
            [base, heartbleed_layer],
            created=datetime(2014, 4, 1, tzinfo=UTC),
            history=[
                "/bin/sh -c #(nop) ADD file:busybox in / ",
                f"|1 API_TOKEN={PLANTED['image_history']} /bin/sh -c apt-get install openssl",
            ],
            config={"Env": ["PATH=/bin", f"DB_PASSWORD={PLANTED['image_env']}"]},
        ),
    )
    # the same Debian 7 build line with the distribution's Heartbleed fix backported
    patched_layer = layer_tar(
        {
            "etc/os-release": os_release("debian", "7", "Debian GNU/Linux 7 (wheezy)"),
            "var/lib/dpkg/status": dpkg_status([("openssl", "1.0.1e-2+deb7u5", "openssl")]),
        }
    )
    lab.load("wheezy-patched", image_archive(lab.tag("wheezy-patched"), [patched_layer]))
    alpine_layer = layer_tar(
        {
            "etc/os-release": os_release("alpine", "3.12.0", "Alpine Linux v3.12"),
            "lib/apk/db/installed": apk_installed(
                [("libssl1.0", "1.0.1c-r0", "openssl"), ("musl", "1.1.24-r9", "musl")]
            ),
        }
    )
    lab.load("alpine", image_archive(lab.tag("alpine"), [alpine_layer]))
    # the tag "moving" first names image A (used by a container), then is moved to image B
    lab.load(
        "moving-old", image_archive(lab.tag("moving"), [base, layer_tar({"app/version": b"1\n"})]), lab.tag("moving")
    )


def _build_rpm_image(lab: Lab, tmp: Path) -> None:
    db = rpmdb_sqlite(
        tmp,
        [
            rpm_header("openssl", "1.0.1e", "15.el6", source="openssl-1.0.1e-15.el6.src.rpm"),
            rpm_header("bash", "4.1.2", "48.el6", source="bash-4.1.2-48.el6.src.rpm"),
        ],
    )
    layer = layer_tar(
        {"etc/os-release": os_release("centos", "6", "CentOS release 6.10"), "var/lib/rpm/rpmdb.sqlite": db}
    )
    lab.load("centos", image_archive(lab.tag("centos"), [layer]))


def _classic_build(lab: Lab) -> None:
    """A real classic-builder build: COPY a dpkg database, then delete it in a later RUN step."""
    dockerfile = (
        f"FROM {lab.tag('busybox')}\n"
        "COPY os-release /etc/os-release\n"
        "COPY status /var/lib/dpkg/status\n"
        'RUN ["/bin/rm", "/var/lib/dpkg/status"]\n'
        f"ENV SERVICE_TOKEN={PLANTED['build_env']} LOG_LEVEL=info\n"
        "USER 1000\n"
    )
    files = {
        "Dockerfile": dockerfile.encode(),
        "os-release": os_release("debian", "12", "Debian GNU/Linux 12 (bookworm)"),
        "status": dpkg_status([("openssl", "1.0.1f-1", "openssl")]),
    }
    context = io.BytesIO()
    with tarfile.open(fileobj=context, mode="w") as tf:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    context.seek(0)
    output = list(
        lab.api.build(fileobj=context, custom_context=True, tag=lab.tag("built"), rm=True, forcerm=True, decode=True)
    )
    errors = [o for o in output if "error" in o]
    assert not errors, errors
    lab.images["built"] = lab.api.inspect_image(lab.tag("built"))["Id"]


def _wait_health(api: docker.APIClient, cid: str, wanted: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = (api.inspect_container(cid)["State"].get("Health") or {}).get("Status")
        if status == wanted:
            return
        time.sleep(0.2)
    raise AssertionError(f"container {cid[:12]} never became {wanted}")


def _create_containers(lab: Lab, tmp: Path) -> None:
    busybox, _clean = lab.tag("busybox"), lab.tag("clean")
    shared_dir = tmp / "shared"
    shared_dir.mkdir()
    lab.networks["bridge"] = lab.api.create_network(
        f"{lab.prefix}-net", driver="bridge", labels={LAB_LABEL: lab.prefix}
    )["Id"]

    # the clean twin: every check passes; running and healthy
    lab.create(
        "clean",
        lab.images["clean"],
        start=True,
        ports=[8080],
        host={
            "network_mode": f"{lab.prefix}-net",
            "port_bindings": {8080: ("127.0.0.1", None)},
            "read_only": True,
            "cap_drop": ["ALL"],
            "security_opt": ["no-new-privileges:true"],
            "mem_limit": "64m",
            "nano_cpus": 500_000_000,
            "pids_limit": 64,
            "restart_policy": {"Name": "on-failure", "MaximumRetryCount": 3},
            "binds": [f"{shared_dir}:/data:ro", "/etc/os-release:/etc/host-os-release:ro"],
        },
    )
    lab.create("privileged", busybox, host={"privileged": True})
    lab.create("cap-sys-admin", busybox, host={"cap_add": ["SYS_ADMIN"]})
    lab.create("cap-sys-resource", busybox, host={"cap_add": ["SYS_RESOURCE"]})
    lab.create("root-user", busybox, user="root")
    lab.create("seccomp-off", busybox, host={"security_opt": ["seccomp=unconfined"]})
    lab.create("host-ns", busybox, host={"network_mode": "host", "pid_mode": "host", "ipc_mode": "host"})
    lab.create("device", busybox, host={"devices": ["/dev/null:/dev/xnull:rwm"]})
    lab.create(
        "sensitive",
        busybox,
        host={"binds": ["/etc:/host/etc:ro"], "mounts": [Mount("/host/proc", "/proc", type="bind", read_only=True)]},
    )
    lab.create("socket-v", busybox, host={"binds": [f"{lab.socket_path}:/var/run/docker.sock"]})
    lab.create(
        "socket-mount",
        busybox,
        host={"mounts": [Mount("/opt/engine/api.sock", lab.socket_path, type="bind")]},
    )
    lab.create("socket-dir", busybox, host={"binds": [f"{os.path.dirname(lab.socket_path)}:/engine"]})
    lab.create(
        "propagation",
        busybox,
        host={"mounts": [Mount("/shared", str(shared_dir), type="bind", propagation="rshared")]},
    )
    lab.create("ports", busybox, ports=[80], host={"network_mode": f"{lab.prefix}-net", "port_bindings": {80: 18080}})
    lab.create("restart-always", busybox, host={"restart_policy": {"Name": "always"}})
    lab.create(
        "env",
        busybox,
        environment={"DB_PASSWORD": PLANTED["container_env"], "GREETING": PLANTED["plain_env"]},
    )
    lab.create(
        "unhealthy",
        busybox,
        start=True,
        healthcheck=Healthcheck(test=["CMD", "/bin/false"], interval=500_000_000, retries=1, start_period=0),
    )
    lab.create("exited", busybox, command=["/bin/true"], start=True)
    lab.api.wait(lab.containers["exited"], timeout=30)
    lab.create("stale", lab.tag("moving"))
    lab.load(
        "moving-new",
        image_archive(lab.tag("moving"), [busybox_layer(), layer_tar({"app/version": b"2\n"})]),
        lab.tag("moving"),
    )
    lab.create("heartbleed", lab.tag("heartbleed"))
    _wait_health(lab.api, lab.containers["clean"], "healthy")
    _wait_health(lab.api, lab.containers["unhealthy"], "unhealthy")


def _swarm(lab: Lab) -> None:
    info = lab.api.info()
    lab.gwbridge_existed = any(n["Name"] == "docker_gwbridge" for n in lab.api.networks())
    if info["Swarm"]["LocalNodeState"] == "inactive":
        lab.api.init_swarm(advertise_addr="127.0.0.1", listen_addr="127.0.0.1:0")
        lab.swarm_created = True
    elif not info["Swarm"].get("ControlAvailable"):
        return
    labels = {LAB_LABEL: lab.prefix}
    lab.networks["encrypted"] = lab.api.create_network(
        f"{lab.prefix}-enc", driver="overlay", options={"encrypted": ""}, labels=labels
    )["Id"]
    lab.networks["plain"] = lab.api.create_network(f"{lab.prefix}-plain", driver="overlay", labels=labels)["Id"]
    secret_id = lab.api.create_secret(f"{lab.prefix}-db", PLANTED["swarm_secret"].encode(), labels=labels)["ID"]
    lab.secrets["db"] = secret_id
    with_secret = ContainerSpec(
        lab.tag("busybox"),
        command=["/bin/sleep", "300"],
        secrets=[SecretReference(secret_id, f"{lab.prefix}-db")],
    )
    lab.services["with-secret"] = lab.api.create_service(
        TaskTemplate(with_secret),
        name=f"{lab.prefix}-svc-secret",
        mode=ServiceMode("replicated", replicas=0),
        labels=labels,
    )["ID"]
    with_env = ContainerSpec(
        lab.tag("busybox"), command=["/bin/sleep", "300"], env={"DB_PASSWORD": PLANTED["service_env"]}
    )
    lab.services["env-secret"] = lab.api.create_service(
        TaskTemplate(with_env), name=f"{lab.prefix}-svc-env", mode=ServiceMode("replicated", replicas=0), labels=labels
    )["ID"]


def _cleanup(lab: Lab) -> None:
    api = lab.api
    for sid in lab.services.values():
        _quietly(api.remove_service, sid)
    for sid in lab.secrets.values():
        _quietly(api.remove_secret, sid)
    for c in api.containers(all=True, filters={"label": f"{LAB_LABEL}={lab.prefix}"}):
        _quietly(api.remove_container, c["Id"], force=True, v=True)
    for nid in lab.networks.values():
        _quietly(api.remove_network, nid)
    if lab.swarm_created:
        _quietly(api.leave_swarm, force=True)
        if not lab.gwbridge_existed:
            time.sleep(0.5)
            _quietly(api.remove_network, "docker_gwbridge")
    mine = set(lab.images.values()) | {
        i["Id"] for i in api.images() if any(t.startswith(lab.prefix + "/") for t in i.get("RepoTags") or [])
    }
    for _ in range(4):  # children first: an image with dependants is refused, so retry until none is left
        for image_id in sorted(mine):
            try:
                api.remove_image(image_id, force=True)
                mine.discard(image_id)
            except docker.errors.NotFound:
                mine.discard(image_id)
            except docker.errors.APIError:
                pass
        if not mine:
            break


def _quietly(fn, *args, **kwargs) -> None:
    try:
        fn(*args, **kwargs)
    except docker.errors.APIError:
        pass  # already gone


@pytest.fixture(scope="session")
def lab(docker_api, docker_url, tmp_path_factory) -> Lab:
    """Every planted flaw and its clean twin, on the real daemon."""
    tmp = tmp_path_factory.mktemp("docker-lab")
    socket_path = docker_url[len("unix://") :] if docker_url.startswith("unix://") else "/var/run/docker.sock"
    the_lab = Lab(docker_api, f"auditprep-test-{uuid.uuid4().hex[:8]}", socket_path=socket_path)
    try:
        _build_images(the_lab)
        _build_rpm_image(the_lab, tmp)
        _classic_build(the_lab)
        _create_containers(the_lab, tmp)
        _swarm(the_lab)
        yield the_lab
    finally:
        _cleanup(the_lab)


@pytest.fixture(scope="session")
def check_metadata():
    data = yaml.safe_load((paths.questionnaires_dir() / "checks" / "docker.yaml").read_text())
    return {c.id: c for c in _CheckFile.model_validate(data).checks}


@pytest.fixture(scope="session")
def collected(lab, docker_url):
    """One collection of the lab host, shared by the tests that only read it."""
    from auditprep.collect.docker import collect_docker

    return collect_docker([docker_url])


@pytest.fixture(scope="session")
def findings(collected, check_metadata):
    result = evaluate(collected.evidence, check_metadata, {}, load_all())
    assert not result.missing_implementations
    return result.findings
