"""Record the decision on a HIPAA addressable implementation specification (164.306(d)(3))."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Label, Select, TextArea

from auditprep.errors import InvalidInput
from auditprep.store.workpapers import DECISIONS, NEEDS_RATIONALE
from auditprep.tui.dialogs.forms import FormDialog, buttons

if TYPE_CHECKING:
    from auditprep.tui.session import Session


def addressable_specs(session: Session, control_id: str | None = None) -> list[tuple[str, str]]:
    """(id, title) of every addressable HIPAA specification, those ``control_id`` informs first."""
    fw = session.catalog.frameworks.get("hipaa")
    if fw is None or "hipaa" not in session.engagement.info().frameworks:
        return []
    mine = set(session.catalog.requirements_of(control_id, "hipaa")) if control_id else set()
    specs = [(r.id, r.title) for r in fw.requirements if r.designation == "addressable"]
    return sorted(specs, key=lambda s: s[0] not in mine)


def record(session: Session, req: DecisionRequest) -> bool:
    """Record the decision as the session's actor (refused in a read-only session)."""
    from auditprep.store.workpapers import record_decision

    session._refuse_if_readonly()  # noqa: SLF001 - the session's own guard
    specs = [s for s, _ in addressable_specs(session)]
    record_decision(session.engagement, req.specification, req.decision, req.rationale, session.actor, specs)
    return True


def current(session: Session) -> dict[str, str]:
    from auditprep.store.workpapers import decisions

    return {spec: d.decision for spec, d in decisions(session.engagement).items()}


@dataclass(frozen=True)
class DecisionRequest:
    specification: str
    decision: str
    rationale: str


class DecisionDialog(FormDialog):
    """Pick an addressable specification (those the control informs come first), the decision and why."""

    def __init__(self, specs: list[tuple[str, str]], first: str | None = None, current: dict[str, str] | None = None):
        super().__init__()
        self.specs = specs  # (id, own-words title)
        self.first = first or (specs[0][0] if specs else None)
        self.current = current or {}

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box form-box"):
            yield Label("Decision on an addressable HIPAA specification", classes="dialog-title")
            yield Label(
                "Implement it as specified, implement an equivalent alternative, or document why it is not "
                "reasonable and appropriate here. Your name and the time are recorded.",
                classes="dialog-text",
            )
            yield Label("Specification")
            yield Select(
                [
                    (f"{sid}  {title[:50]}" + (f"  [{self.current[sid]}]" if sid in self.current else ""), sid)
                    for sid, title in self.specs
                ],  # fmt: skip
                value=self.first if self.first else Select.BLANK,
                id="spec",
                allow_blank=False,
            )
            yield Label("Decision")
            yield Select([(label, key) for key, label in DECISIONS.items()], id="decision", prompt="Choose")
            yield Label("Rationale (required unless implemented as specified)")
            yield TextArea(id="rationale", classes="short-text")
            yield Label("", classes="problem")
            yield buttons("Record decision")

    def on_mount(self) -> None:
        self.query_one("#decision", Select).focus()

    def submit(self) -> DecisionRequest:
        spec = self.query_one("#spec", Select).value
        decision = self.query_one("#decision", Select).value
        rationale = self.query_one("#rationale", TextArea).text.strip()
        if not isinstance(spec, str):
            raise InvalidInput("Choose the specification.")
        if not isinstance(decision, str):
            raise InvalidInput("Choose the decision.")
        if decision in NEEDS_RATIONALE and not rationale:
            raise InvalidInput("Write down why: HIPAA asks for the reasons of this decision to be documented.")
        return DecisionRequest(spec, decision, rationale)
