"""The dashboard: progress per framework and theme, the last collection and its gaps, what to do next."""

from __future__ import annotations

from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Label, OptionList, Static
from textual.widgets.option_list import Option

from auditprep.evaluate.summary import section_table, section_verdicts
from auditprep.models import CallStatus
from auditprep.tui.messages import CollectionLoaded
from auditprep.tui.screens.base import SectionScreen
from auditprep.tui.session import CollectionState
from auditprep.tui.suggestions import next_steps, status_counts
from auditprep.tui.widgets.progress import ProgressTable, Row, legend

GAP_WORDS = {
    CallStatus.ACCESS_DENIED.value: "access denied",
    CallStatus.THROTTLED.value: "throttled",
    CallStatus.ERROR.value: "failed",
}


class DashboardScreen(SectionScreen):
    SECTION = "dashboard"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "reload", "Refresh", id="dashboard-refresh"),
    ]

    def body(self) -> ComposeResult:
        with Horizontal(id="dash-body"):
            with VerticalScroll(id="dash-progress"):
                yield Static(legend(), id="legend")
                for fid in self.session.frameworks:
                    yield Label(
                        self.session.framework_label(fid),
                        classes="heading fw-heading",
                        id=f"fw-{fid}-title",
                        markup=False,
                    )
                    rows, total = self._rows(fid)
                    yield ProgressTable(rows, total, id=f"fw-{fid}")
                    yield Static(
                        self.session.verdict_line(fid), id=f"fw-{fid}-verdicts", classes="verdicts", markup=False
                    )
                    themes = self._by_section(fid)
                    if themes:
                        yield Static(themes, id=f"fw-{fid}-sections", classes="verdicts", markup=False)
                if not self.session.frameworks:
                    yield Static("This engagement names no framework the questionnaires know.")
            with Vertical(id="dash-side"):
                yield Label("What to do next", classes="heading")
                yield OptionList(id="next-steps")
                yield Label("Last collection", classes="heading")
                yield Static("Reading the evidence…", id="collection", markup=False)
                yield Label("Period and applicability", classes="heading")
                yield Static(self.session.scope_text(), id="scope", markup=False)

    def on_mount(self) -> None:
        super().on_mount()
        self._collection: CollectionState | None = None
        self._evidence_seen = self.session.evidence_revision
        self._show_next_steps()
        self.query_one("#next-steps").focus()
        self._load_collection(self.session.revision)

    def _rows(self, fid: str) -> tuple[list[Row], Row]:
        posture = self.session.posture()
        mine = [cp for cp in posture.controls.values() if cp.control.mappings.get(fid)]
        rows = []
        for theme in self.session.catalog.themes:
            in_theme = [cp for cp in mine if cp.control.theme == theme.key]
            if in_theme:
                rows.append(Row(theme.key, theme.title, status_counts(in_theme)))
        return rows, Row("", "All controls", status_counts(mine))

    def _by_section(self, fid: str) -> str:
        """Requirement verdicts per theme, for frameworks whose sections are themes (FedRAMP 20x KSIs)."""
        catalog = self.session.catalog
        if not catalog.frameworks[fid].summary_by_section:
            return ""
        sections = section_verdicts(catalog, fid, self.session.posture().requirements(fid))
        labels = ("Theme", "All", "In place", "Attested", "Not in place", "Exception", "Not tested", "Outside")
        return "Verdicts by theme\n" + section_table(sections, labels)

    def refresh_data(self) -> None:
        for fid in self.session.frameworks:
            rows, total = self._rows(fid)
            self.query_one(f"#fw-{fid}", ProgressTable).update_rows(rows, total)
            self.query_one(f"#fw-{fid}-verdicts", Static).update(self.session.verdict_line(fid))
            themes = self._by_section(fid)
            if themes:
                self.query_one(f"#fw-{fid}-sections", Static).update(themes)
        self._show_next_steps()
        if self.session.evidence_revision != self._evidence_seen:
            self._evidence_seen = self.session.evidence_revision
            self._load_collection(self.session.revision)

    def action_reload(self) -> None:
        self.session.reload()
        self.mark_seen()
        self.refresh_data()

    # --- last collection (reads every evidence row, so off the UI thread) -------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="dashboard")
    def _load_collection(self, revision: int) -> None:
        self.post_message(CollectionLoaded(self.session.collection_state(), revision))

    def on_collection_loaded(self, message: CollectionLoaded) -> None:
        self._collection = message.state
        self.query_one("#collection", Static).update(self._describe(message.state))
        self._show_next_steps()

    def _describe(self, state: CollectionState) -> str:
        lines = []
        if state.integrity is not None:
            if state.integrity:
                lines.append(f"✘ Integrity: {len(state.integrity)} problem(s); the first: {state.integrity[0]}")
            else:
                lines.append(
                    f"✔ Integrity verified: the event chain and every record match "
                    f"(fingerprint {self.session.engagement.fingerprint()[:16]}…)."
                )
        if not state.runs:
            if self.session.readonly:
                lines.append(
                    "Nothing was collected in this engagement (it is open read-only, so nothing can be added)."
                )
            else:
                lines.append("Nothing collected yet. Press 4 to collect from AWS and Docker.")
            return "\n".join(lines)
        last = state.runs[-1]
        lines += [
            f"{last.finished_at:%Y-%m-%d %H:%M} UTC by {last.actor} ({last.source}"
            f"{', cancelled' if last.cancelled else ''}); {len(state.runs)} run(s), "
            f"{state.evidence_items:,} evidence item(s) stored."
        ]
        if state.gaps:
            counts = ", ".join(f"{n} {GAP_WORDS.get(k, k)}" for k, n in sorted(state.gap_counts.items()))
            lines.append(f"Gaps in the current evidence: {counts}. These checks are not evaluated, never passed:")
            for ev in state.gaps[:4]:
                detail = f": {ev.message}" if ev.message else ""
                lines.append(f"• {ev.scope.label()} {ev.operation} {GAP_WORDS.get(ev.status.value, '')}{detail}")
            if len(state.gaps) > 4:
                lines.append(f"• … {len(state.gaps) - 4} more in Evidence (3), filtered by status.")
        else:
            lines.append("No gaps: every call was collected (or the service is not enabled).")
        return "\n".join(lines)

    # --- next steps ---------------------------------------------------------------------

    def _show_next_steps(self) -> None:
        options = self.query_one("#next-steps", OptionList)
        highlighted = options.highlighted
        options.clear_options()
        for n, step in enumerate(next_steps(self.session, self._collection)):
            target = f"control:{step.control_id}" if step.control_id else f"section:{step.section}"
            options.add_option(Option(step.text, id=f"{n}|{target}"))
        if options.option_count:
            options.highlighted = min(highlighted or 0, options.option_count - 1)

    @on(OptionList.OptionSelected, "#next-steps")
    def _go(self, event: OptionList.OptionSelected) -> None:
        target = (event.option.id or "").split("|", 1)[-1]
        kind, _, value = target.partition(":")
        if kind == "control":
            self.auditprep.goto_control(value)
        elif kind == "section" and value != "None":
            self.auditprep.action_section(value)

    def action_open_theme(self, theme: str) -> None:
        self.auditprep.action_section("questionnaire")
        screen = self.app.get_screen("questionnaire")
        screen.call_after_refresh(screen.show_theme, theme)  # type: ignore[attr-defined]
