"""auditprep and Prowler side by side on the same moto estate: wall time, API requests, memory.

Each tool runs on a freshly reset and identically re-seeded estate (``aws_scale.seed_estate``
with load balancers, EKS, GuardDuty, log groups and a trail), as a whole command in its own
process, exactly as a user would start it:

* ``auditprep collect ENG --no-docker --region R ... --max-rps N``
* ``prowler aws --service ecs ecr eks guardduty cloudtrail elbv2 acm cloudwatch --region R ...
  -M json-ocsf -o DIR --no-banner -z``

Both reach the server through ``AWS_ENDPOINT_URL`` and are counted the same way: at the server,
one log entry per request (time, service, operation, status). From that log come the request
totals, the time spent talking to the API (first to last request) and the busiest second.

moto on the same machine answers in a millisecond or two; a real endpoint takes tens of
milliseconds. Each pair of runs is therefore made twice by default: as moto answers, and with
30 ms added to every answer (``--latency-ms``), which is where concurrency shows.

Prowler is installed from the package index into a virtual environment of its own, outside the
source tree, once: by default under the user cache folder (``--prowler-venv`` to choose).

auditprep runs at its default settings (no ``--max-rps``) unless ``--max-rps`` is given. From the
server's log, every run's busiest second in each throttling scope (account, region, service, and
action where AWS limits actions apart) is printed beside the limit auditprep keeps there. A
further auditprep run with every ``--throttle-every``-th request answered with a throttling error
shows that the limits hold and that the adaptive retries still collect everything.

    python benchmarks/prowler_compare.py [--quick] [--regions us-east-1 eu-west-1] [--families 150]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from aws_scale import MotoServer, aws_env, busiest_per_scope, peak_rate, seed_estate  # noqa: E402

PROWLER_VERSION = "5.46.0"
SERVICES = ("ecs", "ecr", "eks", "guardduty", "cloudtrail", "elbv2", "acm", "cloudwatch")
REPO = Path(__file__).resolve().parents[1]


def default_venv(version: str = PROWLER_VERSION) -> Path:
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("auditprep")) / "benchmarks" / f"prowler-{version}"


def ensure_prowler(venv: Path, version: str = PROWLER_VERSION) -> Path:
    """The ``prowler`` executable of ``venv``, installing Prowler ``version`` there first if needed."""
    exe = venv / "bin" / "prowler"
    marker = venv / ".installed-version"
    if exe.exists() and marker.exists() and marker.read_text().strip() == version:
        return exe
    print(f"installing Prowler {version} into {venv} (once; a few minutes) ...", flush=True)
    venv.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    done = subprocess.run([*pip, f"prowler=={version}"], capture_output=True, text=True)
    if done.returncode != 0 or not exe.exists():
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        raise SystemExit(f"Prowler {version} could not be installed: {' '.join(tail)}")
    marker.write_text(version + "\n")
    return exe


# Linux carries a process's peak resident size across fork and exec, so a command started
# straight from this (large) process would report at least this process's peak. A small launcher
# forks the command from itself instead and reports the command's own figures.
_LAUNCHER = """
import json, os, sys, time
start = time.perf_counter()
pid = os.fork()
if pid == 0:
    os.execvp(sys.argv[2], sys.argv[2:])
_, status, usage = os.wait4(pid, 0)
wall = time.perf_counter() - start
with open(sys.argv[1], "w") as f:
    json.dump({"wall": wall, "rc": os.waitstatus_to_exitcode(status), "cpu": usage.ru_utime + usage.ru_stime,
               "rss_mb": usage.ru_maxrss / 1024}, f)
