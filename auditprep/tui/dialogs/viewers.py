"""Read-only viewers: the raw (redacted) evidence JSON, and the concepts behind a control."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Label, LoadingIndicator, OptionList, Select, TextArea
from textual.widgets.option_list import Option
from textual.worker import Worker

from auditprep.models import Concept
from auditprep.tui.dialogs.base import Dialog
from auditprep.tui.messages import EnvironmentLoaded, TextLoaded
from auditprep.tui.session import Session


class EvidenceDialog(Dialog[None]):
    """The stored evidence item, exactly as kept (secrets were redacted before storing)."""

    def __init__(self, session: Session, evidence_ids: list[str], title: str) -> None:
        super().__init__()
        self.session = session
        self.evidence_ids = evidence_ids
        self.title_text = title

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box wide-box"):
            yield Label(self.title_text, classes="dialog-title", markup=False)
            if len(self.evidence_ids) > 1:
                yield Select(
                    [(eid, eid) for eid in self.evidence_ids],
                    value=self.evidence_ids[0],
                    allow_blank=False,
                    id="evidence-pick",
                    compact=True,
                )
            yield LoadingIndicator(id="evidence-loading")
            yield TextArea("", read_only=True, id="evidence-json", soft_wrap=True, show_cursor=True)
            yield Label("[b]escape[/b] close   [b]ctrl+c[/b] copy the selection", classes="dialog-hint")

    def on_mount(self) -> None:
        if self.evidence_ids:
            self.load(self.evidence_ids[0])
        else:
            self.query_one("#evidence-loading").display = False
            self.query_one("#evidence-json", TextArea).load_text("No evidence item is linked to this finding.")

    @on(Select.Changed, "#evidence-pick")
    def _pick(self, event: Select.Changed) -> None:
        if isinstance(event.value, str):
            self.load(event.value)

    def load(self, evidence_id: str) -> None:
        self.query_one("#evidence-loading").display = True
        self._load(evidence_id)

    @work(thread=True, exclusive=True, exit_on_error=False)
    def _load(self, evidence_id: str) -> None:
        self.post_message(TextLoaded(evidence_id, self.session.evidence_document(evidence_id)))

    def on_text_loaded(self, message: TextLoaded) -> None:
        self.query_one("#evidence-loading").display = False
        area = self.query_one("#evidence-json", TextArea)
        area.load_text(message.text)
        area.focus()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        self.app.on_worker_state_changed(event)  # type: ignore[attr-defined]


class ConceptDialog(Dialog[None]):
    """The concepts a control names, explained for the assessor and tailored to the evidence."""

    def __init__(self, session: Session, concepts: list[Concept], heading: str) -> None:
        super().__init__()
        self.session = session
        self.concepts = concepts
        self.heading = heading

    def compose(self) -> ComposeResult:
        from auditprep.tui.widgets.concept_view import ConceptView

        with Vertical(classes="dialog-box wide-box"):
            yield Label(self.heading, classes="dialog-title", markup=False)
            with Horizontal(id="concept-dialog-body"):
                if len(self.concepts) > 1:
                    yield OptionList(*(Option(c.name, id=c.key) for c in self.concepts), id="concept-pick")
                yield ConceptView(id="concept-dialog-view")
            yield Label("[b]escape[/b] close   [b]↑↓[/b] choose a concept", classes="dialog-hint")

    def on_mount(self) -> None:
        from auditprep.tui.widgets.concept_view import ConceptView

        view = self.query_one(ConceptView)
        view.show(self.concepts[0] if self.concepts else None, self.session.cached_environment())
        if len(self.concepts) > 1:
            self.query_one("#concept-pick").focus()
        else:
            view.focus()
        if self.session.cached_environment() is None:
            self._environment()

    @on(OptionList.OptionHighlighted, "#concept-pick")
    def _pick(self, event: OptionList.OptionHighlighted) -> None:
        from auditprep.tui.widgets.concept_view import ConceptView

        concept = next(c for c in self.concepts if c.key == event.option.id)
        self.query_one(ConceptView).show(concept, self.session.cached_environment())

    @work(thread=True, exclusive=True, exit_on_error=False)
    def _environment(self) -> None:
        self.post_message(EnvironmentLoaded(self.session.environment()))

    def on_environment_loaded(self, message: EnvironmentLoaded) -> None:
        from auditprep.tui.widgets.concept_view import ConceptView

        self.query_one(ConceptView).set_environment(message.environment)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        self.app.on_worker_state_changed(event)  # type: ignore[attr-defined]


class TextDialog(Dialog[None]):
    """A read-only text (an attachment's provenance, a summary) that can be selected and copied."""

    def __init__(self, title: str, text: str) -> None:
        super().__init__()
        self.title_text = title
        self.text = text

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box wide-box"):
            yield Label(self.title_text, classes="dialog-title", markup=False)
            yield TextArea(self.text, read_only=True, id="text-view", soft_wrap=True)
            yield Label("[b]escape[/b] close", classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one("#text-view").focus()
