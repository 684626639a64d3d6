"""The question form: a widget per answer type, saved as the team works.

Choices (the status, a Select) are written at once. Typing (narratives, text, dates, numbers) is
staged in the session and written after a short pause, when the field loses focus, when another
control is opened and on quit, so nothing typed is ever lost and the history is not flooded.

The form is built once with as many slots as the longest control has questions; opening a
control loads its questions into the slots instead of building new widgets, which keeps moving
through the control tree fast.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.events import DescendantBlur
from textual.message import Message
from textual.timer import Timer
from textual.validation import Number
from textual.widget import Widget
from textual.widgets import Input, Label, Select, TextArea

from auditprep.errors import AuditprepError
from auditprep.models import Control, Question, QuestionType
from auditprep.tui.dialogs.forms import DateValidator
from auditprep.tui.session import Session
from auditprep.tui.widgets.status_picker import StatusPicker

DEBOUNCE = 0.8
NARRATIVE_HINT = "How is this done, and what would an assessor look at?"
NARRATIVE_WAITS = "Choose yes / partial / no / n-a first, then describe how."
QUIET = (StatusPicker.Changed, TextArea.Changed, Select.Changed, Input.Changed)


class QuestionSlot(Vertical):
    """One question: its text and the one input widget its type needs (the others stay hidden)."""

    def __init__(self, index: int) -> None:
        super().__init__(classes="question-slot", id=f"slot{index}")
        self.index = index
        self.question: Question | None = None

    def compose(self) -> ComposeResult:
        i = self.index
        yield Label("", classes="question", markup=False)
        yield Label("", classes="question-help", markup=False)
        yield StatusPicker(id=f"q{i}-status", classes="answer")
        yield TextArea(id=f"q{i}-narrative", classes="narrative answer")
        yield Select([("-", "-")], prompt="Choose…", id=f"q{i}-choice", compact=True, classes="answer")
        yield Input(
            id=f"q{i}-date",
            placeholder="YYYY-MM-DD",
            validators=[DateValidator()],
            max_length=10,
            restrict=r"[0-9-]*",
            compact=True,
            classes="short-input answer",
        )
        yield Input(
            id=f"q{i}-number",
            placeholder="a number",
            validators=[Number()],
            type="number",
            compact=True,
            classes="short-input answer",
        )
        yield TextArea(id=f"q{i}-text", classes="narrative answer")
        yield Label("", classes="field-problem", id=f"q{i}-problem")

    def widget(self, kind: str) -> Widget:
        return self.query_one(f"#q{self.index}-{kind}")

    def load(self, question: Question | None, value: str, narrative: str, locked: bool) -> None:
        self.question = question
        if question is None:
            self.display = False
            return
        self.display = True
        self.query_one(".question", Label).update(question.text)
        help_label = self.query_one(".question-help", Label)
        help_label.update(question.help)
        help_label.display = bool(question.help)
        shown = {
            QuestionType.STATUS: ("status", "narrative"),
            QuestionType.CHOICE: ("choice",),
            QuestionType.DATE: ("date",),
            QuestionType.NUMBER: ("number",),
            QuestionType.TEXT: ("text",),
        }[question.type]
        for kind in ("status", "narrative", "choice", "date", "number", "text"):
            widget = self.widget(kind)
            widget.display = kind in shown
            if kind in shown:
                widget.disabled = locked and kind not in ("narrative", "text")
        problem = self.query_one(f"#q{self.index}-problem", Label)
        problem.display = False
        if question.type is QuestionType.STATUS:
            picker = self.widget("status")
            assert isinstance(picker, StatusPicker)
            picker.load(value)
            area = self.widget("narrative")
            assert isinstance(area, TextArea)
            area.load_text(narrative)
            area.read_only = locked or not value
            area.placeholder = NARRATIVE_HINT if value else NARRATIVE_WAITS
        elif question.type is QuestionType.CHOICE:
            select = self.widget("choice")
            assert isinstance(select, Select)
            select.set_options([(c, c) for c in question.choices])
            select.value = value if value in question.choices else Select.NULL
        elif question.type in (QuestionType.DATE, QuestionType.NUMBER):
            field = self.widget("date" if question.type is QuestionType.DATE else "number")
            assert isinstance(field, Input)
            field.value = value
        else:
            area = self.widget("text")
            assert isinstance(area, TextArea)
            area.load_text(value)
            area.read_only = locked


class QuestionForm(Vertical):
    class Saved(Message):
        """Answers of ``control_id`` were written (the tree and the header update)."""

        def __init__(self, control_id: str) -> None:
            super().__init__()
            self.control_id = control_id

    def __init__(self, session: Session, slots: int) -> None:
        super().__init__(id="question-form")
        self.session = session
        self.slots = max(slots, 1)
        self.control: Control | None = None
        self._timer: Timer | None = None

    def compose(self) -> ComposeResult:
        for i in range(self.slots):
            yield QuestionSlot(i)
        yield Label("", id="save-state", classes="muted")

    def load(self, control: Control) -> None:
        """Show ``control``'s questions and current answers (nothing is written by loading)."""
        self.flush()
        self.control = control
        locked = self.session.readonly
        with self.prevent(*QUIET):
            for i, slot in enumerate(self.query(QuestionSlot).results(QuestionSlot)):
                q = control.questions[i] if i < len(control.questions) else None
                value, narrative = self.session.current(q.id) if q else ("", "")
                slot.load(q, value, narrative, locked)
        self.query_one("#save-state", Label).update(self._saved_text())

    def _saved_text(self) -> str:
        if self.control is None:
            return ""
        if self.session.readonly:
            return "Read-only: answers are shown as recorded."
        times = [a.answered_at for q in self.control.questions if (a := self.session.answers().get(q.id))]
        if not times:
            return "Not answered yet. Every change is saved as you go."
        return f"✓ Saved {max(times):%Y-%m-%d %H:%M} UTC."

    def first_field(self) -> Widget | None:
        for slot in self.query(QuestionSlot).results(QuestionSlot):
            if slot.question is None:
                break
            for widget in slot.query(".answer"):
                if widget.display and widget.focusable:
                    return widget
        return None

    @staticmethod
    def _slot(widget: Widget) -> QuestionSlot | None:
        node = widget.parent
        return node if isinstance(node, QuestionSlot) else None

    def _question(self, widget: Widget) -> Question | None:
        slot = self._slot(widget)
        return slot.question if slot is not None else None

    def _problem(self, widget: Widget, text: str) -> None:
        slot = self._slot(widget)
        if slot is None:
            return
        label = slot.query_one(".field-problem", Label)
        label.update(text)
        label.display = bool(text)

    # --- saving -------------------------------------------------------------------------

    def _write_now(self, q: Question, value: str, narrative: str) -> None:
        if (value, narrative) == self.session.current(q.id):
            return
        try:
            changed = self.session.record_answer(q.id, value, narrative)
        except AuditprepError as exc:
            self.app.show_error(exc)  # type: ignore[attr-defined]
            return
        if changed:
            self._after_save()

    def _stage(self, q: Question, value: str, narrative: str) -> None:
        if (value, narrative) == self.session.current(q.id):
            return
        try:
            self.session.stage(q.id, value, narrative)
        except AuditprepError as exc:
            self.app.show_error(exc)  # type: ignore[attr-defined]
            return
        self.query_one("#save-state", Label).update("● Typing… saved after a pause, or when you leave the field.")
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(DEBOUNCE, self.flush)

    def capture(self) -> None:
        """Stage what the fields hold now, even keys whose messages are still queued (quit, crash)."""
        if self.session.readonly or self.control is None:
            return
        for slot in self.query(QuestionSlot).results(QuestionSlot):
            q = slot.question
            if q is None:
                continue
            current = self.session.current(q.id)
            if q.type is QuestionType.STATUS:
                area = slot.widget("narrative")
                assert isinstance(area, TextArea)
                if current[0] and not area.read_only and area.text != current[1]:
                    self.session.stage(q.id, current[0], area.text)
            elif q.type is QuestionType.TEXT:
                area = slot.widget("text")
                assert isinstance(area, TextArea)
                if (area.text, "") != current and (area.text or current[0]):
                    self.session.stage(q.id, area.text, "")
            elif q.type in (QuestionType.DATE, QuestionType.NUMBER):
                field = slot.widget("date" if q.type is QuestionType.DATE else "number")
                assert isinstance(field, Input)
                try:
                    value = self.session.validate(q.id, field.value.strip()) if field.value.strip() else ""
                except AuditprepError:
                    continue
                if value and (value, "") != current:
                    self.session.stage(q.id, value, "")

    def flush(self) -> None:
        """Write whatever is staged now."""
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        if not self.session.has_pending:
            return
        try:
            changed = self.session.flush()
        except AuditprepError as exc:
            self.app.show_error(exc)  # type: ignore[attr-defined]
            return
        for control_id in changed:
            self.post_message(self.Saved(control_id))
        self.query_one("#save-state", Label).update(self._saved_text())

    def _after_save(self) -> None:
        self.query_one("#save-state", Label).update(self._saved_text())
        if self.control is not None:
            self.post_message(self.Saved(self.control.id))

    # --- events -------------------------------------------------------------------------

    @on(StatusPicker.Changed)
    def _status(self, event: StatusPicker.Changed) -> None:
        event.stop()
        slot = self._slot(event.picker)
        q = slot.question if slot else None
        if slot is None or q is None or q.type is not QuestionType.STATUS:
            return
        area = slot.widget("narrative")
        assert isinstance(area, TextArea)
        self._write_now(q, event.value, area.text if not area.read_only else self.session.current(q.id)[1])
        if not self.session.readonly:
            area.read_only = False
            area.placeholder = NARRATIVE_HINT

    @on(TextArea.Changed)
    def _typed(self, event: TextArea.Changed) -> None:
        event.stop()
        area = event.text_area
        q = self._question(area)
        if q is None or area.read_only:
            return
        if q.type is QuestionType.STATUS and area.id and area.id.endswith("-narrative"):
            value, _ = self.session.current(q.id)
            if value:
                self._stage(q, value, area.text)
        elif q.type is QuestionType.TEXT and area.id and area.id.endswith("-text"):
            self._stage(q, area.text, "")

    @on(Select.Changed)
    def _chosen(self, event: Select.Changed) -> None:
        event.stop()
        q = self._question(event.select)
        if q is None or q.type is not QuestionType.CHOICE or not isinstance(event.value, str):
            return
        if event.value in q.choices:
            self._write_now(q, event.value, "")

    @on(Input.Changed)
    def _entered(self, event: Input.Changed) -> None:
        event.stop()
        q = self._question(event.input)
        if q is None or q.type not in (QuestionType.DATE, QuestionType.NUMBER):
            return
        text = event.value.strip()
        if not text:
            self._problem(event.input, "")
            self.session.unstage(q.id)
            return
        try:
            value = self.session.validate(q.id, text)
        except AuditprepError as exc:
            self._problem(event.input, exc.message)
            self.session.unstage(q.id)
            return
        self._problem(event.input, "")
        self._stage(q, value, "")

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.flush()

    def on_descendant_blur(self, event: DescendantBlur) -> None:
        self.flush()

    def on_unmount(self) -> None:
        if self._timer is not None:
            self._timer.stop()
        try:
            self.session.flush()
        except AuditprepError:
            pass
