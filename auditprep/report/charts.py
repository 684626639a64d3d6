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


def _lines(label: str, chars: int, most: int = 3) -> list[str]:
    """A label broken into lines of about ``chars`` characters at spaces; never cut short."""
    words, lines = label.split(), [""]
    for word in words:
        if lines[-1] and len(lines[-1]) + 1 + len(word) > chars and len(lines) < most:
            lines.append(word)
        else:
            lines[-1] = f"{lines[-1]} {word}".strip()
    return lines


# Font sizes are in SVG units: the bar chart is 660 units drawn about 176 mm wide (0.76 pt a unit) and
# the ring 150 units drawn 34 mm wide (0.64 pt a unit), so these keep every printed label at 8 pt or more.
_BAR_TEXT = 11
_RING_TEXT = 13


def stacked_bars(
    rows: Sequence[Mapping[str, Any]],
    statuses: Sequence[str],
    labels: Mapping[str, str],
    *,
    title: str,
    label_width: int = 210,
    width: int = 660,
) -> str:
    """One horizontal bar per row (``{"label", "counts"}``), segments in ``statuses`` order.

    Every segment carries its count: inside it where the number fits, else just below the bar (so a
    thin segment is never left unlabelled, and the chart still reads printed in grey). Row labels
    wrap onto more lines instead of being cut short.
    """
    bar_h, below, top = 16, 13, 30
    used = [s for s in statuses if any(r["counts"].get(s, 0) for r in rows)] or list(statuses[:1])
    scale_w = width - label_width - 40
    biggest = max((sum(r["counts"].get(s, 0) for s in statuses) for r in rows), default=1) or 1
    body: list[str] = []
    # legend, wrapped onto as many lines as it needs
    x, legend_y = 0.0, 6
    for s in used:
        fill, _ = COLOURS.get(s, ("#cccccc", "#000000"))
        text = labels.get(s, s)
        step = 22 + len(text) * 6.2
        if x and x + step > width:
            x, legend_y = 0.0, legend_y + 16
        body.append(
            f'<rect x="{x:g}" y="{legend_y}" width="10" height="10" rx="2" fill="{fill}" stroke="#718096" '
            'stroke-width="0.5"/>'
        )
        body.append(
            f'<text x="{x + 14:g}" y="{legend_y + 9}" {_FONT} font-size="{_BAR_TEXT}" fill="#2d3748">{_t(text)}</text>'
        )
        x += step
    y = legend_y + top
    for r in rows:
        lines = _lines(str(r["label"]), int(label_width / 6.3))
        label_h = 13 * len(lines)
        for n, line in enumerate(lines):
            body.append(
                f'<text x="{label_width - 8}" y="{y + 12 + 13 * n}" {_FONT} font-size="{_BAR_TEXT}" fill="#1a202c" '
                f'text-anchor="end">{_t(line)}</text>'
            )
        total = sum(r["counts"].get(s, 0) for s in statuses)
        cx = float(label_width)
        last_below = -1e9  # right edge of the previous number written below the bar
        has_below = False
        for s in statuses:
            n = r["counts"].get(s, 0)
            if not n:
                continue
            w = scale_w * n / biggest
            fill, ink = COLOURS.get(s, ("#cccccc", "#000000"))
            body.append(
                f'<rect x="{cx:.2f}" y="{y}" width="{w:.2f}" height="{bar_h}" fill="{fill}" '
                f'stroke="#718096" stroke-width="0.5"><title>{_t(labels.get(s, s))}: {n}</title></rect>'
            )
            need = 6.4 * len(str(n)) + 4
            if w >= need:
                body.append(
                    f'<text x="{cx + w / 2:.2f}" y="{y + 12}" {_FONT} font-size="{_BAR_TEXT}" fill="{ink}" '
                    f'text-anchor="middle">{n}</text>'
                )
            else:
                at = max(cx + w / 2, last_below + need / 2 + 2)
                last_below = at + need / 2
                has_below = True
                body.append(
                    f'<line x1="{cx + w / 2:.2f}" y1="{y + bar_h}" x2="{at:.2f}" y2="{y + bar_h + 3}" stroke="{fill}" '
                    'stroke-width="1"/>'
                )
                body.append(
                    f'<text x="{at:.2f}" y="{y + bar_h + below}" {_FONT} font-size="{_BAR_TEXT}" fill="#1a202c" '
                    f'text-anchor="middle">{n}</text>'
                )
            cx += w
        body.append(
            f'<text x="{cx + 6:.2f}" y="{y + 12}" {_FONT} font-size="{_BAR_TEXT}" fill="#4a5568">{total}</text>'
        )
        y += max(bar_h + (below + 2 if has_below else 0), label_h) + 8
    height = y + 4
    head = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{_t(title)}">',
        f"<title>{_t(title)}</title>",
    ]
    return "".join([*head, *body, "</svg>"])


def donut(
    counts: Mapping[str, int], statuses: Sequence[str], labels: Mapping[str, str], *, title: str, size: int = 150
) -> str:
    """A ring of status shares with the total in the middle, each share's count on its segment where
    it fits, and a legend naming every status present with its count (so the ring reads without colour)."""
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
    numbers = []
    for s in statuses:
        n = counts.get(s, 0)
        if not n:
            continue
        fill, ink = COLOURS.get(s, ("#cccccc", "#000"))
        end = start + 2 * math.pi * n / total
        if n == total:
            parts.append(f'<circle cx="{c}" cy="{c}" r="{r}" fill="none" stroke="{fill}" stroke-width="{stroke}"/>')
        else:
            x1, y1 = c + r * math.cos(start), c + r * math.sin(start)
            x2, y2 = c + r * math.cos(end), c + r * math.sin(end)
            large = 1 if end - start > math.pi else 0
            parts.append(
                f'<path d="M {x1:.2f} {y1:.2f} A {r:g} {r:g} 0 {large} 1 {x2:.2f} {y2:.2f}" fill="none" '
                f'stroke="{fill}" stroke-width="{stroke}"><title>{_t(labels.get(s, s))}: {n}</title></path>'
            )
        if (end - start) * r >= 8 * len(str(n)) + 6:  # the arc is long enough to hold the number
            mid = (start + end) / 2 if n != total else -math.pi / 2
            numbers.append(
                f'<text x="{c + r * math.cos(mid):.2f}" y="{c + r * math.sin(mid) + 4.5:.2f}" {_FONT} '
                f'font-size="{_RING_TEXT}" font-weight="bold" fill="{ink}" text-anchor="middle">{n}</text>'
            )
        start = end
    parts.extend(numbers)
    parts.append(
        f'<text x="{c}" y="{c + 2}" {_FONT} font-size="24" font-weight="bold" fill="#1a202c" '
        f'text-anchor="middle">{total}</text>'
    )
    parts.append(
        f'<text x="{c}" y="{c + 19}" {_FONT} font-size="{_RING_TEXT}" fill="#4a5568" text-anchor="middle">'
        f"{_t(labels.get('_total', 'total'))}</text>"
    )
    parts.append("</svg>")
    legend = "".join(
        f'<li><span class="swatch" style="background:{COLOURS.get(s, ("#cccccc", ""))[0]}"></span>'
        f"{_t(labels.get(s, s))} <b>{counts[s]}</b></li>"
        for s in statuses
        if counts.get(s, 0)
    )
    return f'<figure class="donut-figure">{"".join(parts)}<figcaption><ul class="donut-legend">{legend}</ul></figcaption></figure>'
