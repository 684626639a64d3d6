"""Concepts and their diagrams as plain terminal text (``auditprep explain``, the TUI)."""

from __future__ import annotations

import re
import textwrap
from collections.abc import Mapping, Sequence

from auditprep.concepts.labels import FRAMEWORK_LABELS
from auditprep.concepts.tailoring import Environment, tailored_note
from auditprep.models import FRAMEWORK_IDS, Concept, Diagram

_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _plain(text: str) -> str:
    """Text safe to print: no terminal control sequences, whitespace collapsed."""
    return " ".join(_CONTROL_CHARS.sub("", text).split())


def _wrap(text: str, width: int, indent: str = "", hanging: str | None = None) -> list[str]:
    return textwrap.wrap(
        _plain(text),
        width=max(width, len(indent) + 8),
        initial_indent=indent,
        subsequent_indent=indent if hanging is None else hanging,
        break_on_hyphens=False,
    ) or [indent.rstrip()]


def render_text(concept: Concept, width: int = 80, environment: Environment | None = None) -> str:
    """The concept as plain text for the terminal, every line at most ``width`` characters."""
    lines: list[str] = []
    lines += _wrap(f"{concept.name} ({concept.key})", width)
    if concept.aliases:
        lines += _wrap("Also called: " + ", ".join(concept.aliases), width, "", "  ")
    lines.append("")
    lines += _wrap(concept.explanation, width)
    lines += ["", "Why it matters for the audit"]
    lines += _wrap(concept.why_it_matters, width, "  ")
    note = tailored_note(concept, environment) if environment is not None else None
    if note:
        lines += ["", "In this environment"]
        lines += _wrap(note, width, "  ")
    lines += ["", "Evidence auditprep collects"]
    for item in concept.evidence:
        lines += _wrap(item, width, "  - ", "    ")
    if concept.requirements:
        lines += ["", "Requirements"]
        order = [f for f in FRAMEWORK_IDS if f in concept.requirements]
        order += sorted(f for f in concept.requirements if f not in FRAMEWORK_IDS)
        for framework in order:
            label = FRAMEWORK_LABELS.get(framework, framework)
            lines += _wrap(f"{label}: {', '.join(concept.requirements[framework])}", width, "  ", "    ")
    if concept.related:
        lines += [""]
        lines += _wrap("Related: " + ", ".join(concept.related), width, "", "  ")
    if concept.diagram is not None:
        lines += ["", diagram_text(concept.diagram, width)]
    return "\n".join(lines).rstrip() + "\n"


