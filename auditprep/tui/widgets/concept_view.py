"""A concept explained: the shared text (as in the CLI and the report), wrapped to the pane's width."""

from __future__ import annotations

from textual.containers import VerticalScroll
from textual.events import Resize
from textual.widgets import Static

from auditprep.concepts import Environment, render_text
from auditprep.models import Concept


class ConceptView(VerticalScroll):
    DEFAULT_CSS = """
    ConceptView { padding: 0 1; scrollbar-gutter: stable; }
    ConceptView > Static { width: auto; }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.concept: Concept | None = None
        self.environment: Environment | None = None
        self._text = Static("", markup=False)
        self._width = 0

    def compose(self):  # type: ignore[no-untyped-def]
        yield self._text

    def show(self, concept: Concept | None, environment: Environment | None = None) -> None:
        self.concept = concept
        self.environment = environment
        self.scroll_home(animate=False)
        self._render_text()

    def set_environment(self, environment: Environment | None) -> None:
        self.environment = environment
        self._render_text()

    def _render_text(self) -> None:
        if self.concept is None:
            self._text.update("")
            return
        width = max(self.scrollable_content_region.width, 30) if self.size.width else 76
        self._width = width
        self._text.update(render_text(self.concept, width=width, environment=self.environment))

    def on_resize(self, event: Resize) -> None:
        if self.concept is not None and max(self.scrollable_content_region.width, 30) != self._width:
            self._render_text()
