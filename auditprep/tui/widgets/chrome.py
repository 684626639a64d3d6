"""The two lines at the top of every section: which engagement is open, and the sections."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.widgets import Label, Static

SECTION_LABELS = (
    ("dashboard", "Dashboard"),
    ("questionnaire", "Questionnaire"),
    ("evidence", "Evidence"),
    ("collect", "Collect"),
    ("report", "Report"),
    ("concepts", "Concepts"),
)


class TitleBar(Horizontal):
    """Engagement name and organisation, its frameworks, and a badge in review mode."""

    def __init__(self, app_title: str, title: str, detail: str = "", badge: str = "") -> None:
        super().__init__()
        self._app_title = app_title
        self._title = title
        self._detail = detail
        self._badge = badge

    def compose(self) -> ComposeResult:
        text = Content.assemble((self._app_title, "bold $accent"), "  ", (self._title, "bold"))
        if self._detail:
            text = Content.assemble(text, ("  " + self._detail, "$text-muted"))
        yield Label(text, id="title-text", markup=False)
        if self._badge:
            yield Label(self._badge, id="title-badge", markup=False)


class NavBar(Static):
    """The sections, with their number keys; the current one stands out. Clickable."""

    def __init__(self, current: str) -> None:
        super().__init__(self._content(current))
        self.current = current

    @staticmethod
    def _content(current: str) -> Content:
        parts: list[Content | str] = []
        for n, (key, label) in enumerate(SECTION_LABELS, start=1):
            style = "reverse bold $accent" if key == current else ""
            parts.append(
                Content.assemble(
                    (f" {n} ", f"bold {style}" if style else "bold $accent"), (f"{label} ", style)
                ).stylize(f"@click=app.section('{key}')")
            )
            parts.append(" ")
        return Content.assemble(*parts)
