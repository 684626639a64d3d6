"""Every evidence item and attachment, filterable; open the raw JSON; attach manual evidence."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import DataTable, Input, Label, Select

from auditprep.models import CallStatus, Evidence, Source
from auditprep.store.engagement import Attachment
from auditprep.tui.dialogs.forms import AttachDialog, AttachRequest, NoteDialog
from auditprep.tui.dialogs.viewers import EvidenceDialog
from auditprep.tui.messages import EvidenceLoaded
from auditprep.tui.screens.base import SectionScreen
from auditprep.tui.widgets.control_panel import short

SHOWN = 500
STATUS_STYLE = {
    CallStatus.COLLECTED.value: "",
    CallStatus.NOT_ENABLED.value: "$text-muted",
    CallStatus.ACCESS_DENIED.value: "bold $error",
    CallStatus.THROTTLED.value: "$warning",
    CallStatus.ERROR.value: "bold $error",
}


def service_of(kind: str) -> str:
    parts = kind.split(".")
    return parts[1] if len(parts) > 1 else kind


@dataclass(frozen=True)
class Item:
    """One row: an evidence item (without its content) or an attachment."""

    id: str
    source: str
    service: str
    scope: str
    resource: str
    status: str
    when: str
    message: str

    @classmethod
    def of_evidence(cls, ev: Evidence) -> Item:
        return cls(
            ev.id,
            ev.source.value,
            service_of(ev.kind),
            ev.scope.label(),
            ev.resource_name or ev.resource,
            ev.status.value,
            f"{ev.collected_at:%Y-%m-%d %H:%M}",
            ev.message,
        )

    @classmethod
    def of_attachment(cls, a: Attachment) -> Item:
        return cls(
            f"A{a.id}",
            Source.MANUAL.value,
            a.control_id or "",
            a.added_by,
            a.filename,
            "attached",
            f"{a.added_at:%Y-%m-%d %H:%M}",
            a.description,
        )


class EvidenceScreen(SectionScreen):
    SECTION = "evidence"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "filter", "Filter", id="evidence-filter"),
        Binding("a", "attach", "Attach", id="evidence-attach"),
        Binding("c", "comment", "Comment", id="evidence-comment"),
        Binding("g", "flag", "Flag", id="evidence-flag"),
    ]

    def body(self) -> ComposeResult:
        with Vertical(id="evidence-body"):
            with Horizontal(id="evidence-filters"):
                yield Select(
                    [("Any source", "")] + [(s.value, s.value) for s in Source],
                    value="",
                    allow_blank=False,
                    id="ev-source",
                    compact=True,
                )
                yield Input(placeholder="service", id="ev-service", compact=True)
                yield Select(
                    [("Any status", ""), ("gaps only", "gaps")]
                    + [(s.value.replace("_", " "), s.value) for s in CallStatus]
                    + [("attached", "attached")],
                    value="",
                    allow_blank=False,
                    id="ev-status",
                    compact=True,
                )
                yield Input(placeholder="resource contains", id="ev-resource", compact=True)
            table: DataTable[Content | str] = DataTable(id="evidence-table", cursor_type="row", zebra_stripes=True)
            table.add_column("ID", key="id", width=10)
            table.add_column("Status", key="status", width=13)
            table.add_column("Source", key="source", width=6)
            table.add_column("Service", key="service", width=10)
            table.add_column("Scope", key="scope", width=18)
            table.add_column("Resource", key="resource", width=24)
            table.add_column("Collected", key="when", width=16)
            table.add_column("Message", key="message")
            yield table
            # the table's cells are cut to their columns: the highlighted row is shown whole here
            yield Label("", id="evidence-whole")
            yield Label("Reading the evidence…", id="evidence-count", classes="muted")

    def on_mount(self) -> None:
        super().on_mount()
        self.items: list[Item] = []
        self.shown: list[Item] = []
        self.query_one("#evidence-table").focus()
        self._evidence_seen = self.session.evidence_revision
        self._load(self.session.revision)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("comment", "flag"):
            return self.session.reviewing
        if action == "attach":
            return not self.session.readonly
        return True

    @work(thread=True, exclusive=True, exit_on_error=False, group="evidence")
    def _load(self, revision: int) -> None:
        self.post_message(EvidenceLoaded(self.session.evidence(), revision))

    def on_evidence_loaded(self, message: EvidenceLoaded) -> None:
        self.items = [Item.of_evidence(ev) for ev in message.items]
        self.items += [Item.of_attachment(a) for a in self.session.attachments()]
        self.apply_filters()
        from auditprep.tui.sections import settle_memory

        settle_memory()

    def refresh_data(self) -> None:
        if self.session.evidence_revision != self._evidence_seen:
            self._evidence_seen = self.session.evidence_revision
            self._load(self.session.revision)
        elif self.session.reviewing:
            self.apply_filters()  # flags changed

    def _matches(self) -> list[Item]:
        source = self.query_one("#ev-source", Select).value
        status = self.query_one("#ev-status", Select).value
        service = self.query_one("#ev-service", Input).value.strip().casefold()
        resource = self.query_one("#ev-resource", Input).value.strip().casefold()
        gaps = {CallStatus.ACCESS_DENIED.value, CallStatus.THROTTLED.value, CallStatus.ERROR.value}
        out = []
        for item in self.items:
            if source and item.source != source:
                continue
            if status == "gaps":
                if item.status not in gaps:
                    continue
            elif status and item.status != status:
                continue
            if service and service not in item.service.casefold():
                continue
            if resource and resource not in item.resource.casefold():
                continue
            out.append(item)
        return out

    def apply_filters(self) -> None:
        matches = self._matches()
        self.shown = matches[:SHOWN]
        table = self.query_one("#evidence-table", DataTable)
        table.clear()
        flagged = self.session.review.flagged() if self.session.review is not None else {}
        table.add_rows(
            (
                Content.assemble(i.id, (" ⚐", "bold $error") if f"evidence:{i.id}" in flagged else ""),
                Content.styled(i.status.replace("_", " "), STATUS_STYLE.get(i.status, "")),
                i.source,
                short(i.service, 10),
                short(i.scope, 18),
                short(i.resource, 24),
                i.when,
                i.message,
            )
            for i in self.shown
        )
        total = len(self.items)
        more = f"; showing the first {SHOWN}, narrow the filters to see the rest" if len(matches) > SHOWN else ""
        self.query_one("#evidence-count", Label).update(
            f"{len(matches):,} of {total:,} item(s) match{more}. enter opens the raw evidence."
        )

    @on(Select.Changed)
    @on(Input.Changed)
    def _filters(self) -> None:
        self.apply_filters()

    @on(Input.Submitted)
    def _filters_done(self) -> None:
        self.query_one("#evidence-table").focus()

    def action_filter(self) -> None:
        self.query_one("#ev-service", Input).focus()

    def _current(self) -> Item | None:
        table = self.query_one("#evidence-table", DataTable)
        row = table.cursor_row
        return self.shown[row] if 0 <= row < len(self.shown) else None

    @on(DataTable.RowHighlighted, "#evidence-table")
    def _whole(self, event: DataTable.RowHighlighted) -> None:
        item = self.shown[event.cursor_row] if 0 <= event.cursor_row < len(self.shown) else None
        whole = self.query_one("#evidence-whole", Label)
        if item is None:
            whole.update("")
            return
        parts = [item.id, item.status.replace("_", " "), f"{item.source} {item.service}".strip(), item.scope]
        parts += [p for p in (item.resource, item.when, item.message) if p]
        whole.update(" · ".join(parts))

    @on(DataTable.RowSelected, "#evidence-table")
    def _open(self, event: DataTable.RowSelected) -> None:
        item = self.shown[event.cursor_row] if 0 <= event.cursor_row < len(self.shown) else None
        if item is None:
            return
        if item.id.startswith("A"):
            from auditprep.tui.dialogs.viewers import TextDialog

            text = self.attempt(self.session.attachment_document, int(item.id[1:]))
            if text:
                self.app.push_screen(TextDialog(f"Attachment {item.resource}", text))
        else:
            self.app.push_screen(EvidenceDialog(self.session, [item.id], f"{item.id} · {item.resource or item.scope}"))

    def action_attach(self) -> None:
        if self.session.readonly:
            self.attempt(self.session._refuse_if_readonly)
            return

        def done(req: AttachRequest | None) -> None:
            if req is None:
                return
            att = self.attempt(self.session.attach, req.path, control_id=req.control_id, description=req.description)
            if att is not None:
                self.notify(f"Attached {att.filename} ({att.size:,} bytes, sha256 {att.sha256[:12]}…).")
                self.items.append(Item.of_attachment(att))
                self.apply_filters()
                self._evidence_seen = self.session.evidence_revision
                self.mark_seen()

        self.app.push_screen(AttachDialog(known_controls=frozenset(self.session.catalog.controls)), done)

    def action_comment(self) -> None:
        item = self._current()
        if item is None or not self.session.reviewing:
            return

        def done(text: str | None) -> None:
            if text and self.attempt(self.session.add_comment, f"evidence:{item.id}", text):
                self.notify(f"Comment added to {item.id}.")

        self.app.push_screen(NoteDialog(item.id), done)

    def action_flag(self) -> None:
        item = self._current()
        if item is None or self.session.review is None:
            return
        target = f"evidence:{item.id}"
        flagged = target in self.session.review.flagged()
        if self.attempt(self.session.set_flag, target, not flagged):
            self.notify(f"{item.id} {'unflagged' if flagged else 'flagged'}.")
            row = self.query_one("#evidence-table", DataTable).cursor_row
            self.apply_filters()
            self.query_one("#evidence-table", DataTable).move_cursor(row=row)
