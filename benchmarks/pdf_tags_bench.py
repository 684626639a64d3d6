"""What tagging the PDF (PDF/UA-1, for screen readers) costs: the demo's HIPAA report written
untagged and tagged from the same laid-out document, CPU time of each write and their ratio, and
the file sizes. Layout is shared and timed apart, so the ratio is the write step's alone.

Usage: python benchmarks/pdf_tags_bench.py [--framework hipaa] [--repeat 2]
"""

from __future__ import annotations

import argparse
import io
import tempfile
import time
from pathlib import Path

from weasyprint import HTML

from auditprep.catalog import load_catalog
from auditprep.demo import build_demo
from auditprep.report import build, html_of
from auditprep.report.fetcher import TemplatesOnlyFetcher
from auditprep.report.html import templates_root
from auditprep.report.pdf import PDF_VARIANT
from auditprep.store import Engagement


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--framework", default="hipaa")
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()
    catalog = load_catalog()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "demo.engagement"
        build_demo(path, catalog)
        with Engagement.open(path, readonly=True) as eng:
            html = html_of(build(eng, catalog, framework=args.framework), catalog, "pdf")
    root = templates_root()
    t = time.process_time()
    document = HTML(string=html, base_url=root.as_uri() + "/", url_fetcher=TemplatesOnlyFetcher(root)).render()
    layout = time.process_time() - t
    results = {}
    for label, options in (("untagged", {}), ("tagged (PDF/UA-1)", {"pdf_variant": PDF_VARIANT})):
        best, size = float("inf"), 0
        for _ in range(args.repeat):
            buf = io.BytesIO()
            t = time.process_time()
            document.write_pdf(buf, **options)
            best = min(best, time.process_time() - t)
            size = len(buf.getvalue())
        results[label] = (best, size)
    print(f"{args.framework} report, {len(document.pages)} pages; layout {layout:.2f} s CPU")
    for label, (cpu, size) in results.items():
        print(f"  write {label:18} {cpu:6.2f} s CPU  {size / 1e6:6.2f} MB")
    (u, us), (g, gs) = results["untagged"], results["tagged (PDF/UA-1)"]
    print(
        f"  tagged / untagged: write {g / u:.2f}x, whole render {(layout + g) / (layout + u):.2f}x, size {gs / us:.2f}x"
    )


if __name__ == "__main__":
    main()
