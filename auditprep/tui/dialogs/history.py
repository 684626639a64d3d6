"""A control's history: its state after each collection, its share of the period, stale evidence
and drift, loaded in a worker so a long history never blocks the screen."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Label, LoadingIndicator, TextArea
from textual.worker import Worker

from auditprep.tui.dialogs.base import Dialog
from auditprep.tui.messages import TextLoaded
from auditprep.tui.session import Session


class ControlHistoryDialog(Dialog[None]):
    def __init__(self, session: Session, control_id: str) -> None:
        super().__init__()
        self.session = session
        self.control_id = control_id

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box wide-box"):
            yield Label(f"{self.control_id}: history over the period", classes="dialog-title", markup=False)
            yield LoadingIndicator(id="history-loading")
            yield TextArea("", read_only=True, id="history-text", soft_wrap=True)
            yield Label("[b]escape[/b] close", classes="dialog-hint")

    def on_mount(self) -> None:
        self.run_worker(self._load, thread=True, exclusive=True, exit_on_error=False)

    def _load(self) -> None:
        from auditprep.evaluate.history import control_text

        s = self.session
        self.post_message(TextLoaded(self.control_id, control_text(s.engagement, s.catalog, self.control_id, s.now())))

    def on_text_loaded(self, message: TextLoaded) -> None:
        self.query_one("#history-loading").display = False
        area = self.query_one("#history-text", TextArea)
        area.load_text(message.text)
        area.focus()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        self.app.on_worker_state_changed(event)  # type: ignore[attr-defined]
