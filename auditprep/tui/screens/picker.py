"""The engagement picker: recent engagements, a new one, or a file or evidence package to open."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, cast

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Button, Footer, Label, OptionList, Static
from textual.widgets.option_list import Option

from auditprep.application.recent import RecentEngagement

if TYPE_CHECKING:
    from auditprep.tui.app import AuditprepApp

INTRO = (
    "Prepare container workloads on AWS for PCI DSS, HIPAA, HITRUST and FedRAMP assessments: "
    "answer the questionnaires, collect evidence, and hand the assessor a report."
)


class PickerScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "new", "New", id="picker-new"),
        Binding("o", "open_file", "Open file", id="picker-open"),
        Binding("delete", "forget", "Forget", id="picker-forget"),
    ]

    @property
    def auditprep(self) -> AuditprepApp:
        return cast("AuditprepApp", self.app)

    def compose(self) -> ComposeResult:
        with Vertical(id="picker"):
            yield Label(
                Content.assemble(("auditprep", "bold $accent"), "  container audit preparation"), id="picker-title"
            )
            yield Static(INTRO, id="picker-intro")
            yield Label("Recent engagements", classes="heading")
            yield OptionList(id="recent")
            with Horizontal(id="picker-buttons"):
                yield Button("New engagement", id="new", variant="primary")
                yield Button("Open file or package", id="open")
            yield Static("New here? [b]auditprep demo[/b] opens a ready engagement to explore.", id="picker-hint")
        yield Footer()

    def on_mount(self) -> None:
        self.entries = self.auditprep.recent.load()
        options = self.query_one("#recent", OptionList)
        options.add_options([self._option(e) for e in self.entries])
        if not self.entries:
            options.add_option(Option("No engagements yet: create one, or open a file.", disabled=True))
            self.query_one("#new").focus()
        else:
            options.highlighted = 0
            options.focus()

    @staticmethod
    def _option(entry: RecentEngagement) -> Option:
        when = entry.opened_at[:10]
        name = entry.name or entry.path.stem
        if entry.exists:
            text = Content.assemble((name, "bold"), "  ", (f"{entry.path}", "$text-muted"), f"  {when}")
        else:
            text = Content.assemble((name, "strike"), "  ", (f"{entry.path} (missing)", "$text-error"))
        return Option(text, id=str(entry.path))

    @on(OptionList.OptionSelected, "#recent")
    def _open_recent(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.auditprep.open_engagement(Path(event.option.id))

    @on(Button.Pressed, "#new")
    def action_new(self) -> None:
        from auditprep.tui.dialogs.engagement import CreateEngagementDialog

        def created(spec: dict | None) -> None:
            if spec:
                self.auditprep.create_engagement(spec)

        self.app.push_screen(CreateEngagementDialog(self.auditprep.start_dir), created)

    @on(Button.Pressed, "#open")
    def action_open_file(self) -> None:
        from auditprep.tui.dialogs.engagement import OpenFileDialog

        def chosen(path: Path | None) -> None:
            if path:
                self.auditprep.open_engagement(path)

        self.app.push_screen(OpenFileDialog(self.auditprep.start_dir), chosen)

    def action_forget(self) -> None:
        options = self.query_one("#recent", OptionList)
        if options.highlighted is None:
            return
        option = options.get_option_at_index(options.highlighted)
        if option.id:
            self.auditprep.recent.forget(Path(option.id))
            options.remove_option(option.id)
