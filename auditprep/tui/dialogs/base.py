"""A modal dialog with a title, a body and buttons; Escape cancels (dismisses with None)."""

from __future__ import annotations

from typing import ClassVar, TypeVar

from textual.binding import Binding, BindingType
from textual.screen import ModalScreen

T = TypeVar("T")


class Dialog(ModalScreen[T]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel", priority=True, id="dialog-cancel")]

    def __init__(self) -> None:
        super().__init__(classes="dialog")

    def action_cancel(self) -> None:
        self.dismiss(None)

    def show_problem(self, text: str) -> None:
        from textual.widgets import Label

        for label in self.query(".problem").results(Label):
            label.update(text)
            label.display = bool(text)
