"""How the FedRAMP 20x KSI metrics and SDR scale with the run history.

Builds the demo engagement, then collects its recorded Docker evidence again once a day and evaluates
it with the real checks, up to a year of daily evaluations. At 30, 90, 180 and 365 evaluations it
prints the time to build the KSI metrics document (every KSI's measure at every evaluation) and the
SDR, the time per evaluation, and the ratio of the per-evaluation cost at each size to that at 30
(goal: at most 1.5, i.e. the cost grows linearly with the history and not faster).

Times are the best of --repeat measurements (the SDR time is on top of the history, which it shares).

Usage: python benchmarks/ksi_metrics_bench.py [--days 365] [--repeat 3] [--keep]
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from auditprep.application.evaluation import reevaluate
from auditprep.catalog import load_catalog
from auditprep.demo import RECORDING, build_demo
from auditprep.models import Evidence, Source
from auditprep.report.context import build_context
from auditprep.report.ksi_metrics import History, build_metrics
from auditprep.report.sdr import build_sdr
from auditprep.store import Engagement

ACTOR = "benchmark"


def docker_evidence() -> list[Evidence]:
    recording = json.loads(RECORDING.read_text(encoding="utf-8"))
    run = next(r for r in recording["runs"] if r["source"] == "docker")
    return [Evidence.model_validate(e) for e in run["evidence"]]


def curve(marks: list[int], repeat: int = 3, keep: bool = False) -> list[dict]:
    """Fill a daily history up to each size in ``marks`` and time the metrics and the SDR at each."""
    catalog = load_catalog()
    folder = Path(tempfile.mkdtemp(prefix="ksi-bench-"))
    path = folder / "demo.engagement"
    build_demo(path, catalog)
    evidence = docker_evidence()
    with Engagement.open(path, readonly=True) as eng:
        start = eng.evaluations()[-1].at
    results: list[dict] = []
    day = 0
    for target in sorted(marks):
        while True:
            with Engagement.open(path, readonly=True) as eng:
                if len(eng.evaluations()) >= target:
                    break
            day += 1
            moment = [start + timedelta(days=day)]

            def clock(moment: list = moment):
                moment[0] += timedelta(seconds=1)
                return moment[0]

            with Engagement.open(path, clock=clock) as eng:
                eng.add_run(actor=ACTOR, source=Source.DOCKER, started_at=moment[0], evidence=evidence)
                reevaluate(eng, catalog, ACTOR)
        with Engagement.open(path, readonly=True) as eng:
            ctx = build_context(eng, catalog, "fedramp-20x")
            findings = len(eng.findings())
            took, sdr_took = [], []
            for _ in range(repeat):  # the machine may be shared: keep the best of a few
                t0 = time.perf_counter()
                history = History.load(eng, catalog)
                metrics = build_metrics(eng, catalog, ctx, history)
                t1 = time.perf_counter()
                build_sdr(eng, catalog, ctx, history)
                took.append(t1 - t0)
                sdr_took.append(time.perf_counter() - t1)
        results.append(
            {
                "evaluations": target,
                "findings_per_evaluation": findings,
                "metrics_s": min(took),
                "sdr_s": min(sdr_took),
                "metrics_bytes": len(json.dumps(metrics)),
            }
        )
    if keep:
        print(f"engagement kept at {path}")
    else:
        shutil.rmtree(folder, ignore_errors=True)
    return results


def rows(results: list[dict]) -> list[list[str]]:
    base = results[0]["metrics_s"] / results[0]["evaluations"] if results else 1.0
    out = []
    for r in results:
        per = r["metrics_s"] / r["evaluations"]
        out.append(
            [
                str(r["evaluations"]),
                f"{r['metrics_s']:.2f}",
                f"{r['sdr_s']:.2f}",
                f"{per * 1000:.2f}",
                f"{per / base:.2f}x",
                f"{r['metrics_bytes'] / 1e6:.2f}",
            ]
        )
    return out


HEADER = ["evaluations", "metrics s", "SDR s (on top)", "ms per evaluation", "ratio to the first", "metrics file MB"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--repeat", type=int, default=3, help="measurements per size; the best is printed")
    parser.add_argument("--keep", action="store_true", help="keep the engagement and print where it is")
    args = parser.parse_args()
    marks = sorted({n for n in (30, 90, 180, 365) if n <= args.days} | {args.days})
    results = curve(marks, args.repeat, args.keep)
    print(f"KSI metrics over a daily history ({results[0]['findings_per_evaluation']} findings per evaluation)")
    print("  ".join(HEADER))
    for row in rows(results):
        print("  ".join(c.rjust(len(h)) for c, h in zip(row, HEADER, strict=True)))


if __name__ == "__main__":
    main()
