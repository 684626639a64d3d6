"""The answer to "is it in place?": yes / partial / no / n-a, or nothing yet.

One light widget (no children) so moving between controls stays fast. Keys: ←/→ move, space or
enter chooses, and y, p, n, a choose directly. Clicking an option chooses it.
"""

from __future__ import annotations

from typing import ClassVar

from textual import events
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget

from auditprep.models import STATUS_ANSWERS

LABELS = {"yes": "Yes", "partial": "Partial", "no": "No", "n-a": "N/A"}
KEYS = {"y": "yes", "p": "partial", "n": "no", "a": "n-a"}


class StatusPicker(Widget, can_focus=True):
    DEFAULT_CSS = """
    StatusPicker { height: 1; width: auto; }
    StatusPicker:disabled { opacity: 0.7; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left", "move(-1)", "Previous", show=False),
        Binding("right", "move(1)", "Next", show=False),
        Binding("space,enter", "choose", "Choose", show=False),
        *(Binding(k, f"pick('{v}')", LABELS[v], show=False) for k, v in KEYS.items()),
    ]

    value: reactive[str] = reactive("", init=False)
    cursor: reactive[int] = reactive(0)

    class Changed(Message):
        def __init__(self, picker: StatusPicker, value: str) -> None:
            super().__init__()
            self.picker = picker
            self.value = value

        @property
        def control(self) -> StatusPicker:
            return self.picker

    def __init__(
        self, value: str = "", *, id: str | None = None, classes: str | None = None, disabled: bool = False
    ) -> None:
        super().__init__(id=id, classes=classes, disabled=disabled)
        self.set_reactive(StatusPicker.value, value)
        self.set_reactive(StatusPicker.cursor, STATUS_ANSWERS.index(value) if value in STATUS_ANSWERS else 0)
        self._offsets: list[tuple[int, int]] = []

    def load(self, value: str) -> None:
        """Show ``value`` without announcing a change (a control was opened, nothing was chosen)."""
        self.set_reactive(StatusPicker.value, value)
        self.set_reactive(StatusPicker.cursor, STATUS_ANSWERS.index(value) if value in STATUS_ANSWERS else 0)
        self.refresh()

    def render(self) -> Content:
        parts: list[Content] = []
        self._offsets = []
        x = 0
        for i, v in enumerate(STATUS_ANSWERS):
            chosen = v == self.value
            mark = "●" if chosen else "○"
            style = "bold $text-accent" if chosen else "$text-muted" if self.value else ""
            if self.has_focus and i == self.cursor:
                style = "reverse bold"
            text = f" {mark} {LABELS[v]} "
            self._offsets.append((x, x + len(text)))
            parts.append(Content.styled(text, style))
            parts.append(Content(" "))
            x += len(text) + 1
        return Content.assemble(*parts)

    def get_content_width(self, container, viewport) -> int:  # type: ignore[no-untyped-def]
        return sum(len(f" ○ {LABELS[v]} ") + 1 for v in STATUS_ANSWERS)

    def watch_cursor(self) -> None:
        self.refresh()

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

    def action_move(self, step: int) -> None:
        self.cursor = (self.cursor + step) % len(STATUS_ANSWERS)

    def action_choose(self) -> None:
        self.action_pick(STATUS_ANSWERS[self.cursor])

    def action_pick(self, value: str) -> None:
        self.cursor = STATUS_ANSWERS.index(value)
        if value != self.value:
            self.value = value
            self.refresh()
            self.post_message(self.Changed(self, value))

    def on_click(self, event: events.Click) -> None:
        for i, (start, end) in enumerate(self._offsets):
            if start <= event.x < end:
                self.action_pick(STATUS_ANSWERS[i])
                return
