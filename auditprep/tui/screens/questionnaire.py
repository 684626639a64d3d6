"""The questionnaire: controls by theme on the left, the focused control in full on the right."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Checkbox, Input, Label, OptionList, Select, Tree

from auditprep.evaluate.posture import Status
from auditprep.tui.dialogs import decision
from auditprep.tui.dialogs.decision import DecisionDialog, DecisionRequest
from auditprep.tui.dialogs.forms import AttestDialog, ExceptionDialog, ExceptionRequest, NoteDialog
from auditprep.tui.dialogs.viewers import ConceptDialog, EvidenceDialog
from auditprep.tui.screens.base import SectionScreen
from auditprep.tui.widgets.control_panel import ControlPanel
from auditprep.tui.widgets.control_tree import ControlTree, TreeFilter
from auditprep.tui.widgets.question_form import QuestionForm
from auditprep.tui.widgets.tick import Tick

STATUS_FILTERS = [
    ("Any status", ""),
    *((s.label, s.value) for s in Status),
    ("Conflicts", "conflict"),
]


class QuestionnaireScreen(SectionScreen):
    SECTION = "questionnaire"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "filter", "Filter", id="questionnaire-filter"),
        Binding("down", "to_tree", "Controls", show=False),
        Binding("u", "toggle_unanswered", "Unanswered", show=False, id="questionnaire-unanswered"),
        Binding("n", "next_unanswered", "Next open", id="questionnaire-next"),
        Binding("t", "attest", "Attest", id="questionnaire-attest"),
        Binding("x", "exception", "Exception", id="questionnaire-exception"),
        Binding("d", "decide", "Decide", show=False, id="questionnaire-decide"),
        Binding("e", "findings", "Findings", show=False, id="questionnaire-findings"),
        Binding("h", "history", "History", show=False, id="questionnaire-history"),
        Binding("f1", "explain", "Explain", id="questionnaire-explain"),
        Binding("question_mark", "explain", "Explain", show=False, id="questionnaire-explain-alt"),
        Binding("c", "comment", "Comment", id="review-comment"),
        Binding("g", "flag", "Flag", id="review-flag"),
        Binding("escape", "back_to_tree", "Tree", show=False, id="questionnaire-tree"),
    ]

    def body(self) -> ComposeResult:
        s = self.session
        with Horizontal(id="questionnaire-body"):
            with Vertical(id="tree-pane"):
                yield Input(placeholder="/ filter by id or title", id="tree-filter", compact=True)
                with Horizontal(id="tree-filters"):
                    yield Select(
                        [("All frameworks", "")] + [(s.framework_label(f), f) for f in s.frameworks],
                        value="",
                        allow_blank=False,
                        id="filter-framework",
                        compact=True,
                    )
                    yield Select(STATUS_FILTERS, value="", allow_blank=False, id="filter-status", compact=True)
                yield Tick("Unanswered only (u)", id="filter-unanswered", compact=True)
                yield ControlTree(s, id="control-tree")
                # the tree's rows are cut to the pane's width: the highlighted one is shown whole here
                yield Label("", id="tree-whole")
                yield Label("", id="tree-count", classes="muted")
            yield ControlPanel(s, id="control-panel")

    def on_mount(self) -> None:
        super().on_mount()
        tree = self.query_one(ControlTree)
        self._count(tree.populate())
        tree.focus()
        self.call_after_refresh(self._select_first)

    def _select_first(self) -> None:
        tree = self.control_tree
        if self.panel.control_id is None and tree.nodes_by_control:
            tree.select_control(next(iter(tree.nodes_by_control)))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "to_tree":  # Down leaves the filter box for the tree; elsewhere it is the tree's
            return self.focused is self.query_one("#tree-filter", Input)
        reviewing = self.session.reviewing
        if action in ("comment", "flag"):
            return reviewing
        if action in ("attest", "exception", "decide", "next_unanswered"):
            return not self.session.readonly
        return True

    # --- the tree -----------------------------------------------------------------------

    @property
    def control_tree(self) -> ControlTree:
        return self.query_one(ControlTree)

    @property
    def panel(self) -> ControlPanel:
        return self.query_one(ControlPanel)

    def _count(self, shown: int) -> None:
        total = len(self.session.controls_in_scope())
        self.query_one("#tree-count", Label).update(f"{shown} of {total} controls")

    def _filter(self) -> TreeFilter:
        fw = self.query_one("#filter-framework", Select).value
        st = self.query_one("#filter-status", Select).value
        return TreeFilter(
            framework=fw if isinstance(fw, str) else "",
            status=st if isinstance(st, str) else "",
            unanswered=self.query_one("#filter-unanswered", Checkbox).value,
            text=self.query_one("#tree-filter", Input).value.strip(),
        )

    def _refilter(self) -> None:
        current = self.panel.control_id
        tree = self.control_tree
        self._count(tree.populate(self._filter()))
        if current and tree.select_control(current):
            return
        first = next(iter(tree.nodes_by_control), None)
        if first:
            tree.select_control(first)

    @on(Input.Changed, "#tree-filter")
    @on(Select.Changed, "#filter-framework")
    @on(Select.Changed, "#filter-status")
    @on(Checkbox.Changed, "#filter-unanswered")
    def _filters_changed(self) -> None:
        self._refilter()

    def action_to_tree(self) -> None:
        self.control_tree.focus()

    @on(Input.Submitted, "#tree-filter")
    def _filter_done(self) -> None:
        """Enter leaves the filter for the tree; when one control is left, it opens that control."""
        tree = self.control_tree
        tree.focus()
        if len(tree.nodes_by_control) == 1:
            only = next(iter(tree.nodes_by_control))
            tree.select_control(only)
            if self.panel.control_id != only:
                self.panel.show(only)
            self.call_after_refresh(self._focus_form)

    @on(Tree.NodeHighlighted, "#control-tree")
    def _highlighted(self, event: Tree.NodeHighlighted[str]) -> None:
        self.query_one("#tree-whole", Label).update(event.node.label.plain.strip())
        data = event.node.data
        if data and not data.startswith("theme:") and data != self.panel.control_id:
            self.panel.show(data)

    @on(Tree.NodeSelected, "#control-tree")
    def _selected(self, event: Tree.NodeSelected[str]) -> None:
        data = event.node.data
        if data and not data.startswith("theme:"):
            self.call_after_refresh(self._focus_form)

    def _focus_form(self) -> None:
        form = self.panel.form
        field = form.first_field() if form is not None else None
        if field is not None:
            field.focus()

    def show_control(self, control_id: str) -> None:
        """Open ``control_id`` (from the dashboard or the command palette), clearing filters that hide it."""
        tree = self.control_tree
        if control_id not in tree.nodes_by_control:
            with self.prevent(Input.Changed, Select.Changed, Checkbox.Changed):
                self.query_one("#tree-filter", Input).value = ""
                self.query_one("#filter-framework", Select).value = ""
                self.query_one("#filter-status", Select).value = ""
                self.query_one("#filter-unanswered", Checkbox).value = False
            self._count(tree.populate(TreeFilter()))
        tree.select_control(control_id)
        tree.focus()
        if self.panel.control_id != control_id:
            self.panel.show(control_id)

    def show_theme(self, theme: str) -> None:
        tree = self.control_tree
        for node in tree.root.children:
            if node.data == f"theme:{theme}":
                first = node.children[0] if node.children else node
                tree.move_cursor(first)
                tree.scroll_to_node(node, animate=False)
                tree.focus()
                return

    # --- keeping the tree and header current ----------------------------------------------

    @on(QuestionForm.Saved)
    def _saved(self, event: QuestionForm.Saved) -> None:
        self.control_tree.update_control(event.control_id)
        if event.control_id == self.panel.control_id:
            self.panel.refresh_header()
        self.mark_seen()

    def capture(self) -> None:
        form = self.panel.form
        if form is not None:
            form.capture()

    def refresh_data(self) -> None:
        self._refilter()
        if self.panel.control_id:
            self.panel.refresh_header()
            self.panel.refresh_side()

    # --- actions ------------------------------------------------------------------------

    def action_filter(self) -> None:
        self.query_one("#tree-filter", Input).focus()

    def action_toggle_unanswered(self) -> None:
        box = self.query_one("#filter-unanswered", Checkbox)
        box.value = not box.value

    def action_next_unanswered(self) -> None:
        posture = self.session.posture()
        ids = [c.id for c in self.session.controls_in_scope()]
        current = self.panel.control_id
        start = ids.index(current) + 1 if current in ids else 0
        for cid in ids[start:] + ids[:start]:
            if posture.controls[cid].answer is None:
                self.show_control(cid)
                return
        self.notify("Every control in scope is answered.", title="All answered")

    def action_back_to_tree(self) -> None:
        self.control_tree.focus()

    def action_findings(self) -> None:
        options = self.query_one("#findings", OptionList)
        if options.display and options.option_count:
            options.focus()
            if options.highlighted is None:
                options.highlighted = 0
        else:
            self.notify("This control has no findings.")

    @on(OptionList.OptionSelected, "#findings")
    def _open_finding(self, event: OptionList.OptionSelected) -> None:
        finding = self.panel.finding_at(event.option_index)
        if finding is not None:
            title = f"{finding.check} · {finding.resource or finding.scope.label()}"
            self.app.push_screen(EvidenceDialog(self.session, list(finding.evidence), title))

    def action_history(self) -> None:
        from auditprep.tui.dialogs.history import ControlHistoryDialog

        if self.panel.control_id is not None:
            self.app.push_screen(ControlHistoryDialog(self.session, self.panel.control_id))

    def action_attest(self) -> None:
        control_id = self.panel.control_id
        if control_id is None:
            return
        if self.session.readonly:
            self.attempt(self.session.attest, control_id, 365)
            return
        form = self.panel.form
        if form is not None:
            form.flush()
        control = self.session.catalog.controls[control_id]
        att = self.session.attestations().get(control_id)

        def done(days: int | None) -> None:
            if days is not None and self.attempt(self.session.attest, control_id, days):
                self._saved(QuestionForm.Saved(control_id))
                self.notify(f"{control_id} attested; re-attest within {days} days.")

        self.app.push_screen(AttestDialog(control_id, control.title, att.reattest_days if att else 365), done)

    def action_exception(self) -> None:
        control_id = self.panel.control_id
        if control_id is None:
            return
        if self.session.readonly:
            self.attempt(self.session._refuse_if_readonly)
            return

        def done(req: ExceptionRequest | None) -> None:
            if req is not None and self.attempt(
                self.session.add_exception, control_id, req.owner, req.rationale, req.expires, req.worksheet
            ):
                self._saved(QuestionForm.Saved(control_id))
                filled = len(req.worksheet)
                sheet = "worksheet complete" if filled == 8 else f"worksheet {filled} of 8 fields, incomplete"
                self.notify(f"Exception recorded for {control_id} until {req.expires:%Y-%m-%d}; {sheet}.")

        self.app.push_screen(ExceptionDialog(control_id, self.session.now().date()), done)

    def action_decide(self) -> None:
        """Record a decision on a HIPAA addressable specification (those this control informs first)."""
        if self.session.readonly:
            self.attempt(self.session._refuse_if_readonly)
            return
        control_id = self.panel.control_id
        specs = decision.addressable_specs(self.session, control_id)
        if not specs:
            self.notify("This engagement does not cover HIPAA, so there is no addressable specification to decide.")
            return

        def done(req: DecisionRequest | None) -> None:
            if req is not None and self.attempt(decision.record, self.session, req):
                self.notify(f"Decision recorded for {req.specification}: {req.decision}.")

        self.app.push_screen(DecisionDialog(specs, current=decision.current(self.session)), done)

    def action_explain(self) -> None:
        control_id = self.panel.control_id
        if control_id is None:
            self.auditprep.action_help()
            return
        control = self.session.catalog.controls[control_id]
        concepts = [self.session.catalog.concepts[k] for k in control.concepts if k in self.session.catalog.concepts]
        if not concepts:
            self.notify(f"{control_id} names no concept to explain; see Concepts (6).")
            return
        self.app.push_screen(ConceptDialog(self.session, concepts, f"{control_id} {control.title}: the concepts"))

    # --- review mode --------------------------------------------------------------------

    def action_comment(self) -> None:
        control_id = self.panel.control_id
        if control_id is None or not self.session.reviewing:
            return

        def done(text: str | None) -> None:
            if text and self.attempt(self.session.add_comment, f"control:{control_id}", text):
                self.panel.refresh_notes()
                self.control_tree.update_control(control_id)

        self.app.push_screen(NoteDialog(control_id), done)

    def action_flag(self) -> None:
        control_id = self.panel.control_id
        if control_id is None or not self.session.reviewing or self.session.review is None:
            return
        target = f"control:{control_id}"
        flagged = target in self.session.review.flagged()
        self.attempt(self.session.set_flag, target, not flagged)
        self.panel.refresh_notes()
        self.control_tree.update_control(control_id)
        self.notify(f"{control_id} {'unflagged' if flagged else 'flagged'}.")
