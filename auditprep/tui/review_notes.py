"""What review mode needs from the review file: reviewer comments and flags, kept apart from the evidence.

The review file itself belongs to :mod:`auditprep.review`; the TUI depends only on this small
interface so the screens stay the same whichever way the notes are stored. A target is written
``control:HRD-01`` or ``evidence:E1-00001``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol


@dataclass(frozen=True)
class Note:
    target: str
    kind: Literal["comment", "flag", "unflag"]
    text: str
    author: str
    at: datetime


class ReviewNotes(Protocol):
    def notes(self, target: str | None = None) -> Sequence[Note]:
        """Every note in the order written, or only those about ``target``."""
        ...

    def flagged(self) -> Mapping[str, Note]:
        """The targets flagged now, each with the note that flagged it."""
        ...

    def add_comment(self, target: str, text: str, *, author: str, at: datetime) -> None: ...

    def set_flag(self, target: str, flagged: bool, *, author: str, at: datetime, reason: str = "") -> None: ...


def control_target(control_id: str) -> str:
    return f"control:{control_id}"


def evidence_target(evidence_id: str) -> str:
    return f"evidence:{evidence_id}"
