"""Concept diagrams as SVG for the PDF report."""

from __future__ import annotations

import re
from collections.abc import Sequence
from xml.sax.saxutils import escape, quoteattr

from auditprep.concepts.text import _cell_wrap, _column_cells, _plain
from auditprep.models import Diagram

_XML_INVALID = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_FONT = 'font-family="sans-serif"'
_INK = "#1f2937"
_LINE = "#4b5563"
_FILL = "#f3f4f6"
_HEAD = "#e5e7eb"


def _x(text: str) -> str:
    """Escaped text content, with characters XML cannot carry removed."""
    return escape(_XML_INVALID.sub("", text))


def _text_block(
    lines: Sequence[str], x: float, y: float, size: int, line_height: int, bold: bool = False, anchor: str = "middle"
) -> str:
    weight = ' font-weight="bold"' if bold else ""
    spans = "".join(f'<tspan x="{x:g}" y="{y + i * line_height:g}">{_x(line)}</tspan>' for i, line in enumerate(lines))
    return f'<text {_FONT} font-size="{size}" fill="{_INK}" text-anchor="{anchor}"{weight}>{spans}</text>'


def diagram_svg(diagram: Diagram, standalone: bool = False) -> str:
    """The diagram as a self-contained SVG: no links, scripts, fonts or images from anywhere.

    Meant to be inlined into the HTML report. ``standalone=True`` adds the SVG namespace
    declaration, which a separate ``.svg`` file needs to be recognised.
    """
    if diagram.kind == "columns":
        body, w, h = _columns_svg(diagram)
    else:
        body, w, h = _flow_svg(diagram)
    namespace = ' xmlns="http://www.w3.org/2000/svg"' if standalone else ""
    return (
        f'<svg{namespace} viewBox="0 0 {w:g} {h:g}" width="{w:g}" height="{h:g}" role="img" '
        f"aria-label={quoteattr(_XML_INVALID.sub('', diagram.title))}>"
        f"<title>{_x(diagram.title)}</title>{body}</svg>"
    )


def _flow_svg(diagram: Diagram) -> tuple[str, float, float]:
    box_w, gap, margin, per_row = 128, 24, 8, 4
    label_chars, detail_chars, line_h = 16, 19, 15
    title_h = 34
    contents = [
        (_cell_wrap(n.label, label_chars), _cell_wrap(n.detail, detail_chars) if n.detail else [])
        for n in diagram.nodes
    ]
    rows = [contents[i : i + per_row] for i in range(0, len(contents), per_row)] or [[]]
    heights = [max((12 + line_h * (len(lab) + len(det)) for lab, det in row), default=40) for row in rows]
    columns = min(len(contents), per_row) or 1
    width = max(margin * 2 + columns * box_w + (columns - 1) * gap, _title_width(diagram.title, margin))
    row_gap = 32
    height = title_h + sum(heights) + row_gap * (len(rows) - 1) + margin
    parts = [_text_block([diagram.title], margin, 22, 14, line_h, bold=True, anchor="start")]
    y = float(title_h)
    for r, row in enumerate(rows):
        row_h = heights[r]
        for c, (label, detail) in enumerate(row):
            x = margin + c * (box_w + gap)
            parts.append(
                f'<rect x="{x:g}" y="{y:g}" width="{box_w}" height="{row_h}" rx="6" fill="{_FILL}" '
                f'stroke="{_LINE}" stroke-width="1.2"/>'
            )
            top = y + 6 + line_h - 3
            parts.append(_text_block(label, x + box_w / 2, top, 12, line_h, bold=True))
            if detail:
                parts.append(_text_block(detail, x + box_w / 2, top + line_h * len(label), 11, line_h))
            if c < len(row) - 1:
                ax, ay = x + box_w, y + row_h / 2
                parts.append(_arrow([(ax + 2, ay), (ax + gap - 2, ay)]))
        if r < len(rows) - 1:
            last_x = margin + (len(row) - 1) * (box_w + gap) + box_w / 2
            first_x = margin + box_w / 2
            bottom, mid, next_top = y + row_h, y + row_h + row_gap / 2, y + row_h + row_gap
            parts.append(_arrow([(last_x, bottom + 2), (last_x, mid), (first_x, mid), (first_x, next_top - 2)]))
        y += row_h + row_gap
    return "".join(parts), width, height


def _title_width(title: str, margin: float) -> float:
    return 2 * margin + len(_plain(title)) * 8.6  # 14px bold


def _arrow(points: Sequence[tuple[float, float]]) -> str:
    """A polyline ending in a drawn arrowhead (no markers, so no ids to clash between diagrams)."""
    path = " ".join(f"{x:g},{y:g}" for x, y in points)
    (x1, y1), (x2, y2) = points[-2], points[-1]
    if x1 == x2:
        step = 1 if y2 > y1 else -1
        head = [(x2, y2), (x2 - 4, y2 - 7 * step), (x2 + 4, y2 - 7 * step)]
    else:
        step = 1 if x2 > x1 else -1
        head = [(x2, y2), (x2 - 7 * step, y2 - 4), (x2 - 7 * step, y2 + 4)]
    head_points = " ".join(f"{x:g},{y:g}" for x, y in head)
    return (
        f'<polyline points="{path}" fill="none" stroke="{_LINE}" stroke-width="1.4"/>'
        f'<polygon points="{head_points}" fill="{_LINE}"/>'
    )


def _columns_svg(diagram: Diagram) -> tuple[str, float, float]:
    grid = _column_cells(diagram)
    margin, pad, line_h, title_h = 8, 8, 15, 34
    plain_w, bold_w = 6.1, 6.9  # average advance of 11px sans-serif, regular and bold
    if not grid:
        return _text_block([diagram.title], margin, 22, 14, line_h, bold=True, anchor="start"), 200.0, 50.0
    count = len(grid[0])
    caps = [26] + [18] * (count - 1)
    chars = [max(6, min(cap, max(len(row[c]) for row in grid))) for c, cap in enumerate(caps)]
    wrapped = [[_cell_wrap(text, ch) for text, ch in zip(row, chars, strict=True)] for row in grid]
    col_w = [
        max(len(line) * (bold_w if (r == 0 or c == 0) else plain_w) for r, row in enumerate(wrapped) for line in row[c])
        + 2 * pad
        for c in range(count)
    ]
    row_h = [max(len(cell) for cell in row) * line_h + 2 * pad - 2 for row in wrapped]
    width = max(margin * 2 + sum(col_w), _title_width(diagram.title, margin))
    height = title_h + sum(row_h) + margin
    parts = [_text_block([diagram.title], margin, 22, 14, line_h, bold=True, anchor="start")]
    y = float(title_h)
    for r, row in enumerate(wrapped):
        x = float(margin)
        for c, cell in enumerate(row):
            fill = _HEAD if r == 0 else (_FILL if c == 0 else "#ffffff")
            parts.append(
                f'<rect x="{x:g}" y="{y:g}" width="{col_w[c]:g}" height="{row_h[r]:g}" fill="{fill}" '
                f'stroke="{_LINE}" stroke-width="0.8"/>'
            )
            parts.append(
                _text_block(cell, x + pad, y + pad + line_h - 4, 11, line_h, bold=(r == 0 or c == 0), anchor="start")
            )
            x += col_w[c]
        y += row_h[r]
    return "".join(parts), width, height
