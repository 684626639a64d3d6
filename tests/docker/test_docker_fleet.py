"""A fleet of Docker hosts: many hosts, contexts and a hosts file, collected side by side, each
host stored as it finishes; an unreachable host is a gap of its own (the real daemon at
``DOCKER_HOST``; the second host is the same daemon reached through a second socket path, and
the third a socket path where nothing listens)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from auditprep.collect.docker import collect_docker
from auditprep.models import CallStatus
from auditprep.store import Engagement


@pytest.fixture
def fleet(docker_url: str, tmp_path: Path) -> dict[str, str]:
    if not docker_url.startswith("unix://"):
        pytest.skip("the fleet is built from a local socket")
    alias = tmp_path / "alias.sock"
    alias.symlink_to(docker_url.removeprefix("unix://"))
    return {"real": docker_url, "alias": f"unix://{alias}", "dead": f"unix://{tmp_path / 'dead.sock'}"}


def test_hosts_are_collected_side_by_side_and_a_dead_one_is_a_gap(fleet):
    seen: set[str] = set()
    lock = threading.Lock()
    stored: list[str] = []

    def progress(p) -> None:
        with lock:
            seen.add(threading.current_thread().name)

    out = collect_docker(
        [fleet["real"], fleet["alias"], fleet["dead"]],
        progress=progress,
        sink=lambda label, outcome: stored.append(label),
        connect_timeout=5,
    )
    labels = {p.split(" (")[0] for p in stored}
    assert labels == {fleet["real"], fleet["alias"], fleet["dead"]}  # every host, the dead one last
    assert stored[-1].startswith(fleet["dead"])
    assert len({n for n in seen if n.startswith("auditprep-docker")}) >= 2  # more than one host at a time
    assert out.evidence == []  # handed to the sink, not kept


def test_a_fleet_from_contexts_and_a_hosts_file_through_the_cli(fleet, tmp_path):
    config = tmp_path / "docker-config"
    config.mkdir()
    (config / "config.json").write_text("{}")  # the SDK finds the contexts beside an existing config file
    env = {**os.environ, "DOCKER_CONFIG": str(config), "AUDITPREP_USER": "tester"}
    env.pop("DOCKER_HOST", None)
    make = [
        sys.executable,
        "-c",
        "import sys; from docker.context import ContextAPI; ContextAPI.create_context(sys.argv[1], host=sys.argv[2])",
    ]
    subprocess.run([*make, "alias", fleet["alias"]], env=env, check=True)
    hosts = tmp_path / "hosts.txt"
    hosts.write_text(f"# the fleet\n{fleet['real']}\n\n{fleet['dead']}  # retired\n")
    eng = tmp_path / "e.auditprep"
    run = lambda *a: subprocess.run([sys.executable, "-m", "auditprep", *a], env=env, capture_output=True, text=True)  # noqa: E731
    assert run("init", str(eng), "--framework", "pci-dss").returncode == 0
    done = run("collect", str(eng), "--no-aws", "--docker-context", "alias", "--docker-hosts-file", str(hosts))
    assert done.returncode == 4, done.stderr  # collected, with the dead host as a gap
    assert "Traceback" not in done.stderr and "dead.sock" in done.stderr
    with Engagement.open(eng, readonly=True) as e:
        evidence = e.current_evidence(with_data=False)
        runs = e.runs()
    hosts_seen = {ev.scope.host.split(" (")[0] for ev in evidence}
    assert hosts_seen == {fleet["real"], fleet["alias"], fleet["dead"]}
    dead = [ev for ev in evidence if ev.scope.host.startswith(fleet["dead"])]
    assert dead and {ev.status for ev in dead} == {CallStatus.ERROR}
    assert len(runs) == 3  # one run per host, stored as each finished
    every = run("collect", str(eng), "--no-aws", "--docker-all-contexts")
    assert every.returncode in (0, 4), every.stderr
    missing = run("collect", str(eng), "--no-aws", "--docker-hosts-file", str(tmp_path / "none.txt"))
    assert missing.returncode == 2 and "could not be read" in missing.stderr and "Traceback" not in missing.stderr
