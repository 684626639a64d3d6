"""Typed messages that thread workers post back to the screens (attributes down, messages up)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.message import Message

if TYPE_CHECKING:
    from auditprep.collect.base import Progress
    from auditprep.collect.run import CollectSummary
    from auditprep.concepts import Environment
    from auditprep.models import Evidence
    from auditprep.tui.session import CollectionState, Session


class SessionReady(Message):
    """An engagement was opened and its posture computed; the workspace can be shown."""

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session


class CollectionLoaded(Message):
    def __init__(self, state: CollectionState, revision: int) -> None:
        super().__init__()
        self.state = state
        self.revision = revision


class EvidenceLoaded(Message):
    def __init__(self, items: list[Evidence], revision: int) -> None:
        super().__init__()
        self.items = items
        self.revision = revision


class CollectProgress(Message):
    """Progress of one source/scope/service; a newer report replaces an older unread one."""

    def __init__(self, progress: Progress) -> None:
        super().__init__()
        self.progress = progress

    @property
    def key(self) -> tuple[str, str, str]:
        p = self.progress
        return (p.source, p.scope, p.service)

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, CollectProgress) and message.key == self.key


class CollectFinished(Message):
    def __init__(self, summary: CollectSummary | None, cancelled: bool) -> None:
        super().__init__()
        self.summary = summary
        self.cancelled = cancelled


class ReportStep(Message):
    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


class ReportRendered(Message):
    def __init__(self, path: Path, detail: Any = None) -> None:
        super().__init__()
        self.path = path
        self.detail = detail


class TextLoaded(Message):
    """A piece of text loaded off the UI thread (raw evidence JSON, a tailored explanation)."""

    def __init__(self, key: str, text: str) -> None:
        super().__init__()
        self.key = key
        self.text = text


class EnvironmentLoaded(Message):
    """Which platforms the evidence shows, for tailored explanations."""

    def __init__(self, environment: Environment) -> None:
        super().__init__()
        self.environment = environment
