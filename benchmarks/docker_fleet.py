"""A Docker fleet with a host that never answers: the others are collected and stored meanwhile,
and the silent host ends at its connect deadline as a recorded gap.

The fleet is the daemon at ``DOCKER_HOST`` (a local socket) and a socket that accepts connections
and never answers (as a hung daemon or a firewall that swallows packets would); the silent host
is named first, so a collection one host after another would wait for it before the real one.

    DOCKER_HOST=unix:///path/to/docker.sock python benchmarks/docker_fleet.py
"""

from __future__ import annotations

import os
import socket
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    from auditprep.collect.docker import collect_docker
    from auditprep.collect.docker.collector import CONNECT_TIMEOUT

    real = os.environ.get("DOCKER_HOST", "")
    if not real.startswith("unix://"):
        sys.exit("set DOCKER_HOST to a local unix:// socket")
    with tempfile.TemporaryDirectory(prefix="auditprep-fleet-") as tmp:
        silent = Path(tmp) / "silent.sock"
        server = socket.socket(socket.AF_UNIX)
        server.bind(str(silent))
        server.listen(16)  # the kernel accepts; nobody ever answers
        stored: list[tuple[str, float, int, str]] = []
        started = time.perf_counter()

        def sink(label: str, outcome) -> None:
            gap = next((e.message for e in outcome.evidence if e.message), "")
            stored.append((label.split(" (")[0], time.perf_counter() - started, len(outcome.evidence), gap))

        collect_docker([f"unix://{silent}", real], sink=sink)
        total = time.perf_counter() - started
        server.close()
    print(f"2 hosts, the silent one first; connect deadline {CONNECT_TIMEOUT:g} s; whole collection {total:.2f} s")
    for label, at, records, gap in stored:
        print(f"  {label}: stored after {at:.2f} s, {records} records{'; ' + gap if gap else ''}")


if __name__ == "__main__":
    main()
