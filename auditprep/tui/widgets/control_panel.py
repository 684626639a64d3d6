"""One control in full: where it stands, its questions, and beside them its findings, manual
evidence, the requirements it satisfies and (in review mode) the reviewer's notes."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Label, OptionList, Static
from textual.widgets.option_list import Option

from auditprep.evaluate.posture import Status
from auditprep.models import Finding, FindingStatus
from auditprep.tui.session import Session
from auditprep.tui.widgets.control_tree import mark
from auditprep.tui.widgets.question_form import QuestionForm

FINDING_STYLE = {
    FindingStatus.FAIL: "bold $error",
    FindingStatus.WARN: "$warning",
    FindingStatus.PASS: "$success",
    FindingStatus.NOT_EVALUATED: "$text-muted",
    FindingStatus.NOT_APPLICABLE: "$text-muted",
}
FINDING_ORDER = {
    s: i
    for i, s in enumerate(
        (
            FindingStatus.FAIL,
            FindingStatus.WARN,
            FindingStatus.NOT_EVALUATED,
            FindingStatus.PASS,
            FindingStatus.NOT_APPLICABLE,
        )
    )
}
SHOWN_FINDINGS = 200
STATUS_LABEL = {
    FindingStatus.FAIL: "fail",
    FindingStatus.WARN: "warn",
    FindingStatus.PASS: "pass",
    FindingStatus.NOT_EVALUATED: "not eval",
    FindingStatus.NOT_APPLICABLE: "n/a",
}


def short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(width - 1, 1)] + "…"


class ControlPanel(VerticalScroll):
    def __init__(self, session: Session, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.session = session
        self.control_id: str | None = None
        self.findings: list[Finding] = []

    def compose(self) -> ComposeResult:
        with Horizontal(id="control-columns"):
            with Vertical(id="control-main"):
                yield Static("Choose a control on the left.", id="control-header")
                slots = max((len(c.questions) for c in self.session.catalog.controls.values()), default=1)
                form = QuestionForm(self.session, slots)
                form.display = False
                yield form
                yield Label("Guidance", classes="heading", id="guidance-title")
                yield Static("", id="control-guidance", markup=False)
            with Vertical(id="control-side"):
                yield Label("Findings", classes="heading", id="findings-title")
                yield OptionList(id="findings")
                yield Label("Manual evidence", classes="heading")
                yield Static("", id="attachments", markup=False)
                yield Label("Requirements it satisfies", classes="heading")
                yield Static("", id="requirements")
                if self.session.reviewing:
                    yield Label("Reviewer notes", classes="heading")
                    yield Static("", id="notes", markup=False)

    @property
    def form(self) -> QuestionForm | None:
        """The question form, once a control is shown."""
        forms = self.query(QuestionForm)
        form = forms.first() if forms else None
        return form if form is not None and form.control is not None else None

    def show(self, control_id: str) -> None:
        """Show ``control_id``: every part is updated in place (no widget is built)."""
        form = self.query_one(QuestionForm)
        form.flush()
        self.control_id = control_id
        control = self.session.catalog.controls[control_id]
        self.refresh_header()
        guidance = control.guidance
        if control.evidence:
            guidance += "\nEvidence an assessor expects: " + "; ".join(control.evidence)
        self.query_one("#control-guidance", Static).update(guidance)
        self.refresh_side()
        form.load(control)
        form.display = True
        self.scroll_home(animate=False)

    def refresh_header(self) -> None:
        if self.control_id is None:
            return
        s = self.session
        cp = s.control_posture(self.control_id)
        control = cp.control
        lines: list[Content] = [
            Content.assemble((control.id, "bold $accent"), "  ", (control.title, "bold")),
            Content.assemble(mark(cp.status), " ", (cp.status.label, "bold"), " · ", cp.reason),
        ]
        att, due, overdue = s.attestation_due(control.id)
        if att is None:
            hint = "" if s.readonly else " (t attests)"
            lines.append(Content.styled(f"Not attested yet{hint}.", "$text-muted"))
        else:
            when = f"re-attest by {due:%Y-%m-%d}" if not overdue else f"re-attestation was due {due:%Y-%m-%d}"
            lines.append(
                Content.assemble(
                    f"Attested by {att.attested_by} on {att.attested_at:%Y-%m-%d}; ",
                    (when, "bold $error" if overdue else ""),
                )
            )
        if cp.exception is not None and cp.status is Status.EXCEPTION:
            e = cp.exception
            lines.append(
                Content.assemble(
                    ("Exception", "bold $primary"), f" owned by {e.owner} until {e.expires:%Y-%m-%d}: {e.rationale}"
                )
            )
        concepts = ", ".join(s.catalog.concepts[k].name for k in control.concepts if k in s.catalog.concepts)
        theme = s.catalog.theme_title(control.theme)
        lines.append(Content.styled(f"{theme}" + (f" · explains: {concepts} (f1)" if concepts else ""), "$text-muted"))
        self.query_one("#control-header", Static).update(Content("\n").join(lines))

    def refresh_side(self) -> None:
        if self.control_id is None:
            return
        s = self.session
        control = s.catalog.controls[self.control_id]
        self.findings = sorted(s.findings_for(self.control_id), key=lambda f: (FINDING_ORDER[f.status], f.check))
        options = self.query_one("#findings", OptionList)
        options.clear_options()
        options.add_options(Option(self._finding_text(f)) for f in self.findings[:SHOWN_FINDINGS])
        failing = sum(1 for f in self.findings if f.status is FindingStatus.FAIL)
        more = f", first {SHOWN_FINDINGS} shown" if len(self.findings) > SHOWN_FINDINGS else ""
        title = f"Findings ({len(self.findings)}, {failing} failing{more})" if self.findings else "Findings"
        self.query_one("#findings-title", Label).update(title)
        options.display = bool(self.findings)
        attachments = s.attachments(self.control_id)
        lines = [f"• {a.filename} ({a.media_type}, {a.size:,} bytes) {a.description}".rstrip() for a in attachments]
        if not lines:
            lines.append("None attached." if s.readonly else "None attached (Evidence, a, attaches a file).")
        if not self.findings:
            why = " yet." if control.checks else " (it is answered by the team, not by checks)."
            lines.insert(0, "No automated findings for this control" + why)
        text = "\n".join(lines)
        self.query_one("#attachments", Static).update(text)
        reqs = s.requirements_of(control)
        req_lines = []
        for fid, rid, title in reqs:
            label = s.catalog.frameworks[fid].name if fid in s.catalog.frameworks else fid
            req_lines.append(Content.assemble((f"{label} {rid}", "bold"), f" {title}"))
        self.query_one("#requirements", Static).update(Content("\n").join(req_lines) if req_lines else "None mapped.")
        self.refresh_notes()

    @staticmethod
    def _finding_text(f: Finding) -> Content:
        where = f.resource or f.scope.label()
        status = Content.styled(STATUS_LABEL[f.status].ljust(9), FINDING_STYLE[f.status])
        if where and where in f.message:
            return Content.assemble(status, f.message)
        return Content.assemble(status, (where, "bold"), " ", f.message)

    def refresh_notes(self) -> None:
        if not self.session.reviewing or self.control_id is None:
            return
        assert self.session.review is not None
        target = f"control:{self.control_id}"
        notes = self.session.review.notes(target)
        flagged = target in self.session.review.flagged()
        lines = ["⚐ Flagged for the team's attention." if flagged else "Not flagged."]
        for n in notes:
            what = {"comment": "", "flag": "flagged: ", "unflag": "unflagged: "}[n.kind]
            lines.append(f"{n.at:%Y-%m-%d %H:%M} {n.author}: {what}{n.text}".rstrip())
        lines.append("c comments, g flags or unflags.")
        self.query_one("#notes", Static).update("\n".join(lines))

    def finding_at(self, row: int) -> Finding | None:
        return self.findings[row] if 0 <= row < len(self.findings) else None