def render_index(concepts: Mapping[str, Concept], width: int = 80) -> str:
    """One line per concept (key, then name) for ``auditprep explain`` with no term."""
    if not concepts:
        return ""
    key_width = min(max(len(k) for k in concepts), max(width // 2, 10))
    lines = []
    for key, concept in concepts.items():
        lead = key.ljust(key_width) + "  "
        lines += _wrap(concept.name, width, lead, " " * len(lead))
    return "\n".join(lines) + "\n"


def diagram_text(diagram: Diagram, width: int = 80) -> str:
    """The diagram drawn with box-drawing characters, no line wider than ``width``.

    A flow is drawn left to right when it fits, otherwise top to bottom; a columns diagram is an
    aligned table whose cells wrap to fit.
    """
    width = max(width, 24)
    title = _wrap(diagram.title, width)
    if diagram.kind == "columns":
        body = _table_text(_column_cells(diagram), width)
    elif not diagram.nodes:
        body = []
    else:
        body = _flow_across(diagram, width) or _flow_down(diagram, width)
    return "\n".join(title + [""] + body)


def _box(lines: Sequence[str], inner: int, height: int) -> list[str]:
    padded = list(lines) + [""] * (height - len(lines))
    return (
        ["┌" + "─" * (inner + 2) + "┐"]
        + [f"│ {line.ljust(inner)} │" for line in padded]
        + ["└" + "─" * (inner + 2) + "┘"]
    )


def _cell_wrap(text: str, width: int) -> list[str]:
    return textwrap.wrap(_plain(text), width, break_on_hyphens=False) or [""]


def _node_lines(label: str, detail: str, inner: int) -> list[str]:
    lines = _cell_wrap(label, inner)
    if detail:
        lines += _cell_wrap(detail, inner)
    return lines


def _flow_across(diagram: Diagram, width: int) -> list[str] | None:
    inners = [max(len(_plain(n.label)), min(len(_plain(n.detail)), 16)) for n in diagram.nodes]
    arrow = " ──▶ "
    total = sum(i + 4 for i in inners) + len(arrow) * (len(inners) - 1)
    if total > width:
        return None
    contents = [_node_lines(n.label, n.detail, i) for n, i in zip(diagram.nodes, inners, strict=True)]
    height = max(len(c) for c in contents)
    boxes = [_box(c, i, height) for c, i in zip(contents, inners, strict=True)]
    middle = 1 + (height - 1) // 2
    rows = []
    for r in range(height + 2):
        joint = arrow if r == middle else " " * len(arrow)
        rows.append(joint.join(box[r] for box in boxes).rstrip())
    return rows


def _flow_down(diagram: Diagram, width: int) -> list[str]:
    longest = max([len(_plain(n.label)) for n in diagram.nodes] + [len(_plain(n.detail)) for n in diagram.nodes])
    inner = max(min(longest, width - 4), 1)
    centre = " " * ((inner + 4) // 2)
    rows: list[str] = []
    for index, node in enumerate(diagram.nodes):
        if index:
            rows += [centre + "│", centre + "▼"]
        content = _node_lines(node.label, node.detail, inner)
        rows += _box(content, inner, len(content))
    return rows


def _column_cells(diagram: Diagram) -> list[list[str]]:
    """The columns as a grid: first row headings, then one row per label."""
    columns = [(str(c.get("heading", "")), [str(r) for r in c.get("rows", ())]) for c in diagram.columns]
    if not columns:
        return []
    height = max(len(rows) for _, rows in columns)
    grid = [[_plain(heading) for heading, _ in columns]]
    for r in range(height):
        grid.append([_plain(rows[r]) if r < len(rows) else "" for _, rows in columns])
    return grid


def _fit_widths(natural: list[int], preferred: list[int], budget: int, floor: int) -> list[int]:
    """Shrink the widest columns until the table fits: first down to each column's longest word,
    then below it (words are then split) but never under ``floor``."""
    widths = list(natural)
    for limits in (preferred, [floor] * len(widths)):
        while sum(widths) > budget:
            candidates = [i for i in range(len(widths)) if widths[i] > max(limits[i], floor)]
            if not candidates:
                break
            widest = max(candidates, key=lambda i: widths[i])
            widths[widest] -= 1
    return widths


def _table_text(grid: list[list[str]], width: int) -> list[str]:
    if not grid:
        return []
    count = len(grid[0])
    natural = [max(len(row[c]) for row in grid) or 1 for c in range(count)]
    budget = width - 3 * count - 1
    floor = max(1, min(6, budget // count))
    words = [max((len(word) for row in grid for word in row[c].split()), default=1) for c in range(count)]
    widths = _fit_widths(natural, words, budget, floor)

    def rule(left: str, mid: str, right: str) -> str:
        return left + mid.join("─" * (w + 2) for w in widths) + right

    out = [rule("┌", "┬", "┐")]
    for index, row in enumerate(grid):
        cells = [_cell_wrap(text, w) for text, w in zip(row, widths, strict=True)]
        for line in range(max(len(c) for c in cells)):
            parts = [(c[line] if line < len(c) else "").ljust(w) for c, w in zip(cells, widths, strict=True)]
            out.append("│ " + " │ ".join(parts) + " │")
        out.append(rule("└", "┴", "┘") if index == len(grid) - 1 else rule("├", "┼", "┤"))
    return out
