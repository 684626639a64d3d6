"""The benchmark suite in one command: auditprep beside Prowler, and how each cost grows.

Prints, and with --update-doc writes into docs/PERFORMANCE.md (between its result markers):

1. auditprep collect beside Prowler on the same moto estate (each on a fresh, identical copy):
   wall time, time talking to the API, requests counted at the server, peak memory; then
   auditprep at its default request-rate limit with injected throttling (the limit, per second,
   from the server's request log).
2. Scaling curves at three sizes each: AWS collection (time, requests against the minimum the
   data needs, peak memory), report rendering (time and pages, against weasyprint alone on the
   same HTML), TUI start (to an interactive dashboard), Docker collection (if DOCKER_HOST is set).
3. ``auditprep --help`` (median of several runs).

    python benchmarks/run.py            # the full run (about 15 minutes on 2 cores)
    python benchmarks/run.py --quick    # smaller estates and sizes (a few minutes)

Prowler is installed once into its own virtual environment under the user cache folder (or
--prowler-venv); --no-prowler leaves it out. Everything runs against servers on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(1, str(REPO))

import aws_scale  # noqa: E402
import prowler_compare  # noqa: E402

DOC = REPO / "docs" / "PERFORMANCE.md"
START, END = "<!-- results:start -->", "<!-- results:end -->"

FULL = {
    "compare": {"families": 150, "repos": 150, "images": 5, "per_cluster": 25},
    "aws_scales": [2, 4, 8],
    "aws_accounts": [(4, 2)],  # (scale, accounts): the same estate in more accounts
    "report_items": [1000, 2500, 5000],
    "report_repeats": 2,
    "tui_evidence": [5000, 10000, 20000],
    "docker": [(75, 25), (150, 50), (300, 100)],
    "ksi_days": [30, 90, 180, 365],
}
QUICK = {
    "compare": {"families": 25, "repos": 25, "images": 3, "per_cluster": 25},
    "aws_scales": [1, 2, 4],
    "aws_accounts": [(2, 2)],
    "report_items": [500, 1000, 2000],
    "report_repeats": 1,
    "tui_evidence": [2000, 5000, 20000],
    "docker": [(10, 4), (20, 8), (40, 16)],
    "ksi_days": [30, 90],
}


class Out:
    """Collects lines for the terminal and the markdown file at once."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def __call__(self, line: str = "") -> None:
        print(line, flush=True)
        self.lines.append(line)

    def table(self, header: list[str], rows: list[list[object]]) -> None:
        cells = [header] + [[str(c) for c in r] for r in rows]
        widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
        self("| " + " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + " |")
        self("|" + "|".join("-" * (w + 2) for w in widths) + "|")
        for r in cells[1:]:
            self(
                "| "
                + " | ".join(
                    c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True))
                )
                + " |"
            )
        self()


def note(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}x" if b else "-"


# --- 1. side by side ------------------------------------------------------------------------------


