"""The application: opens an engagement, holds the session, switches between the sections.

Everything it needs from the outside comes in through the constructor (``make_app`` passes it
on): the catalog, the clock, the actor, how to build collectors, how to render a report, where
the recent list lives and how review notes are stored. Tests and snapshots pass their own.
"""

from __future__ import annotations

import asyncio
import gc
import os
import signal
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

from textual import work
from textual.app import App
from textual.binding import Binding, BindingType
from textual.screen import Screen

from auditprep.application.recent import RecentList
from auditprep.catalog import Catalog
from auditprep.errors import AuditprepError
from auditprep.store import Engagement
from auditprep.tui.dependencies import (
    default_actor,
    default_collectors,
    default_package_opener,
    default_renderer,
    default_review_notes,
)
from auditprep.tui.messages import SessionReady
from auditprep.tui.navigation import Navigation
from auditprep.tui.review_notes import ReviewNotes
from auditprep.tui.sections import SECTIONS, settle_memory
from auditprep.tui.session import CollectPlan, Session

Clock = Callable[[], datetime]
CollectorFactory = Callable[[CollectPlan, Engagement], list[tuple[str, Any]]]
ReportRenderer = Callable[..., Any]
ReviewNotesFactory = Callable[..., ReviewNotes]
PackageOpener = Callable[[Path], Any]


def _commands(name: str) -> Callable[[], type]:
    def provider() -> type:
        from auditprep.tui import commands

        return getattr(commands, name)

    provider.__name__ = name
    return provider


