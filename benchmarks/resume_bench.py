"""A collection killed half-way, resumed, against one uninterrupted collection of the same organisation.

An organisation of ``--accounts`` members on moto (``org_scale.seed_org``). One engagement is
collected in one go; another is collected until about half of its accounts are stored, killed
with SIGKILL, and collected again with ``--resume``. Both are whole ``auditprep collect`` processes
at their default settings. Printed: the accounts stored before the kill, the requests and time of
each part, and whether the two engagements end with the same current evidence (compared record by
record: kind, scope, resource, status, message and content hash), and ``auditprep verify``.

    python benchmarks/resume_bench.py [--accounts 20]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from aws_scale import MotoServer, aws_env  # noqa: E402
from org_scale import ROLE, seed_org  # noqa: E402
from prowler_compare import auditprep_cmd, environment  # noqa: E402


def evidence(path: Path) -> set[tuple]:
    from auditprep.store import Engagement

    with Engagement.open(path, readonly=True) as eng:
        return {
            (e.kind, e.scope.label(), e.resource, e.status.value, e.message, e.content_hash)
            for e in eng.current_evidence(with_data=False)
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=20)
    parser.add_argument("--regions", nargs="+", default=["us-east-1", "eu-west-1"])
    args = parser.parse_args()
    from auditprep.collect.journal import journal_path

    with tempfile.TemporaryDirectory(prefix="auditprep-resume-") as tmp, MotoServer() as server:
        work = Path(tmp)
        with environment(aws_env(server.endpoint, args.regions[0])):
            seed_org(args.accounts, args.regions, 3, 2)
        env = {**os.environ, **aws_env(server.endpoint, args.regions[0])}
        collect = ["--no-docker", "--org-role", ROLE, *[x for r in args.regions for x in ("--region", r)]]
        whole, killed = work / "whole.auditprep", work / "killed.auditprep"
        for eng in (whole, killed):
            subprocess.run(
                [*auditprep_cmd(), "init", str(eng), "--framework", "pci-dss"], env=env, check=True, capture_output=True
            )
        server.clear_log()
        started = time.perf_counter()
        subprocess.run([*auditprep_cmd(), "collect", str(whole), *collect], env=env, capture_output=True)
        one_go = (time.perf_counter() - started, len(server.log()))

        server.clear_log()
        started = time.perf_counter()
        proc = subprocess.Popen(
            [*auditprep_cmd(), "collect", str(killed), *collect],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        total = args.accounts + 1
        stored = 0
        while proc.poll() is None:
            try:
                stored = len(json.loads(journal_path(killed).read_text())["done"].get("aws", {}))
            except (OSError, ValueError, KeyError):
                stored = 0
            if stored >= total // 2:
                os.kill(proc.pid, signal.SIGKILL)
                break
            time.sleep(0.02)
        proc.wait()
        first = (time.perf_counter() - started, len(server.log()))
        server.clear_log()
        started = time.perf_counter()
        subprocess.run([*auditprep_cmd(), "collect", str(killed), *collect, "--resume"], env=env, capture_output=True)
        second = (time.perf_counter() - started, len(server.log()))
        same = evidence(killed) == evidence(whole)
        verify = subprocess.run([*auditprep_cmd(), "verify", str(killed)], env=env, capture_output=True).returncode
        print(f"organisation: {total} accounts x {len(args.regions)} regions")
        print(f"one go:          {one_go[0]:6.1f} s  {one_go[1]:6d} requests")
        print(f"killed at {stored}/{total}: {first[0]:6.1f} s  {first[1]:6d} requests (SIGKILL)")
        print(f"resumed:         {second[0]:6.1f} s  {second[1]:6d} requests")
        print(f"same current evidence as one go: {same} ({len(evidence(whole))} records); verify exit {verify}")


if __name__ == "__main__":
    main()
