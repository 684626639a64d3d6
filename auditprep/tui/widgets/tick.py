"""A checkbox whose two states differ by shape, not only by colour: a tick when on, blank when off
(colour-blind users and monochrome terminals read both)."""

from __future__ import annotations

from textual.widgets import Checkbox


class Tick(Checkbox):
    @property  # type: ignore[override]
    def BUTTON_INNER(self) -> str:  # noqa: N802 - the name Textual reads
        return "✓" if self.value else " "