class AuditprepApp(Navigation):
    """auditprep's guided session.

    ``engagement``: a file to open (an evidence package ``.zip`` opens for review), else the picker.
    Dependencies, each with a real default: ``catalog`` (a Catalog, or a loader called in a worker),
    ``clock``, ``actor`` (who answers and attests), ``collectors`` (CollectPlan, Engagement ->
    [(name, runner)]), ``render_report`` (``auditprep.report.render_report``'s signature),
    ``recent`` (the recent-engagements list), ``review_notes`` (opens the review file),
    ``open_package`` (extracts an evidence package), ``theme`` and ``start_dir`` (where new files go).
    """

    CSS_PATH = "app.tcss"
    COMMANDS = App.COMMANDS | {
        _commands("WorkspaceCommands"),
        _commands("ControlCommands"),
        _commands("ConceptCommands"),
    }
    TITLE = "auditprep"
    HORIZONTAL_BREAKPOINTS: ClassVar[list[tuple[int, str]]] = [(0, "-narrow"), (110, "-wide")]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+q", "quit", "Quit", priority=True, id="quit"),
        Binding("f1", "help", "Help", id="help"),
        *(
            Binding(str(n), f"section('{key}')", label, show=False, id=f"section-{key}")
            for n, (key, label) in enumerate(SECTIONS, start=1)
        ),
        Binding("ctrl+t", "toggle_theme", "Light/dark", show=False, id="toggle-theme"),
        # habits from other terminal tools; a text field keeps these keys as text
        Binding("question_mark", "help", "Help", show=False, id="help-key"),
        Binding("q", "quit", "Quit", show=False, id="quit-key"),
    ]

    def __init__(
        self,
        engagement: Path | None = None,
        *,
        review: bool = False,
        review_file: Path | None = None,
        title_suffix: str = "",
        catalog: Catalog | Callable[[], Catalog] | None = None,
        clock: Clock | None = None,
        actor: str | None = None,
        collectors: CollectorFactory | None = None,
        render_report: ReportRenderer | None = None,
        recent: RecentList | None = None,
        review_notes: ReviewNotesFactory | None = None,
        open_package: PackageOpener | None = None,
        theme: str | None = None,
        start_dir: Path | None = None,
    ) -> None:
        super().__init__()
        self._start_path = Path(engagement) if engagement else None
        self.review_mode = review
        self.review_file = review_file
        self.title_suffix = title_suffix
        self._catalog_source = catalog
        self._catalog: Catalog | None = catalog if isinstance(catalog, Catalog) else None
        self.clock = clock
        self._actor = actor
        self.collectors: CollectorFactory = collectors or default_collectors
        self.render_report: ReportRenderer = render_report or default_renderer
        self.recent = recent or RecentList()
        self.review_notes_factory: ReviewNotesFactory = review_notes or default_review_notes
        self.package_opener: PackageOpener = open_package or default_package_opener
        self.start_dir = start_dir or Path.cwd()
        self.session: Session | None = None
        self.section = ""
        if theme:
            self.theme = theme
        self.title = "auditprep" + (f" {title_suffix}" if title_suffix else "")

    # --- dependencies -------------------------------------------------------------------

    @property
    def actor(self) -> str:
        if self._actor is None:
            self._actor = default_actor()
        return self._actor

    def catalog(self) -> Catalog:
        """The catalog, loaded on first use (call from a worker: it reads every YAML file)."""
        if self._catalog is None:
            source = self._catalog_source
            if callable(source):
                self._catalog = source()
            else:
                from auditprep.catalog import load_catalog

                extra = os.environ.get("AUDITPREP_CONTROLS", "")
                self._catalog = load_catalog(extra_control_dirs=[Path(p) for p in extra.split(os.pathsep) if p])
        return self._catalog

    def now(self) -> datetime:
        if self.session is not None:
            return self.session.now()
        if self.clock is not None:
            return self.clock()
        from auditprep.collect.base import utcnow

        return utcnow()

    # --- start-up -----------------------------------------------------------------------

    def get_default_screen(self) -> Screen:
        from auditprep.tui.screens.start import StartScreen

        return StartScreen()

    def on_mount(self) -> None:
        self._handle_signals(True)
        if self._actor is None and not self.review_mode and self._unnamed():
            from auditprep.tui.dialogs.forms import NameDialog

            self.push_screen(NameDialog(), self._named)
            return
        self._start()

    @staticmethod
    def _unnamed() -> bool:
        from auditprep.application.identity import person
        from auditprep.errors import AuditprepError

        try:
            return person() is None
        except AuditprepError:
            return True

    def _named(self, settings: dict[str, str] | None) -> None:
        from auditprep.application.identity import save_settings
        from auditprep.errors import AuditprepError

        if settings:
            try:
                save_settings(settings)
            except (AuditprepError, OSError) as exc:
                self.notify(f"Your name could not be saved: {exc}", severity="warning")
        self._start()

    def _start(self) -> None:
        if self._start_path is not None:
            self.open_engagement(self._start_path, review=self.review_mode, review_file=self.review_file)
        else:
            self.show_picker()

    def show_picker(self) -> None:
        from auditprep.tui.screens.picker import PickerScreen

        self._leave_workspace()
        self.push_screen(PickerScreen())

    def open_engagement(self, path: Path, *, review: bool = False, review_file: Path | None = None) -> None:
        self._open(Path(path), review, review_file)

    @work(thread=True, exclusive=True, exit_on_error=False, group="open")
    def _open(self, path: Path, review: bool, review_file: Path | None) -> None:
        catalog = self.catalog()
        source, package, root_hash = path, None, None
        if path.suffix.lower() == ".zip":
            package = self.package_opener(path)  # an evidence package is always opened for review
            path, review = package.engagement_path, True
            root_hash = package.manifest.root_hash
        kwargs: dict[str, Any] = {"readonly": review}
        if self.clock is not None:
            kwargs["clock"] = self.clock
        engagement = Engagement.open(path, **kwargs)
        try:
            notes = (
                self.review_notes_factory(review_file, engagement, source=source, package_root_hash=root_hash)
                if review
                else None
            )
            session = Session(engagement, catalog, actor=self.actor, review=notes, label=source.name, package=package)
            session.warm()
        except BaseException:
            engagement.close()
            if package is not None:
                package.close()
            raise
        self.post_message(SessionReady(session))

    @work(thread=True, exclusive=True, exit_on_error=False, group="open")
    def create_engagement(self, spec: dict[str, Any]) -> None:
        """Create a new engagement file from the picker's form, then open it."""
        from auditprep.application.engagements import NewEngagement, create_engagement

        catalog = self.catalog()
        path: Path = spec["path"]
        request = NewEngagement(
            path, spec["frameworks"], spec["name"], spec["organisation"], scope=tuple(spec.get("scope", ()))
        )
        engagement = create_engagement(request, catalog, actor=self.actor, recent=self.recent, clock=self.clock)
        try:
            session = Session(engagement, catalog, actor=self.actor, label=path.name)
            session.warm()
        except BaseException:
            engagement.close()
            raise
        self.post_message(SessionReady(session))

    def on_session_ready(self, message: SessionReady) -> None:
        self._leave_workspace()
        self.session = message.session
        session = message.session
        if not session.reviewing:
            self.recent.remember(session.engagement.path, session.info.name, self.now())
        from auditprep.tui.screens.collect import CollectScreen
        from auditprep.tui.screens.concepts import ConceptsScreen
        from auditprep.tui.screens.dashboard import DashboardScreen
        from auditprep.tui.screens.evidence import EvidenceScreen
        from auditprep.tui.screens.questionnaire import QuestionnaireScreen
        from auditprep.tui.screens.report import ReportScreen

        for name, cls in (
            ("dashboard", DashboardScreen),
            ("questionnaire", QuestionnaireScreen),
            ("evidence", EvidenceScreen),
            ("collect", CollectScreen),
            ("report", ReportScreen),
            ("concepts", ConceptsScreen),
        ):
            self.install_screen(cls(session), name)
        org = f" ({session.info.organisation})" if session.info.organisation else ""
        self.sub_title = f"{session.info.name}{org}"
        # the picker (or the start screen's message) gives way to the dashboard
        while len(self.screen_stack) > 1:
            self.pop_screen()
        self.section = "dashboard"
        self.push_screen("dashboard")
        self.call_after_refresh(settle_memory)

    def _leave_workspace(self) -> None:
        """Save and close the open engagement and forget its screens."""
        if self.session is None:
            return
        self.save_everything()
        while len(self.screen_stack) > 1:
            self.pop_screen()
        for name, _ in SECTIONS:
            if self.is_screen_installed(name):
                self.uninstall_screen(name)
        self._close_session()

    def _close_session(self) -> None:
        if self.session is None:
            return
        try:
            self.session.close()  # flushes, closes the file, removes an opened package's folder
        except AuditprepError:
            pass
        self.session = None
        self.section = ""
        gc.unfreeze()

    def on_unmount(self) -> None:
        self._close_session()
        self._handle_signals(False)

    def _handle_signals(self, install: bool) -> None:
        """A terminal closed (SIGHUP) or a polite kill (SIGTERM) quits the way ctrl+q does: saved."""
        try:
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGTERM, signal.SIGHUP):
                if install:
                    loop.add_signal_handler(sig, lambda: self.call_later(self.action_quit))
                else:
                    loop.remove_signal_handler(sig)
        except (NotImplementedError, RuntimeError, ValueError, AttributeError):
            pass  # not the main thread, or a platform without these signals

    # --- saving -------------------------------------------------------------------------

    def save_everything(self) -> None:
        """Write whatever is still staged (typing not yet saved). Safe to call at any time."""
        if self.session is None:
            return
        try:
            self._capture_widgets()
            self.session.flush()
        except AuditprepError as exc:
            self.show_error(exc)

    def _capture_widgets(self) -> None:
        from auditprep.tui.screens.base import SectionScreen

        for name, _ in SECTIONS:
            if self.is_screen_installed(name):
                screen = self.get_screen(name)
                if isinstance(screen, SectionScreen) and screen.is_mounted:
                    try:
                        screen.capture()
                    except AuditprepError:
                        pass

    async def action_quit(self) -> None:
        # Keys typed just before ctrl+q may still wait in the focused field's queue: let it
        # process them first, so the last characters are saved too.
        focused = self.screen.focused
        if focused is not None:
            drained = asyncio.Event()
            focused.call_later(drained.set)
            try:
                await asyncio.wait_for(drained.wait(), timeout=1.0)
            except TimeoutError:
                pass
        self.save_everything()
        self.exit(0)

    def _handle_exception(self, error: Exception) -> None:
        # A bug must not cost the team what they typed: save before Textual shuts down.
        try:
            if self.session is not None:
                self._capture_widgets()
                self.session.flush()
        except Exception:
            pass
        super()._handle_exception(error)
