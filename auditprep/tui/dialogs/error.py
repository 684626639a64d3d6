"""The one error dialog: an AuditprepError's title and its one-sentence message."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Label

from auditprep.tui.dialogs.base import Dialog


class ErrorDialog(Dialog[None]):
    def __init__(self, title: str, message: str) -> None:
        super().__init__()
        self.title_text = title
        self.message = message

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box error-box"):
            yield Label(self.title_text, classes="dialog-title", markup=False)
            yield Label(self.message, classes="dialog-text", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("OK", variant="error", id="ok")

    def on_mount(self) -> None:
        self.query_one("#ok").focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(None)
