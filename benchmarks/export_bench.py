"""Exporting the demo engagement against rendering its slowest single report.

Builds the demo (``auditprep demo --no-tui``), renders each of its frameworks' PDF reports on its
own (``auditprep report``), then exports the package three ways: with an empty report cache (every
report rendered, side by side in worker processes), again with the cache just filled (nothing
changed, nothing rendered), and with the cache off. Whole processes, as a user starts them.

    python benchmarks/export_bench.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from prowler_compare import auditprep_cmd, timed  # noqa: E402


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="auditprep-export-") as tmp:
        work = Path(tmp)
        demo = work / "demo.engagement"
        env = {**os.environ, "AUDITPREP_REPORT_CACHE": str(work / "cache")}
        subprocess.run(
            [*auditprep_cmd(), "demo", "--no-tui", "--path", str(demo)], env=env, check=True, capture_output=True
        )
        from auditprep.store import Engagement

        with Engagement.open(demo, readonly=True) as eng:
            frameworks = eng.info().frameworks
            items = eng.evidence_count()
        print(
            f"demo: {len(frameworks)} frameworks ({', '.join(frameworks)}), {items} evidence records; {os.cpu_count()} cores"
        )
        singles = {}
        for fid in frameworks:
            out = work / f"{fid}.pdf"
            r = timed(
                [*auditprep_cmd(), "report", str(demo), "--framework", fid, "-o", str(out)], env, work / f"{fid}.log"
            )
            singles[fid] = r
            print(f"  report {fid:<10} wall {r['wall']:6.1f} s  CPU {r['cpu']:6.1f} s  peak RSS {r['rss_mb']:5.0f} MiB")
        slowest = max(r["wall"] for r in singles.values())
        runs = {}
        for label, cache in (
            ("cold cache", str(work / "cache")),
            ("warm cache", str(work / "cache")),
            ("cache off", "off"),
        ):
            out = work / f"{label.replace(' ', '-')}.zip"
            r = timed(
                [*auditprep_cmd(), "export", str(demo), "-o", str(out)],
                {**env, "AUDITPREP_REPORT_CACHE": cache},
                work / f"{label}.log",
            )
            runs[label] = r
            print(
                f"  export {label:<10} wall {r['wall']:6.1f} s  CPU {r['cpu']:6.1f} s  peak RSS {r['rss_mb']:5.0f} MiB"
                f"  = {r['wall'] / slowest:.2f}x the slowest single report"
            )
        summary = {
            "slowest_single_s": slowest,
            "sum_singles_s": sum(r["wall"] for r in singles.values()),
            **{f"export_{k.replace(' ', '_')}_s": v["wall"] for k, v in runs.items()},
        }
        print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