"""


def timed(cmd: list[str], env: dict[str, str], output: Path, cwd: Path | None = None) -> dict:
    """Run one command to its end: its wall time, CPU time and peak resident memory."""
    figures = output.with_suffix(".figures.json")
    with output.open("w") as out:
        subprocess.run(
            [sys.executable, "-c", _LAUNCHER, str(figures), *cmd],
            env=env,
            cwd=cwd,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            check=True,
        )
    return {**json.loads(figures.read_text()), "output": output}


@contextmanager
def environment(values: dict[str, str]):
    saved = dict(os.environ)
    os.environ.update(values)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def summarize(log: list[tuple[float, str, str, int]]) -> dict:
    times = [e[0] for e in log]
    return {
        "requests": len(log),
        "api_span": (max(times) - min(times)) if times else 0.0,
        "peak_rps": peak_rate(log),
        "by_service": Counter(e[1] for e in log),
        "by_operation": Counter((e[1], e[2]) for e in log),
        "statuses": Counter(e[3] for e in log),
        "scopes": busiest_per_scope(log),
    }


def fresh_estate(server: MotoServer, estate: dict, regions: list[str]) -> float:
    """Reset the server to nothing and seed the estate again; returns the seeding time."""
    server.reset_state()
    started = time.perf_counter()
    with environment(aws_env(server.endpoint, regions[0])):
        seed_estate(regions, estate["families"], estate["repos"], estate["images"], estate["per_cluster"], True)
    server.clear_log()
    return time.perf_counter() - started


def auditprep_cmd() -> list[str]:
    exe = Path(sys.executable).with_name("auditprep")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "auditprep"]


def run_auditprep(
    server: MotoServer, regions: list[str], work: Path, max_rps: float | None, throttle_every: int = 0
) -> dict:
    env = {**os.environ, **aws_env(server.endpoint, regions[0])}
    eng = work / f"bench-{len(list(work.glob('bench-*')))}.auditprep"
    subprocess.run(
        [*auditprep_cmd(), "init", str(eng), "--framework", "pci-dss"], env=env, check=True, capture_output=True
    )
    cmd = [*auditprep_cmd(), "collect", str(eng), "--no-docker"]
    for r in regions:
        cmd += ["--region", r]
    if max_rps is not None:
        cmd += ["--max-rps", f"{max_rps:g}"]
    server.clear_log()
    server.throttle_every(throttle_every)
    try:
        result = timed(cmd, env, work / f"{eng.stem}.out")
    finally:
        server.throttle_every(0)
    result.update(summarize(server.log()))
    result["command"] = cmd
    result["items"], result["gaps"] = _evidence_count(eng)
    return result


def _evidence_count(eng: Path) -> tuple[int | None, dict[str, int]]:
    """Evidence records stored, and how many calls ended in each status other than collected."""
    try:
        from auditprep.store import Engagement

        with Engagement.open(eng, readonly=True) as e:
            gaps = Counter(ev.status.value for ev in e.current_evidence(with_data=False))
            gaps.pop("collected", None)
            return e.evidence_count(), dict(gaps)
    except Exception:  # noqa: BLE001 - a count to print, not a result
        return None, {}


def run_prowler(server: MotoServer, exe: Path, regions: list[str], work: Path) -> dict:
    out_dir = work / "prowler-output"
    shutil.rmtree(out_dir, ignore_errors=True)
    env = {**os.environ, **aws_env(server.endpoint, regions[0])}
    env.pop("VIRTUAL_ENV", None)
    cmd = [
        str(exe),
        "aws",
        "--service",
        *SERVICES,
        "--region",
        *regions,
        "-M",
        "json-ocsf",
        "-o",
        str(out_dir),
        "--no-banner",
        "-z",
    ]
    server.clear_log()
    result = timed(cmd, env, work / "prowler.out", cwd=work)
    result.update(summarize(server.log()))
    result["command"] = cmd
    findings = 0
    for f in out_dir.glob("*.ocsf.json"):
        try:
            findings += len(json.loads(f.read_text() or "[]"))
        except ValueError:
            pass
    result["items"] = findings
    return result


def compare(
    server: MotoServer,
    estate: dict,
    regions: list[str],
    *,
    prowler: Path | None,
    max_rps: float | None = None,
    latencies: tuple[float, ...] = (0.0, 30.0),
    throttle_every: int = 25,
    limit_run: bool = True,
    work: Path,
) -> dict:
    """At each added latency (ms per answer): Prowler, then auditprep; then auditprep at the default
    limit under injected throttling. Every run on a fresh copy of the estate."""
    out: dict = {"estate": estate, "regions": regions, "max_rps": max_rps, "throttle_every": throttle_every}
    out["runs"] = []
    for latency in latencies:
        run: dict = {"latency_ms": latency}
        tools = ([("prowler", lambda: run_prowler(server, prowler, regions, work))] if prowler is not None else []) + [
            ("auditprep", lambda: run_auditprep(server, regions, work, max_rps))
        ]
        for name, go in tools:
            out["seed_s"] = fresh_estate(server, estate, regions)
            print(f"  {name}, {latency:g} ms added to each answer ...", flush=True)
            server.latency(latency)
            try:
                run[name] = go()
            finally:
                server.latency(0)
        out["runs"].append(run)
    if limit_run:
        fresh_estate(server, estate, regions)
        print(
            f"  auditprep at its default settings, 1 in {throttle_every} requests throttled ...",
            flush=True,
        )
        out["limited"] = run_auditprep(server, regions, work, None, throttle_every)
    return out


def print_comparison(c: dict) -> None:
    e, regions = c["estate"], c["regions"]
    print(
        f"\nestate: {len(regions)} regions x ({e['families']} task definitions + services, {e['repos']} repositories "
        f"x {e['images']} images, {-(-e['families'] // e['per_cluster'])} clusters and load balancers)"
    )
    print(
        f"{'tool':<11}{'latency':>8}{'wall s':>8}{'API s':>8}{'requests':>10}{'busiest s':>10}{'CPU s':>8}"
        f"{'RSS MiB':>9}{'exit':>6}{'output':>10}"
    )
    for run in c["runs"]:
        for name in ("auditprep", "prowler"):
            if name in run:
                r = run[name]
                print(
                    f"{name:<11}{run['latency_ms']:>6g}ms{r['wall']:>8.1f}{r['api_span']:>8.1f}{r['requests']:>10}"
                    f"{r['peak_rps']:>10}{r['cpu']:>8.1f}{r['rss_mb']:>9.0f}{r['rc']:>6}{r['items'] or 0:>10}"
                )
        if "prowler" in run:
            a, p = run["auditprep"], run["prowler"]
            print(
                f"auditprep / prowler at {run['latency_ms']:g} ms: wall {a['wall'] / p['wall']:.2f}x, "
                f"API time {a['api_span'] / p['api_span']:.2f}x, requests {a['requests'] / p['requests']:.2f}x"
            )
    for run in c["runs"]:
        if "auditprep" in run:
            print_scopes(f"auditprep at {run['latency_ms']:g} ms", run["auditprep"])
    if "limited" in c:
        r = c["limited"]
        print_scopes("auditprep under throttling", r)
        print(
            f"auditprep at its default settings (1 in {c['throttle_every']} requests throttled): "
            f"busiest second {r['peak_rps']} requests, {r['requests']} requests "
            f"({r['statuses'].get(429, 0)} of them throttled and retried), "
            f"wall {r['wall']:.1f} s, exit {r['rc']}, {r['items']} evidence items"
        )


def print_scopes(title: str, r: dict, top: int = 6) -> None:
    """The busiest throttling scopes of one run: busiest second at the server against the limit kept there."""
    scopes = r.get("scopes") or []
    over = [x for x in scopes if x["busiest"] > x["limit"]]
    print(f"{title}: {len(scopes)} throttling scopes, {len(over)} over their limit; the busiest:")
    for x in scopes[:top]:
        what = f"{x['service']}:{x['action']}" if x["action"] else x["service"]
        print(
            f"  {x['region']:<12} {what:<40} {x['requests']:>6} requests, busiest second {x['busiest']:>4} / {x['limit']}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--regions", nargs="+", default=["us-east-1", "eu-west-1"])
    parser.add_argument("--families", type=int, default=150, help="task definitions and services per region")
    parser.add_argument("--repos", type=int, default=150, help="repositories per region")
    parser.add_argument("--images", type=int, default=5, help="images per repository")
    parser.add_argument("--quick", action="store_true", help="a small estate (25 / 25 / 3)")
    parser.add_argument(
        "--max-rps", type=float, default=None, help="give auditprep this overall cap (default: its default settings)"
    )
    parser.add_argument("--throttle-every", type=int, default=25)
    parser.add_argument(
        "--latency-ms", type=float, nargs="+", default=[0.0, 30.0], help="added to every answer, one run each"
    )
    parser.add_argument("--prowler-venv", type=Path, default=None, help="default: under the user cache folder")
    parser.add_argument("--prowler-version", default=PROWLER_VERSION)
    parser.add_argument("--no-prowler", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.families, args.repos, args.images = 25, 25, 3
    estate = {"families": args.families, "repos": args.repos, "images": args.images, "per_cluster": 25}
    exe = (
        None
        if args.no_prowler
        else ensure_prowler(args.prowler_venv or default_venv(args.prowler_version), args.prowler_version)
    )
    with tempfile.TemporaryDirectory(prefix="auditprep-compare-") as tmp, MotoServer() as server:
        c = compare(
            server,
            estate,
            args.regions,
            prowler=exe,
            max_rps=args.max_rps,
            latencies=tuple(args.latency_ms),
            throttle_every=args.throttle_every,
            work=Path(tmp),
        )
        print_comparison(c)


if __name__ == "__main__":
    main()
