"""What every section screen shares: the top bars, the footer, and refreshing when data moved."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual import events
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer, Input, TextArea
from textual.worker import Worker

from auditprep.errors import AuditprepError
from auditprep.tui.widgets.chrome import NavBar, TitleBar

if TYPE_CHECKING:
    from auditprep.tui.app import AuditprepApp
    from auditprep.tui.session import Session


class SectionScreen(Screen[None]):
    """One section of the workspace. Subclasses compose ``body`` and implement ``refresh_data``."""

    SECTION = ""

    def __init__(self, session: Session) -> None:
        super().__init__(classes=f"section {self.SECTION}")
        self.session = session
        self._seen_revision = -1

    @property
    def auditprep(self) -> AuditprepApp:
        return cast("AuditprepApp", self.app)

    def compose(self) -> ComposeResult:
        s = self.session
        frameworks = ", ".join(s.framework_label(f) for f in s.frameworks)
        detail = " · ".join(x for x in (s.info.organisation, frameworks) if x)
        badge = "REVIEW · read-only" if s.reviewing else ("read-only" if s.readonly else "")
        yield TitleBar(self.app.title, s.info.name, detail, badge)
        yield NavBar(self.SECTION)
        yield from self.body()
        yield Footer()

    def body(self) -> ComposeResult:
        yield from ()

    def on_mount(self) -> None:
        self._seen_revision = self.session.revision

    def on_key(self, event: events.Key) -> None:
        # Escape leaves a text field, so the section keys (1-6, q, ?) work again instead of being typed
        if event.key == "escape" and isinstance(self.focused, (Input, TextArea)):
            event.stop()
            event.prevent_default()
            chain = self.focus_chain
            start = chain.index(self.focused) if self.focused in chain else -1
            rest = chain[start + 1 :] + chain[: start + 1]
            self.set_focus(next((w for w in rest if not isinstance(w, (Input, TextArea))), None))

    def on_screen_resume(self) -> None:
        if self.session.revision != self._seen_revision:
            self._seen_revision = self.session.revision
            self.refresh_data()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        # one policy for every worker: the app's handler turns a failure into the error dialog
        self.auditprep.on_worker_state_changed(event)

    def capture(self) -> None:
        """Stage edits still held only by widgets (called before saving on quit or crash)."""

    def refresh_data(self) -> None:
        """Show the session's current data again (called when something was written elsewhere)."""

    def mark_seen(self) -> None:
        self._seen_revision = self.session.revision

    def attempt(self, action, *args, **kwargs):  # type: ignore[no-untyped-def]
        """Run a session call; a user-facing failure becomes the error dialog. Returns None then."""
        try:
            return action(*args, **kwargs)
        except AuditprepError as exc:
            self.auditprep.show_error(exc)
            return None
