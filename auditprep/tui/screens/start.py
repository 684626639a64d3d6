"""The screen under everything: shown while an engagement opens."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Center, Middle
from textual.screen import Screen
from textual.widgets import Label, LoadingIndicator


class StartScreen(Screen[None]):
    def compose(self) -> ComposeResult:
        with Middle(), Center():
            yield Label("Opening the engagement…", id="start-message")
            yield LoadingIndicator()
