"""Charts drawn as inline SVG by the project: stacked status bars, no scripts, links or fonts fetched."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from xml.sax.saxutils import escape

# status -> (fill, text colour); shared with the CSS badges
COLOURS = {
    "in_place": ("#2f855a", "#ffffff"),
    "in_place_ccw": ("#276749", "#ffffff"),
    "attested": ("#90cdf4", "#1a202c"),
    "not_tested": ("#cbd5e0", "#1a202c"),
    "partial": ("#d69e2e", "#1a202c"),
    "not_in_place": ("#c53030", "#ffffff"),
    "exception": ("#6b46c1", "#ffffff"),
    "not_evaluated": ("#a0aec0", "#1a202c"),
    "not_applicable": ("#e2e8f0", "#1a202c"),
    "not_covered": ("#ffffff", "#4a5568"),
}
_FONT = "font-family=\"Inter, 'DejaVu Sans', sans-serif\""


def _t(text: str) -> str:
    return escape(text, {'"': "&quot;"})


def _fit(label: str, chars: int) -> str:
    return label if len(label) <= chars else label[: chars - 1].rstrip() + "\u2026"


def stacked_bars(
    rows: Sequence[Mapping[str, Any]],
    statuses: Sequence[str],
    labels: Mapping[str, str],
    *,
    title: str,
    label_width: int = 210,
    width: int = 660,
) -> str:
    """One horizontal bar per row (``{"label", "counts"}``), segments in ``statuses`` order."""
    bar_h, gap, top = 16, 8, 30
    used = [s for s in statuses if any(r["counts"].get(s, 0) for r in rows)] or list(statuses[:1])
    legend_h = 18
    height = top + legend_h + len(rows) * (bar_h + gap) + 4
    scale_w = width - label_width - 40
    biggest = max((sum(r["counts"].get(s, 0) for s in statuses) for r in rows), default=1) or 1
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{_t(title)}">',
        f"<title>{_t(title)}</title>",
    ]
    # legend
    x = 0.0
    for s in used:
        fill, _ = COLOURS.get(s, ("#cccccc", "#000000"))
        text = labels.get(s, s)
        parts.append(
            f'<rect x="{x:g}" y="6" width="10" height="10" rx="2" fill="{fill}" stroke="#718096" stroke-width="0.5"/>'
        )
        parts.append(f'<text x="{x + 14:g}" y="15" {_FONT} font-size="10" fill="#2d3748">{_t(text)}</text>')
        x += 22 + len(text) * 5.6
    y = top + legend_h - 8
    for r in rows:
        label = _fit(str(r["label"]), int(label_width / 5.9))
        parts.append(
            f'<text x="{label_width - 8}" y="{y + 12}" {_FONT} font-size="10" fill="#1a202c" '
            f'text-anchor="end">{_t(label)}</text>'
        )
        total = sum(r["counts"].get(s, 0) for s in statuses)
        cx = float(label_width)
        for s in statuses:
            n = r["counts"].get(s, 0)
            if not n:
                continue
            w = scale_w * n / biggest
            fill, ink = COLOURS.get(s, ("#cccccc", "#000000"))
            parts.append(
                f'<rect x="{cx:.2f}" y="{y}" width="{w:.2f}" height="{bar_h}" fill="{fill}" '
                'stroke="#718096" stroke-width="0.5"/>'
            )
            if w >= 14:
                parts.append(
                    f'<text x="{cx + w / 2:.2f}" y="{y + 12}" {_FONT} font-size="9" fill="{ink}" '
                    f'text-anchor="middle">{n}</text>'
                )
            cx += w
        parts.append(f'<text x="{cx + 6:.2f}" y="{y + 12}" {_FONT} font-size="9" fill="#4a5568">{total}</text>')
        y += bar_h + gap
    parts.append("</svg>")
    return "".join(parts)


def donut(
    counts: Mapping[str, int], statuses: Sequence[str], labels: Mapping[str, str], *, title: str, size: int = 150
) -> str:
    """A ring of status shares with the total in the middle (used on the summary page)."""
    import math

    total = sum(counts.get(s, 0) for s in statuses)
    r, stroke = size / 2 - 14, 22
    c = size / 2
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="donut" viewBox="0 0 {size} {size}" width="{size}" '
        f'height="{size}" role="img" aria-label="{_t(title)}"><title>{_t(title)}</title>'
    ]
    if total == 0:
        parts.append(f'<circle cx="{c}" cy="{c}" r="{r}" fill="none" stroke="#e2e8f0" stroke-width="{stroke}"/>')
    start = -math.pi / 2
    for s in statuses:
        n = counts.get(s, 0)
        if not n:
            continue
        fill, _ = COLOURS.get(s, ("#cccccc", "#000"))
        if n == total:
            parts.append(f'<circle cx="{c}" cy="{c}" r="{r}" fill="none" stroke="{fill}" stroke-width="{stroke}"/>')
            break
        end = start + 2 * math.pi * n / total
        x1, y1 = c + r * math.cos(start), c + r * math.sin(start)
        x2, y2 = c + r * math.cos(end), c + r * math.sin(end)
        large = 1 if end - start > math.pi else 0
        parts.append(
            f'<path d="M {x1:.2f} {y1:.2f} A {r:g} {r:g} 0 {large} 1 {x2:.2f} {y2:.2f}" fill="none" '
            f'stroke="{fill}" stroke-width="{stroke}"/>'
        )
        start = end
    parts.append(
        f'<text x="{c}" y="{c + 2}" {_FONT} font-size="22" font-weight="bold" fill="#1a202c" '
        f'text-anchor="middle">{total}</text>'
    )
    parts.append(
        f'<text x="{c}" y="{c + 18}" {_FONT} font-size="9" fill="#4a5568" text-anchor="middle">'
        f"{_t(labels.get('_total', 'total'))}</text>"
    )
    parts.append("</svg>")
    return "".join(parts)
