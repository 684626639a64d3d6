"""A review as CSV, HTML and PDF for the people who read it."""

from __future__ import annotations

import os
import tempfile
from collections import Counter
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from auditprep.review.document import OPEN_FLAGS, ReviewComment, ReviewDocument, ReviewError, _iso

if TYPE_CHECKING:
    from auditprep.catalog import Catalog


def _report_pdf(html: str, out: Path) -> None:
    from auditprep.report.output import write_atomic
    from auditprep.report.pdf import write_pdf

    def produce(fh: BinaryIO) -> None:
        write_pdf(html, fh, identifier=f"review:{out.name}")

    write_atomic(out, produce)


def _cell(value: Any) -> str:
    """A CSV cell a spreadsheet will not run as a formula."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _write_atomic(out: Path, data: bytes) -> Path:
    if not out.parent.is_dir():
        raise ReviewError(f"cannot write {out}: the folder {out.parent} does not exist.")
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".part", dir=out.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, out)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise ReviewError(f"cannot write {out}: {exc.strerror or exc}.") from None
    return out


def review_html(doc: ReviewDocument, catalog: Catalog | None = None) -> str:
    """A self-contained page (no scripts, no external resources) listing every comment by target."""
    e = escape
    flags = Counter(c.flag for c in doc.comments)
    current: dict[str, ReviewComment] = {}
    for c in doc.comments:
        if c.flag != "none":
            current[c.target] = c
    by_target: dict[str, list[ReviewComment]] = {}
    for c in doc.comments:
        by_target.setdefault(c.target, []).append(c)

    def title(c: ReviewComment) -> str:
        if catalog is not None and c.target_kind == "control" and c.target_id in catalog.controls:
            return f"{c.target_id}: {catalog.controls[c.target_id].title}"
        return f"{c.target_kind} {c.target_id}"

    out = [
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">',
        f"<title>Reviewer comments: {e(doc.engagement.name)}</title>",
        "<style>body{font-family:sans-serif;font-size:10pt;margin:2em}table{border-collapse:collapse;width:100%}"
        "td,th{border:1px solid #bbb;padding:3px 5px;text-align:left;vertical-align:top}"
        ".hash{font-family:monospace;font-size:8pt;word-break:break-all}.concern{color:#a40e26}"
        ".question{color:#7d4e00}.accepted{color:#116329}</style></head><body>",
        f"<h1>Reviewer comments: {e(doc.engagement.name)}</h1>",
        f'<p>Engagement fingerprint: <span class="hash">{e(doc.engagement.fingerprint)}</span></p>',
    ]
    if doc.engagement.package_root_hash:
        out.append(f'<p>Package root hash: <span class="hash">{e(doc.engagement.package_root_hash)}</span></p>')
    out.append(
        f"<p>{len(doc.comments)} comment(s); open flags: "
        f"{sum(1 for c in current.values() if c.flag in OPEN_FLAGS)}; "
        + e(", ".join(f"{n} {f}" for f, n in sorted(flags.items())))
        + ".</p>"
    )
    for target, items in by_target.items():
        flag = current.get(target)
        state = f' <span class="{e(flag.flag)}">[{e(flag.flag)}]</span>' if flag else ""
        out.append(
            f"<h2>{e(title(items[0]))}{state}</h2><table><tr><th>When</th><th>Who</th><th>Flag</th>"
            "<th>Comment</th></tr>"
        )
        for c in items:
            out.append(
                f'<tr><td>{e(_iso(c.at))}</td><td>{e(c.author)}</td><td class="{e(c.flag)}">{e(c.flag)}</td>'
                f"<td>{e(c.text)}</td></tr>"
            )
        out.append("</table>")
    out.append("</body></html>\n")
    return "".join(out)