def side_by_side(out: Out, cfg: dict, args, server, work: Path) -> dict:
    estate, regions = cfg["compare"], args.regions
    exe = None
    if not args.no_prowler:
        exe = prowler_compare.ensure_prowler(
            args.prowler_venv or prowler_compare.default_venv(args.prowler_version), args.prowler_version
        )
    note("side by side: " + ("Prowler and " if exe else "") + "auditprep, then auditprep at the default limit")
    c = prowler_compare.compare(
        server,
        estate,
        regions,
        prowler=exe,
        max_rps=None,  # auditprep at its default settings, as a user runs it
        latencies=tuple(args.latency_ms),
        throttle_every=args.throttle_every,
        work=work,
    )
    clusters = -(-estate["families"] // estate["per_cluster"])
    out("#### auditprep and Prowler on the same estate")
    out()
    out(
        f"Estate: {len(regions)} regions ({', '.join(regions)}), each with {estate['families']} task definitions "
        f"and {estate['families']} services in {clusters} clusters, {estate['repos']} ECR repositories of "
        f"{estate['images']} images, {clusters} load balancers (HTTPS and HTTP listeners), an ACM certificate, an "
        f"EKS cluster, a GuardDuty detector and log groups; one multi-region trail. Each run had a fresh copy "
        f"(seeded in {c['seed_s']:.0f} s). Whole processes, started as a user would; `API s` is the time from the "
        "first request to the last one at the server; `latency` is added by the server to every answer."
    )
    out()
    rows = []
    names = {
        "auditprep": "auditprep collect (default settings)",
        "prowler": f"Prowler {args.prowler_version}, 8 services",
    }
    for run in c["runs"]:
        for name in ("auditprep", "prowler"):
            if name in run:
                r = run[name]
                rows.append(
                    [
                        names[name],
                        f"{run['latency_ms']:g} ms",
                        f"{r['wall']:.1f}",
                        f"{r['api_span']:.1f}",
                        r["requests"],
                        r["peak_rps"],
                        f"{r['cpu']:.1f}",
                        f"{r['rss_mb']:.0f}",
                        r["rc"],
                        r["items"] or 0,
                    ]
                )
    out.table(
        [
            "tool",
            "latency",
            "wall s",
            "API s",
            "requests",
            "busiest second",
            "CPU s",
            "peak RSS MiB",
            "exit",
            "evidence / findings",
        ],
        rows,
    )
    first = c["runs"][0]
    for run in c["runs"]:
        if "prowler" in run:
            a, p = run["auditprep"], run["prowler"]
            out(
                f"**auditprep / Prowler at {run['latency_ms']:g} ms: wall time {ratio(a['wall'], p['wall'])}, "
                f"time talking to the API {ratio(a['api_span'], p['api_span'])}, requests "
                f"{ratio(a['requests'], p['requests'])}, peak memory {ratio(a['rss_mb'], p['rss_mb'])}.**"
            )
            out()
    a = first["auditprep"]
    if "prowler" in first:
        p = first["prowler"]
        out("Requests by service (counted at the server):")
        out()
        services = sorted(
            set(a["by_service"]) | set(p["by_service"]), key=lambda s: -(a["by_service"][s] + p["by_service"][s])
        )
        out.table(["service", "auditprep", "Prowler"], [[s, a["by_service"][s], p["by_service"][s]] for s in services])
        top = ", ".join(f"{s} {o} {n}" for (s, o), n in p["by_operation"].most_common(8))
        out(f"Prowler's most frequent requests: {top}.")
        out()
        out(
            f"Answers to Prowler: {_statuses(p)}; to auditprep: {_statuses(a)}. 501: operations the stand-in "
            "lacks, answered at once with a code no client retries."
        )
        out()
    lim = c.get("limited")
    if lim:
        out("#### The request-rate limits under throttling")
        out()
        out(
            "`auditprep collect` at its default settings (limits per account, region and service; no "
            f"`--max-rps`), the server answering every {args.throttle_every}th request with a throttling error; the "
            "busiest second is the most requests the server logged in any sliding one-second window, over all "
            "scopes together, and `scopes over their limit` counts the throttling scopes whose busiest second "
            "passed the limit auditprep keeps there:"
        )
        out()
        out.table(
            [
                "requests",
                "throttled and retried",
                "busiest second",
                "scopes over their limit",
                "wall s",
                "evidence items",
                "gaps",
                "exit",
            ],
            [
                [
                    lim["requests"],
                    lim["statuses"].get(429, 0),
                    lim["peak_rps"],
                    sum(1 for x in lim.get("scopes", []) if x["busiest"] > x["limit"]),
                    f"{lim['wall']:.1f}",
                    lim["items"] or 0,
                    ", ".join(f"{k} {v}" for k, v in sorted(lim["gaps"].items())) or "none",
                    lim["rc"],
                ]
            ],
        )
    return c


def _statuses(r: dict) -> str:
    return ", ".join(f"{k} x{v}" for k, v in sorted(r["statuses"].items()))


# --- 2. scaling curves ---------------------------------------------------------------------------


def aws_curve(out: Out, cfg: dict, args, server) -> list[dict]:
    # one collection of an empty estate first: the first in a process pays for loading botocore's
    # service models, once, which would otherwise be billed to the smallest size only
    aws_scale.run(0, args.regions, args.max_rps, server=server, estate={**aws_scale.sizes(0), "families": 0})
    results = []
    for scale in cfg["aws_scales"]:
        note(f"AWS collection curve: scale {scale}")
        results.append(aws_scale.run(scale, args.regions, args.max_rps, server=server, extras=True))
    for scale, accounts in cfg["aws_accounts"]:
        note(f"AWS collection curve: scale {scale} in {accounts} accounts")
        results.append(aws_scale.run(scale, args.regions, args.max_rps, server=server, extras=True, accounts=accounts))
    out("#### AWS collection")
    out()
    out(
        f"In-process `collect_aws` over {len(args.regions)} regions at `max_rps={args.max_rps:g}`; per region and "
        "unit of scale: 25 task definitions and services, 5 repositories of 10 images, one cluster and load "
        "balancer per 25 services; in more than one account, the others are reached by assuming a role in each. "
        "Requests are counted at the server; the minimum is what the data requires "
        "(batch APIs at their largest page, one call per resource where no batch API exists). Memory: "
        "tracemalloc peak during a second collection of the same estate."
    )
    out()
    rows = []
    for r in results:
        scaled_sent = sum(n for (_s, op), n in r["counts"].items() if op in r["minimum"])
        least = sum(r["minimum"].values())
        rows.append(
            [
                r["scale"],
                r["accounts"],
                r["families"] * r["regions"] * r["accounts"],
                r["repos"] * r["images"] * r["regions"] * r["accounts"],
                r["items"],
                f"{r['wall']:.2f}",
                r["requests"],
                scaled_sent,
                least,
                f"{(scaled_sent - least) / least:+.1%}",
                f"{r['peak'] / 2**20:.1f}",
                f"{r['peak'] / r['items'] / 1024:.0f}",
            ]
        )
    out.table(
        [
            "scale",
            "accounts",
            "task defs",
            "images",
            "evidence items",
            "wall s",
            "requests",
            "scaling requests",
            "minimum",
            "over minimum",
            "peak MiB",
            "KiB per item",
        ],
        rows,
    )
    single = [r for r in results if r["accounts"] == 1]
    a, b = single[0], single[-1]
    out(
        f"One account, {b['items'] / a['items']:.1f}x the evidence: {b['wall'] / a['wall']:.1f}x the time, "
        f"{b['requests'] / a['requests']:.1f}x the requests, {b['peak'] / a['peak']:.1f}x the peak memory."
    )
    for m in (r for r in results if r["accounts"] > 1):
        one = next((r for r in single if r["scale"] == m["scale"]), None)
        if one:
            out(
                f"The scale-{m['scale']} estate in {m['accounts']} accounts ({m['targets']} account-regions "
                f"collected): {m['items'] / one['items']:.1f}x the evidence of one account, "
                f"{m['wall'] / one['wall']:.1f}x the time, {m['requests'] / one['requests']:.1f}x the requests, "
                f"{m['peak'] / one['peak']:.1f}x the peak memory."
            )
    out()
    return results


_REPORT_CHILD = textwrap.dedent("""
    import json, sys
    sys.path.insert(0, {here!r})
    import report_bench
    from pathlib import Path
    eng_path, html_path, work = Path({eng!r}), Path({html!r}), Path({work!r})
    alone, whole = [], []
    for _ in range({repeats}):  # alternated, so both meet the same load; the fastest of each is kept
        alone.append(report_bench.weasyprint_alone(html_path, work / "alone.pdf"))
        whole.append(report_bench.whole_report(eng_path, {fid!r}, work / "whole.pdf"))
    print(json.dumps({{"alone": report_bench.fastest(alone), "whole": report_bench.fastest(whole)}}))
""")


def report_curve(out: Out, cfg: dict, work: Path, framework: str = "pci-dss") -> list[dict] | None:
    try:
        import report_bench

        from auditprep import report
        from auditprep.catalog import load_catalog
    except Exception as exc:  # noqa: BLE001 - a row to skip, with the reason
        out(f"#### Report rendering\n\nskipped: the report benchmark cannot be loaded ({exc}).\n")
        return None
    catalog = load_catalog()
    results = []
    for items in cfg["report_items"]:
        note(f"report curve: {items} evidence items")
        folder = work / f"report-{items}"
        folder.mkdir()
        eng = report_bench.build(folder / "bench.engagement", items)
        count = eng.evidence_count()
        html = folder / "report.html"
        html.write_text(report.html_of(report.build(eng, catalog, framework=framework), catalog, "pdf"))
        eng.close()
        code = _REPORT_CHILD.format(
            here=str(HERE),
            eng=str(folder / "bench.engagement"),
            html=str(html),
            work=str(folder),
            fid=framework,
            repeats=cfg["report_repeats"],
        )
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
        if done.returncode != 0:
            tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
            out(f"#### Report rendering\n\nfailed at {items} items: {tail}\n")
            return None
        r = json.loads(done.stdout.strip().splitlines()[-1])
        results.append({"items": count, **r})
        shutil.rmtree(folder, ignore_errors=True)
    out("#### Report rendering")
    out()
    out(
        f"`{framework}` report of an engagement with all four frameworks, each in a fresh process: the whole report "
        "(open the engagement, evaluate, build the context, HTML, PDF) against weasyprint alone on the same final "
        "HTML with the same fetcher; "
        + (
            f"each run {cfg['report_repeats']} times, alternated, with the fastest time of each and the largest "
            "memory shown. "
            if cfg["report_repeats"] > 1
            else "each run once. "
        )
        + "Times and peak memory are of whole processes."
    )
    out()
    rows = []
    for r in results:
        w, al = r["whole"], r["alone"]
        rows.append(
            [
                r["items"],
                w["pages"],
                f"{w['wall']:.1f}",
                f"{al['wall']:.1f}",
                ratio(w["wall"], al["wall"]),
                f"{w['cpu']:.1f}",
                f"{al['cpu']:.1f}",
                ratio(w["cpu"], al["cpu"]),
                f"{w['rss_mb']:.0f}",
                f"{al['rss_mb']:.0f}",
            ]
        )
    out.table(
        [
            "evidence items",
            "pages",
            "report s",
            "weasyprint s",
            "wall ratio",
            "report CPU s",
            "weasyprint CPU s",
            "CPU ratio",
            "report MiB",
            "weasyprint MiB",
        ],
        rows,
    )
    a, b = results[0], results[-1]
    out(
        f"{b['items'] / a['items']:.1f}x the evidence: {b['whole']['wall'] / a['whole']['wall']:.1f}x the time, "
        f"{b['whole']['pages'] / a['whole']['pages']:.1f}x the pages, "
        f"{b['whole']['rss_mb'] / a['whole']['rss_mb']:.1f}x the peak memory."
    )
    out()
    return results


_TUI_CHILD = textwrap.dedent("""
    import time
    started = time.perf_counter()
    import asyncio, json, resource, sys
    sys.path.insert(0, {here!r})
    import tui_bench
    import auditprep.tui.app
    imports = time.perf_counter() - started
    from pathlib import Path
    r = asyncio.run(tui_bench.measure(Path({eng!r}), Path({root!r}), 2))
    # this process's own peak (VmHWM): ru_maxrss would include the parent's, inherited at fork
    status = Path("/proc/self/status")
    hwm = [ln for ln in status.read_text().splitlines() if ln.startswith("VmHWM:")] if status.exists() else []
    rss = int(hwm[0].split()[1]) / 1024 if hwm else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({{"imports": imports, "launch": r["launch_s"], "evidence_s": r["evidence_s"], "rss_mb": rss}}))
""")


def tui_curve(out: Out, cfg: dict, work: Path) -> list[dict] | None:
    try:
        import tui_bench
    except Exception as exc:  # noqa: BLE001
        out(f"#### TUI start\n\nskipped: the TUI benchmark cannot be loaded ({exc}).\n")
        return None
    results = []
    for n in cfg["tui_evidence"]:
        note(f"TUI curve: {n} evidence items")
        folder = work / f"tui-{n}"
        root, eng = folder / "questionnaires", folder / "bench.auditprep"
        tui_bench.write_catalog(root, 200)
        tui_bench.write_engagement(eng, root, n)
        runs = []
        for _ in range(2):  # the second start finds the files in the page cache, as a person's would be
            code = _TUI_CHILD.format(here=str(HERE), eng=str(eng), root=str(root))
            done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
            if done.returncode != 0:
                tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
                out(f"#### TUI start\n\nfailed at {n} evidence items: {tail}\n")
                return None
            runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
        best = min(runs, key=lambda r: r["imports"] + r["launch"])
        results.append({"evidence": n, **best})
        shutil.rmtree(folder, ignore_errors=True)
    out("#### TUI start")
    out()
    out(
        "From a fresh interpreter to the dashboard drawn and ready for keys (headless, 120x40): importing the TUI, "
        "then reading the questionnaires (200 controls), opening the engagement, computing the posture and drawing "
        "the first frame; best of two starts. The evidence browser then loads every item in a worker and shows the "
        "first 500. Peak memory of the whole run."
    )
    out()
    rows = [
        [
            r["evidence"],
            f"{r['imports']:.2f}",
            f"{r['launch']:.2f}",
            f"{r['imports'] + r['launch']:.2f}",
            f"{r['evidence_s']:.2f}",
            f"{r['rss_mb']:.0f}",
        ]
        for r in results
    ]
    out.table(
        ["evidence items", "imports s", "to dashboard s", "interactive s", "evidence browser s", "peak RSS MiB"], rows
    )
    return results


def docker_curve(out: Out, cfg: dict) -> list[dict] | None:
    url = os.environ.get("DOCKER_HOST")
    if not url:
        out(
            "#### Docker collection\n\nskipped: DOCKER_HOST is not set (point it at a Docker daemon to add this "
            "curve; the benchmark creates containers, never starts them, and removes everything it made).\n"
        )
        return None
    try:
        import uuid

        import docker
        import docker_scale

        api = docker.APIClient(**docker.utils.kwargs_from_env(), version="auto", timeout=120)
        engine = api.version()["Version"]
    except Exception as exc:  # noqa: BLE001
        out(f"#### Docker collection\n\nskipped: the Docker daemon at DOCKER_HOST cannot be reached ({exc}).\n")
        return None
    host = docker_scale.Host(api, f"apbench-{uuid.uuid4().hex[:6]}")
    results = []
    try:
        for containers, images in cfg["docker"]:
            note(f"Docker curve: {containers} containers, {images} images")
            host.grow(containers, images)
            outcome, calls, wall, _, _ = docker_scale.run(url)
            _, _, _, peak, retained = docker_scale.run(url, memory=True)
            results.append(
                {
                    "containers": containers,
                    "images": images,
                    "wall": wall,
                    "requests": sum(calls.values()),
                    "items": len(outcome.evidence),
                    "peak": peak,
                    "retained": retained,
                }
            )
    finally:
        host.remove()
    out("#### Docker collection")
    out()
    out(
        f"`collect_docker` against Docker Engine {engine} on a local socket; containers created, never started; "
        "small images with a dpkg database (every image exported once for its package inventory). Requests "
        "counted at the client; memory: tracemalloc peak of a second collection."
    )
    out()
    rows = [
        [
            r["containers"],
            r["images"],
            r["items"],
            f"{r['wall']:.2f}",
            r["requests"],
            f"{r['requests'] / (r['containers'] + r['images']):.2f}",
            f"{r['peak'] / 2**20:.1f}",
            f"{(r['peak'] - r['retained']) / 2**20:.1f}",
        ]
        for r in results
    ]
    out.table(
        [
            "containers",
            "images",
            "evidence records",
            "wall s",
            "requests",
            "requests per object",
            "peak MiB",
            "working MiB (peak minus result)",
        ],
        rows,
    )
    return results


def ksi_curve(out: Out, cfg: dict) -> list[dict]:
    import ksi_metrics_bench

    note(f"KSI metrics: daily history up to {max(cfg['ksi_days'])} evaluations")
    results = ksi_metrics_bench.curve(cfg["ksi_days"])
    out("#### FedRAMP 20x KSI metrics")
    out()
    out(
        "The demo engagement with its Docker evidence collected again once a day and evaluated by the real checks "
        f"({results[0]['findings_per_evaluation']} findings per evaluation), then the KSI metrics document (every "
        "KSI's automated measure at every evaluation, daily, 30-day and one-year summaries) and the SDR built on the "
        "same history; best of three measurements."
    )
    out()
    out.table(ksi_metrics_bench.HEADER, ksi_metrics_bench.rows(results))
    return results


# --- 3. --help -----------------------------------------------------------------------------------


def help_time(out: Out, runs: int = 9) -> float:
    note("auditprep --help")
    cmd = prowler_compare.auditprep_cmd() + ["--help"]
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(cmd, capture_output=True, check=True)
        times.append(time.perf_counter() - t)
    med = statistics.median(times)
    out("#### Command-line start")
    out()
    out(f"`auditprep --help`, whole process: median {med:.3f} s of {runs} runs (fastest {min(times):.3f} s).")
    out()
    return med


# --- the whole run -------------------------------------------------------------------------------


def header(out: Out, args) -> None:
    import moto

    out(
        f"Measured {datetime.now(UTC):%Y-%m-%d} on {os.cpu_count()} cores, {platform.system()} "
        f"{platform.machine()}, Python {platform.python_version()}, moto {moto.__version__} "
        f"(in server mode on 127.0.0.1, in its own process)."
    )
    out()
    out("Reproduce with:")
    out()
    out("```")
    docker = "DOCKER_HOST=unix:///path/to/docker.sock " if os.environ.get("DOCKER_HOST") else ""
    out(f"{docker}.venv/bin/python benchmarks/run.py" + ("" if not args.argv else " " + " ".join(args.argv)))
    out("```")
    out()


def update_doc(lines: list[str], path: Path = DOC) -> None:
    text = path.read_text() if path.exists() else f"# Performance\n\n{START}\n{END}\n"
    if START not in text or END not in text:
        text = text.rstrip() + f"\n\n{START}\n{END}\n"
    before, rest = text.split(START, 1)
    _, after = rest.split(END, 1)
    path.write_text(before + START + "\n" + "\n".join(lines).rstrip() + "\n" + END + after)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller estates and sizes")
    parser.add_argument("--regions", nargs="+", default=["us-east-1", "eu-west-1"])
    parser.add_argument(
        "--max-rps", type=float, default=1000.0, help="auditprep's limit where the limit is not what is measured"
    )
    parser.add_argument("--throttle-every", type=int, default=25, help="in the limit run, throttle every n-th request")
    parser.add_argument(
        "--latency-ms",
        type=float,
        nargs="+",
        default=[0.0, 30.0],
        help="side by side once per value: milliseconds the server adds to every answer",
    )
    parser.add_argument("--no-prowler", action="store_true", help="leave Prowler out of the side-by-side run")
    parser.add_argument("--prowler-venv", type=Path, help="Prowler's virtual environment (default: user cache)")
    parser.add_argument("--prowler-version", default=prowler_compare.PROWLER_VERSION)
    parser.add_argument(
        "--only",
        nargs="+",
        choices=["compare", "aws", "report", "tui", "docker", "ksi", "help"],
        help="run only these parts",
    )
    parser.add_argument("--update-doc", action="store_true", help=f"write the results into {DOC.relative_to(REPO)}")
    parser.add_argument("--json", type=Path, help="also write the raw figures here")
    args = parser.parse_args()
    if args.update_doc and (args.quick or args.only):
        parser.error("--update-doc records the full run only (without --quick and --only)")
    args.argv = _drop_option([a for a in sys.argv[1:] if a != "--update-doc"], "--json")
    cfg = QUICK if args.quick else FULL
    parts = set(args.only or ["compare", "aws", "report", "tui", "docker", "ksi", "help"])
    out = Out()
    header(out, args)
    started = time.perf_counter()
    raw: dict = {}
    with tempfile.TemporaryDirectory(prefix="auditprep-bench-") as tmp:
        work = Path(tmp)
        if parts & {"compare", "aws"}:
            with aws_scale.MotoServer() as server:
                if "compare" in parts:
                    out("### Side by side")
                    out()
                    raw["compare"] = side_by_side(out, cfg, args, server, work)
                if "aws" in parts:
                    out("### How cost grows")
                    out()
                    raw["aws"] = aws_curve(out, cfg, args, server)
        elif parts & {"report", "tui", "docker", "ksi"}:
            out("### How cost grows")
            out()
        if "report" in parts:
            raw["report"] = report_curve(out, cfg, work)
        if "tui" in parts:
            raw["tui"] = tui_curve(out, cfg, work)
        if "docker" in parts:
            raw["docker"] = docker_curve(out, cfg)
        if "ksi" in parts:
            raw["ksi"] = ksi_curve(out, cfg)
        if "help" in parts:
            raw["help"] = help_time(out)
    out(f"Whole run: {(time.perf_counter() - started) / 60:.1f} minutes.")
    if args.update_doc:
        update_doc(out.lines)
        note(f"results written to {DOC}")
    if args.json:
        args.json.write_text(json.dumps(_plain(raw), indent=1))


def _drop_option(argv: list[str], name: str) -> list[str]:
    out, skip = [], False
    for a in argv:
        if skip:
            skip = False
            continue
        if a == name:
            skip = True
            continue
        if a.startswith(name + "="):
            continue
        out.append(a)
    return out


def _plain(value: object) -> object:
    """JSON-safe copy: tuple keys joined with '|', paths and other objects as text."""
    if isinstance(value, dict):
        return {"|".join(map(str, k)) if isinstance(k, tuple) else str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


if __name__ == "__main__":
    main()
