"""Plain-text tables for the terminal (no dependency, predictable widths)."""

from __future__ import annotations

import re
from collections.abc import Sequence

# C0 controls but tab and newline, DEL, C1 controls (CSI/OSC introducers), and the bidirectional
# overrides that reorder what a reader sees. ESC goes, so no OSC/CSI sequence reaches the terminal.
_UNPRINTABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


# whole escape sequences first, so their payload does not linger as text: OSC/DCS/APC/PM/SOS strings
# (to BEL or ST), CSI sequences (7- and 8-bit), then any other ESC-introduced pair
_SEQUENCE = re.compile(
    "(?:\x1b[\\]P_^X]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\\\|\x9c)?"
    "|(?:\x1b\\[|\x9b)[0-?]*[ -/]*[@-~]?"
    "|\x1b[ -/]*[0-~]?"
)


def printable(text: str) -> str:
    """``text`` safe to write to a terminal: escape sequences and control characters removed, lines and tabs kept."""
    return _UNPRINTABLE.sub("", _SEQUENCE.sub("", text))


def table(rows: Sequence[Sequence[str]], *, right: Sequence[int] = ()) -> str:
    if not rows:
        return ""
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for row in rows:
        cells = []
        for i, cell in enumerate(row):
            cell = str(cell)
            cells.append(cell.rjust(widths[i]) if i in right else cell.ljust(widths[i]))
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)
