"""The screen under everything: shown while an engagement opens."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Center, Middle
from textual.screen import Screen
from textual.widgets import Label, LoadingIndicator


class StartScreen(Screen[None]):
    """Stays at the bottom of the stack for the whole session, so its spinner runs only while it is
    the screen on view: an animation under the workspace would redraw the screen sixteen times a
    second for nobody."""

    def compose(self) -> ComposeResult:
        with Middle(), Center(id="start-centre"):
            yield Label("Opening the engagement…", id="start-message")
            yield LoadingIndicator()

    def on_screen_suspend(self) -> None:
        for spinner in self.query(LoadingIndicator):
            spinner.remove()

    def on_screen_resume(self) -> None:
        if not self.query(LoadingIndicator):
            self.query_one("#start-centre", Center).mount(LoadingIndicator())
