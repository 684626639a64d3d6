"""What the assistant does from anywhere: move between sections, jump to a control, a concept,
a collection or a report, show help and errors, and the palette's application-wide commands.

A part of :class:`~auditprep.tui.app.AuditprepApp`, kept apart so each file reads in one sitting.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from textual.app import App, SystemCommand
from textual.screen import ModalScreen, Screen
from textual.worker import Worker, WorkerState

from auditprep.errors import AuditprepError

if TYPE_CHECKING:
    from auditprep.tui.session import Session


class Navigation(App[int]):
    """Navigation, help and errors; the application supplies ``session``, ``section``,
    ``save_everything`` and ``show_picker``."""

    session: Session | None
    section: str

    def save_everything(self) -> None:  # pragma: no cover - provided by the application
        raise NotImplementedError

    def show_picker(self) -> None:  # pragma: no cover - provided by the application
        raise NotImplementedError

    # --- navigation ---------------------------------------------------------------------

    def action_section(self, name: str) -> None:
        if self.session is None or not self.is_screen_installed(name):
            return
        if isinstance(self.screen, ModalScreen):
            return
        self.save_everything()
        self.section = name
        self.switch_screen(name)

    def goto_control(self, control_id: str) -> None:
        if self.session is None:
            return
        self.action_section("questionnaire")
        screen = self.get_screen("questionnaire")
        screen.call_after_refresh(screen.show_control, control_id)  # type: ignore[attr-defined]

    def explain_concept(self, key: str) -> None:
        if self.session is None:
            return
        self.action_section("concepts")
        screen = self.get_screen("concepts")
        screen.call_after_refresh(screen.show_concept, key)  # type: ignore[attr-defined]

    def run_collection(self) -> None:
        if self.session is None or self.session.readonly:
            return
        self.action_section("collect")
        screen = self.get_screen("collect")
        screen.call_after_refresh(screen.action_start)  # type: ignore[attr-defined]

    def render_from_palette(self, framework: str, fmt: str) -> None:
        if self.session is None:
            return
        self.action_section("report")
        screen = self.get_screen("report")

        def go() -> None:
            screen.prefill(framework, fmt)  # type: ignore[attr-defined]
            screen.call_after_refresh(screen.action_render)  # type: ignore[attr-defined]

        screen.call_after_refresh(go)

    def action_help(self) -> None:
        from auditprep.tui.dialogs.help import HelpDialog

        self.push_screen(HelpDialog())

    def action_toggle_theme(self) -> None:
        self.theme = "textual-light" if self.current_theme.dark else "textual-dark"

    def action_open_other(self) -> None:
        self.show_picker()

    # --- errors -------------------------------------------------------------------------

    def show_error(self, error: BaseException | None) -> None:
        from auditprep.tui.dialogs.error import ErrorDialog

        if isinstance(error, AuditprepError):
            title, message = error.title, error.message
        elif isinstance(error, OSError):
            where = f" {error.filename}" if getattr(error, "filename", None) else ""
            title, message = "File error", f"Could not access{where}: {error.strerror or error}."
        else:
            title = "Unexpected error"
            message = f"{type(error).__name__}: {error}. Nothing that was saved is lost; please report this."
        self.push_screen(ErrorDialog(title, message))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR:
            if event.worker.group == "open" and self.session is None and len(self.screen_stack) <= 1:
                self.show_picker()  # nothing opened: the picker, under the error
            self.show_error(event.worker.error)

    # --- command palette ----------------------------------------------------------------

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Toggle light / dark", "Switch between the light and dark theme", self.action_toggle_theme)
        yield SystemCommand("Help", "Keys and how auditprep works", self.action_help)
        if self.session is not None:
            yield SystemCommand(
                "Open another engagement", "Save, close this one and go to the picker", self.action_open_other
            )
