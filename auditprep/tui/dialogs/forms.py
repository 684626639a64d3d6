"""Small forms: attest, record an exception (with its worksheet), attach manual evidence, write a reviewer note."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.validation import Integer, ValidationResult, Validator
from textual.widgets import Button, Input, Label, TextArea

from auditprep.errors import InvalidInput
from auditprep.store.workpapers import WORKSHEET_FIELDS
from auditprep.tui.dialogs.base import Dialog
from auditprep.tui.session import parse_day


class DateValidator(Validator):
    """YYYY-MM-DD, a real calendar date."""

    def validate(self, value: str) -> ValidationResult:
        if not value.strip():
            return self.success()
        try:
            date.fromisoformat(value.strip())
        except ValueError:
            return self.failure("Write the date as YYYY-MM-DD.")
        return self.success()


def buttons(ok: str, variant: str = "primary") -> Horizontal:
    return Horizontal(Button(ok, variant=variant, id="ok"), Button("Cancel", id="cancel"), classes="dialog-buttons")


class FormDialog(Dialog):
    """A dialog whose OK button (or ctrl+s) calls ``submit``; Cancel and Escape dismiss with None."""

    BINDINGS = [("ctrl+s", "submit", "Save")]

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#ok")
    def _ok(self) -> None:
        self.action_submit()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.input_submitted(event.input)

    def input_submitted(self, field: Input) -> None:
        self.action_submit()

    def action_submit(self) -> None:
        try:
            result = self.submit()
        except InvalidInput as exc:
            self.show_problem(exc.message)
            return
        if result is not None:
            self.dismiss(result)

    def submit(self):  # type: ignore[no-untyped-def]
        raise NotImplementedError


class AttestDialog(FormDialog):
    """Attest a control: the attester and time are recorded; ask when it must be re-attested."""

    def __init__(self, control_id: str, title: str, default_days: int = 365) -> None:
        super().__init__()
        self.control_id = control_id
        self.control_title = title
        self.default_days = default_days

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Label(f"Attest {self.control_id}", classes="dialog-title")
            yield Label(
                f"You confirm that the answers to {self.control_id} ({self.control_title}) are accurate "
                "today. Your name and the time are recorded.",
                classes="dialog-text",
                markup=False,
            )
            yield Label("Re-attest after (days)")
            yield Input(
                str(self.default_days), id="days", validators=[Integer(minimum=1, maximum=3650)], type="integer"
            )
            yield Label("", classes="problem")
            yield buttons("Attest")

    def on_mount(self) -> None:
        self.query_one("#days", Input).focus()

    def submit(self) -> int:
        text = self.query_one("#days", Input).value.strip()
        if not text.isdigit() or not 1 <= int(text) <= 3650:
            raise InvalidInput("Re-attest after a whole number of days between 1 and 3650.")
        return int(text)


@dataclass(frozen=True)
class ExceptionRequest:
    owner: str
    rationale: str
    expires: date
    worksheet: dict[str, str]  # compensating-control worksheet fields the team filled in (may be partial)


class ExceptionDialog(FormDialog):
    """Record an exception (a risk acceptance) with its owner, rationale and expiry."""

    def __init__(self, control_id: str, today: date, owner: str = "") -> None:
        super().__init__()
        self.control_id = control_id
        self.today = today
        self.owner = owner

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Label(f"Record an exception for {self.control_id}", classes="dialog-title")
            yield Label("Owner (who accepts the risk)")
            yield Input(self.owner, id="owner", placeholder="name or role")
            yield Label("Rationale and compensating measures")
            yield TextArea(id="rationale", classes="short-text")
            yield Label("Expires (YYYY-MM-DD)")
            yield Input(
                id="expires", placeholder="YYYY-MM-DD", validators=[DateValidator()], max_length=10, restrict=r"[0-9-]*"
            )
            yield Label(
                "Compensating control worksheet (an assessor needs every field; an empty one is reported incomplete)",
                classes="dialog-text",
            )
            with VerticalScroll(classes="worksheet-fields"):
                for key, label, help_text in WORKSHEET_FIELDS:
                    yield Label(label)
                    yield Input(id=f"ws-{key}", placeholder=help_text)
            yield Label("", classes="problem")
            yield buttons("Record exception", "warning")

    def on_mount(self) -> None:
        self.query_one("#owner", Input).focus()

    def input_submitted(self, field: Input) -> None:
        if field.id == "owner":
            self.query_one("#rationale").focus()
        else:
            self.action_submit()

    def submit(self) -> ExceptionRequest:
        owner = self.query_one("#owner", Input).value.strip()
        rationale = self.query_one("#rationale", TextArea).text.strip()
        if not owner:
            raise InvalidInput("Name the owner who accepts the risk.")
        if not rationale:
            raise InvalidInput("Say why the control is not met and what compensates for it.")
        expires = parse_day(self.query_one("#expires", Input).value)
        if expires <= self.today:
            raise InvalidInput("An exception must expire in the future.")
        worksheet = {key: self.query_one(f"#ws-{key}", Input).value.strip() for key, _, _ in WORKSHEET_FIELDS}
        return ExceptionRequest(owner, rationale, expires, {k: v for k, v in worksheet.items() if v})


@dataclass(frozen=True)
class AttachRequest:
    path: Path
    control_id: str | None
    description: str


class AttachDialog(FormDialog):
    """Attach manual evidence (a runbook, a policy PDF, a screenshot) with what it shows."""

    def __init__(self, control_id: str | None = None, known_controls: frozenset[str] = frozenset()) -> None:
        super().__init__()
        self.control_id = control_id
        self.known = known_controls

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Label("Attach manual evidence", classes="dialog-title")
            yield Label("File")
            yield Input(id="path", placeholder="path of a runbook, policy PDF or screenshot")
            yield Label("Control it supports (optional)")
            yield Input(self.control_id or "", id="control", placeholder="e.g. IR-01", max_length=7)
            yield Label("What it shows")
            yield Input(id="description", placeholder="e.g. signed incident response runbook, v3")
            yield Label("", classes="problem")
            yield buttons("Attach")

    def on_mount(self) -> None:
        self.query_one("#path", Input).focus()

    def submit(self) -> AttachRequest:
        raw = self.query_one("#path", Input).value.strip()
        if not raw:
            raise InvalidInput("Give the path of the file to attach.")
        path = Path(raw).expanduser()
        if not path.is_file():
            raise InvalidInput(f"{path} is not a file.")
        control = self.query_one("#control", Input).value.strip().upper() or None
        if control and self.known and control not in self.known:
            raise InvalidInput(f"There is no control {control}.")
        return AttachRequest(path, control, self.query_one("#description", Input).value)


class NoteDialog(FormDialog):
    """A reviewer comment on a control or an evidence item (kept in the review file)."""

    def __init__(self, target_label: str, history: str = "") -> None:
        super().__init__()
        self.target_label = target_label
        self.history = history

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Label(f"Comment on {self.target_label}", classes="dialog-title", markup=False)
            if self.history:
                yield Label(self.history, classes="dialog-text muted", markup=False)
            yield TextArea(id="comment", classes="short-text")
            yield Label("", classes="problem")
            yield buttons("Add comment")

    def on_mount(self) -> None:
        self.query_one("#comment").focus()

    def submit(self) -> str:
        text = self.query_one("#comment", TextArea).text.strip()
        if not text:
            raise InvalidInput("Write the comment first.")
        return text


class NameDialog(FormDialog):
    """First start: who is using auditprep, so answers and attestations carry a real name."""

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Label("Who are you?", classes="dialog-title")
            yield Label(
                "Every answer, attestation and exception records the person who made it, and an assessor reads "
                "those names in the report. This is saved in your auditprep settings (change it later with "
                "'auditprep config set name ...').",
                classes="dialog-text",
                markup=False,
            )
            yield Label("Your name")
            yield Input(id="name", placeholder="Dana Reyes")
            yield Label("Email (optional)")
            yield Input(id="email", placeholder="dana@example.com")
            yield Label("", classes="problem")
            yield buttons("Save")

    def on_mount(self) -> None:
        self.query_one("#name", Input).focus()

    def input_submitted(self, field: Input) -> None:
        if field.id == "name":
            self.query_one("#email", Input).focus()
        else:
            self.action_submit()

    def submit(self) -> dict[str, str]:
        name = self.query_one("#name", Input).value.strip()
        email = self.query_one("#email", Input).value.strip()
        if not name:
            raise InvalidInput("Write your name; it is what the report shows beside your answers.")
        return {"name": name, **({"email": email} if email else {})}
