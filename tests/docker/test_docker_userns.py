"""A daemon that remaps user namespaces is an accepted alternative to a non-root container user.

Starts a second, private Docker daemon with ``--userns-remap=default`` (as root only: dockerd
creates its ``dockremap`` user and subordinate ID ranges the first time), runs a root container
on it and one that opts out with ``--userns=host``, and judges both from the real evidence.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import docker
import pytest
from docker_lab import LAB_LABEL, busybox_layer, image_archive

from auditprep.checks import load_all
from auditprep.checks.engine import evaluate
from auditprep.models import FindingStatus

pytestmark = pytest.mark.docker


@pytest.fixture(scope="module")
def remapped_daemon():
    if not shutil.which("dockerd") or os.geteuid() != 0:
        reason = "a user-namespace remapping daemon needs dockerd and root"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; CI runs as root with docker.io installed")
        pytest.skip(reason)
    root = Path(tempfile.mkdtemp(prefix="auditprep-userns-"))
    root.chmod(0o711)  # the remapped root must be able to traverse to its data directory
    sock = root / "docker.sock"
    proc = subprocess.Popen(
        [
            "dockerd",
            "--userns-remap=default",
            "--storage-driver=vfs",
            "--iptables=false",
            "--ip6tables=false",
            "--bridge=none",
            f"--host=unix://{sock}",
            f"--data-root={root / 'data'}",
            f"--exec-root={root / 'exec'}",
            f"--pidfile={root / 'docker.pid'}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=(root / "dockerd.log").open("wb"),
    )
    url = f"unix://{sock}"
    try:
        api = docker.APIClient(base_url=url, version="auto", timeout=60) if _wait(sock) else None
        if api is None:
            pytest.fail(f"the remapping daemon did not start: {(root / 'dockerd.log').read_text()[-1500:]}")
        yield url, api
        api.close()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(root, ignore_errors=True)


def _wait(sock: Path) -> bool:
    for _ in range(60):
        if sock.exists():
            try:
                api = docker.APIClient(base_url=f"unix://{sock}", version="auto", timeout=5)
                api.ping()
                api.close()
                return True
            except Exception:  # not answering yet
                pass
        time.sleep(0.5)
    return False


def test_root_in_a_remapped_container_is_accepted_unless_it_opts_out(remapped_daemon, check_metadata):
    from auditprep.collect.docker import collect_docker

    url, api = remapped_daemon
    list(api.load_image(image_archive("userns/busybox:1", [busybox_layer()])))
    ids = {}
    for role, host in (("remapped", {}), ("opted-out", {"userns_mode": "host"})):
        ids[role] = api.create_container(
            "userns/busybox:1",
            command=["/bin/sleep", "300"],
            name=f"userns-{role}",
            labels={LAB_LABEL: "userns"},
            host_config=api.create_host_config(network_mode="none", **host),
        )["Id"]
    outcome = collect_docker([url])
    daemon = next(e for e in outcome.evidence if e.kind == "docker.daemon" and e.resource)
    assert "name=userns" in daemon.data["Info"]["SecurityOptions"]
    found = {
        f.resource: f
        for f in evaluate(outcome.evidence, check_metadata, {}, load_all()).findings
        if f.check == "docker.container.user"
    }
    remapped, opted_out = found[ids["remapped"]], found[ids["opted-out"]]
    assert remapped.status is FindingStatus.PASS, remapped.message
    assert "remaps user namespaces" in remapped.message
    assert opted_out.status is FindingStatus.FAIL and "--userns=host" in opted_out.message
    assert remapped.severity == found[ids["opted-out"]].severity
