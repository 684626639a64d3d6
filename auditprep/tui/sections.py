"""The assistant's sections, and a memory setting the screens share."""

from __future__ import annotations

import gc

SECTIONS: tuple[tuple[str, str], ...] = (
    ("dashboard", "Dashboard"),
    ("questionnaire", "Questionnaire"),
    ("evidence", "Evidence"),
    ("collect", "Collect"),
    ("report", "Report"),
    ("concepts", "Concepts"),
)


def settle_memory() -> None:
    """Move what is loaded so far out of the garbage collector's way.

    An open engagement holds many long-lived objects (findings, evidence rows); without this, the
    collector's full passes over them show up as 100 ms hitches while moving through controls.
    """
    gc.freeze()
