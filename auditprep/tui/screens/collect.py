"""Collect: choose AWS profiles, regions and roles and Docker hosts, then follow every call live.

The collection runs in a thread worker (the UI never waits on AWS or Docker); it reports progress
through coalescing messages and stops at the next call when cancelled, keeping what it collected.
"""

from __future__ import annotations

import configparser
import os
import threading
import time
from pathlib import Path
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Button, Checkbox, DataTable, Input, Label, ProgressBar, Static

from auditprep.application.collecting import collect as collect_into
from auditprep.collect.base import Progress
from auditprep.collect.run import CollectSummary
from auditprep.models import CallStatus
from auditprep.progress import CollectCounts
from auditprep.tui.dialogs.engagement import split_list
from auditprep.tui.messages import CollectFinished, CollectProgress
from auditprep.tui.screens.base import SectionScreen
from auditprep.tui.session import CollectPlan
from auditprep.tui.widgets.form import row
from auditprep.tui.widgets.tick import Tick

MIN_INTERVAL = 0.05  # seconds between two progress reports of the same service


def aws_profiles(environ: dict[str, str] | None = None) -> list[str]:
    """Profile names in the AWS config and credentials files (read, never written)."""
    env = os.environ if environ is None else environ
    home = Path.home()
    names: list[str] = []
    for path, prefix in (
        (Path(env.get("AWS_CONFIG_FILE", home / ".aws" / "config")), "profile "),
        (Path(env.get("AWS_SHARED_CREDENTIALS_FILE", home / ".aws" / "credentials")), ""),
    ):
        parser = configparser.ConfigParser()
        try:
            parser.read(path, encoding="utf-8")
        except (configparser.Error, OSError, UnicodeDecodeError):
            continue
        for section in parser.sections():
            name = section.removeprefix(prefix) if prefix else section
            if name not in names and (not prefix or section == "default" or section.startswith(prefix)):
                names.append(name)
    return names


def _count(n: int, style: str = "bold $error") -> Content:
    return Content.styled(str(n), style if n else "$text-muted")


class CollectScreen(SectionScreen):
    SECTION = "collect"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "start", "Start", id="collect-start"),
        Binding("escape", "cancel", "Cancel", id="collect-cancel"),
    ]

    def body(self) -> ComposeResult:
        scope = self.session.engagement.scope_items() if not self.session.reviewing else []
        regions = ", ".join(v for k, v, _ in scope if k == "aws_region")
        hosts = ", ".join(v for k, v, _ in scope if k == "docker_host")
        profiles = aws_profiles()
        with VerticalScroll(id="collect-body"):
            if self.session.readonly:
                yield Static(
                    "This engagement is open for review: its evidence is sealed, so nothing can be "
                    "collected into it. Every collection run is listed under Evidence (3).",
                    id="collect-readonly",
                )
            with Vertical(id="collect-form", classes="form-rows"):
                yield row(
                    Tick("AWS", value=True, id="use-aws", compact=True),
                    Static("Read-only calls through the standard credential chain.", classes="muted"),
                )
                yield row(
                    Label("Profiles"),
                    Input(
                        placeholder="default chain" + (f" (found: {', '.join(profiles[:4])})" if profiles else ""),
                        id="profiles",
                        compact=True,
                    ),
                )
                yield row(
                    Label("Regions"), Input(regions, placeholder="every enabled region", id="regions", compact=True)
                )
                yield row(
                    Label("Roles"),
                    Input(placeholder="role ARNs to assume in other accounts (optional)", id="roles", compact=True),
                )
                yield row(
                    Tick("Docker", value=True, id="use-docker", compact=True),
                    Static("Reads the daemon API: containers, images, swarm.", classes="muted"),
                )
                yield row(
                    Label("Hosts"),
                    Input(
                        hosts, placeholder=os.environ.get("DOCKER_HOST") or "the local socket", id="hosts", compact=True
                    ),
                )
            with Horizontal(id="collect-buttons"):
                yield Button("Start collection", id="start", variant="primary", disabled=self.session.readonly)
                yield Button("Cancel", id="cancel", variant="error", disabled=True)
            yield Label("", id="collect-status")
            yield ProgressBar(id="collect-progress", show_eta=False)
            yield Label("", id="collect-counts")
            table: DataTable[Content | str] = DataTable(id="collect-live", cursor_type="row")
            table.add_column("Source", key="source", width=7)
            table.add_column("Scope", key="scope", width=30)
            table.add_column("Service", key="service", width=16)
            table.add_column("Progress", key="progress", width=10)
            table.add_column("Now", key="message")
            yield table
            yield Label("Outcome of every call", classes="heading", id="outcome-title")
            outcome: DataTable[Content | str] = DataTable(id="collect-outcome", cursor_type="row")
            for key, label, width in (
                ("source", "Source", 6),
                ("service", "Service", 14),
                ("scope", "Scope", 30),
                ("collected", "Collected", 9),
                ("not_enabled", "Off", 3),
                ("access_denied", "Denied", 6),
                ("throttled", "Throttled", 9),
                ("error", "Failed", 6),
            ):
                outcome.add_column(label, key=key, width=width)
            yield outcome
            yield Label(
                "Gaps: calls that were denied, throttled or failed (their checks are not evaluated)",
                classes="heading",
                id="gaps-title",
            )
            gaps: DataTable[Content | str] = DataTable(id="collect-gaps", cursor_type="row")
            gaps.add_column("Scope", key="scope", width=30)
            gaps.add_column("Call", key="operation", width=30)
            gaps.add_column("Status", key="status", width=13)
            gaps.add_column("Why", key="message")
            yield gaps
            yield Label("", id="gap-whole")  # the highlighted gap, whole: the table cuts its cells

    def on_mount(self) -> None:
        super().on_mount()
        self._cancel = threading.Event()
        self._collecting = False
        self._rows: dict[tuple[str, str, str], object] = {}
        for wid in (
            "#collect-progress",
            "#collect-live",
            "#outcome-title",
            "#collect-outcome",
            "#gaps-title",
            "#collect-gaps",
        ):
            self.query_one(wid).display = False
        if not self.session.readonly:
            self.query_one("#start").focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "start":
            return not self._collecting and not self.session.readonly
        if action == "cancel":
            return self._collecting
        return True

    # --- the plan -----------------------------------------------------------------------

    def plan(self) -> CollectPlan:
        return CollectPlan(
            aws=self.query_one("#use-aws", Checkbox).value,
            profiles=tuple(split_list(self.query_one("#profiles", Input).value)),
            regions=tuple(split_list(self.query_one("#regions", Input).value)),
            role_arns=tuple(split_list(self.query_one("#roles", Input).value)),
            docker=self.query_one("#use-docker", Checkbox).value,
            docker_hosts=tuple(split_list(self.query_one("#hosts", Input).value)),
        )

    @on(Button.Pressed, "#start")
    def action_start(self) -> None:
        if self._collecting or self.session.readonly:
            return
        plan = self.plan()
        if not plan.aws and not plan.docker:
            self.notify("Tick AWS, Docker or both.", severity="warning")
            return
        self.auditprep.save_everything()
        self._cancel = threading.Event()
        self._collecting = True
        self._rows.clear()
        self._counts = CollectCounts()
        self.query_one("#collect-counts", Label).update("")
        live = self.query_one("#collect-live", DataTable)
        live.clear()
        for wid in ("#outcome-title", "#collect-outcome", "#gaps-title", "#collect-gaps"):
            self.query_one(wid).display = False
        live.display = True
        bar = self.query_one("#collect-progress", ProgressBar)
        bar.update(total=None, progress=0)
        bar.display = True
        self.query_one("#start", Button).disabled = True
        self.query_one("#cancel", Button).disabled = False
        self.query_one("#collect-status", Label).update("Collecting… (escape cancels; what is collected is kept)")
        self.refresh_bindings()
        self._collect(plan, self._cancel)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        if self._collecting and not self._cancel.is_set():
            self._cancel.set()
            self.query_one("#collect-status", Label).update("Cancelling after the calls in flight…")

    # --- the worker ---------------------------------------------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="collect")
    def _collect(self, plan: CollectPlan, cancel: threading.Event) -> None:
        last: dict[tuple[str, str, str], float] = {}

        def progress(p: Progress) -> None:
            key = (p.source, p.scope, p.service)
            now = time.monotonic()
            if p.done < p.total and now - last.get(key, 0.0) < MIN_INTERVAL:
                return
            last[key] = now
            self.post_message(CollectProgress(p))

        try:
            runners = self.auditprep.collectors(plan, self.session.engagement)
            summary = collect_into(
                self.session.engagement,
                self.session.catalog,
                runners,
                actor=self.session.actor,
                progress=progress,
                cancel=cancel,
            )
        except BaseException:
            self.post_message(CollectFinished(None, cancel.is_set()))
            raise
        self.post_message(CollectFinished(summary, cancel.is_set()))

    def on_collect_progress(self, message: CollectProgress) -> None:
        p = message.progress
        counts = getattr(self, "_counts", None)
        if counts is None:
            counts = self._counts = CollectCounts()
        counts.add(p)
        self.query_one("#collect-counts", Label).update(counts.line())
        table = self.query_one("#collect-live", DataTable)
        key = message.key
        done = f"{p.done}/{p.total}" if p.total else str(p.done)
        style = "$success" if p.total and p.done >= p.total else ""
        if key not in self._rows:
            self._rows[key] = table.add_row(
                p.source, p.scope, p.service, Content.styled(done, style), p.message, key="|".join(key)
            )
        else:
            row = self._rows[key]
            table.update_cell(row, "progress", Content.styled(done, style))  # type: ignore[arg-type]
            table.update_cell(row, "message", p.message)  # type: ignore[arg-type]

    def on_collect_finished(self, message: CollectFinished) -> None:
        self._collecting = False
        self.query_one("#start", Button).disabled = False
        self.query_one("#cancel", Button).disabled = True
        bar = self.query_one("#collect-progress", ProgressBar)
        bar.update(total=1, progress=1)
        self.refresh_bindings()
        summary = message.summary
        if summary is None:
            self.query_one("#collect-status", Label).update("The collection stopped with an error; see the message.")
            return
        self.session.reload()
        self.mark_seen()
        self._show_outcome(summary, message.cancelled)
        if self.app.screen is not self:
            self.notify("Collection finished; the outcome is on the Collect screen (4).", title="Collect")

    def _show_outcome(self, summary: CollectSummary, cancelled: bool) -> None:
        stored = sum(r.stored for r in summary.results)
        unreachable = [r for r in summary.results if r.error]
        words = "Cancelled; what was collected is stored" if cancelled else "Done"
        status = f"{words}: {stored:,} evidence item(s) from {len(summary.results) - len(unreachable)} source(s)."
        if summary.evaluation_id:
            status += " Checks re-evaluated."
        if any(r.outcome and r.counts() for r in summary.results) and summary.gaps():
            status += " Some calls were denied or failed: see the gaps below."
        for r in unreachable:
            status += f"\n✘ {r.source}: could not be reached: {r.error}"
        self.query_one("#collect-status", Label).update(status)
        outcome = self.query_one("#collect-outcome", DataTable)
        outcome.clear()
        for r in summary.results:
            if r.error:
                outcome.add_row(
                    r.source, "-", Content.styled("unreachable (see above)", "bold $error"), "0", "0", "0", "0", "0"
                )
                continue
            for (service, scope), c in sorted(r.counts().items()):
                outcome.add_row(
                    r.source,
                    service,
                    scope,
                    str(c["collected"]),
                    _count(c["not_enabled"], ""),
                    _count(c["access_denied"]),
                    _count(c["throttled"], "$warning"),
                    _count(c["error"]),
                )
        gaps = self.query_one("#collect-gaps", DataTable)
        gaps.clear()
        for ev in summary.gaps():
            target = f" {ev.resource_name or ev.resource}" if ev.resource else ""
            gaps.add_row(
                ev.scope.label() + target,
                ev.operation,
                Content.styled(
                    ev.status.value.replace("_", " "),
                    "$warning" if ev.status is CallStatus.THROTTLED else "bold $error",
                ),
                ev.message,
            )
        for wid in ("#outcome-title", "#collect-outcome"):
            self.query_one(wid).display = True
        has_gaps = bool(gaps.row_count)
        for wid in ("#gaps-title", "#collect-gaps", "#gap-whole"):
            self.query_one(wid).display = has_gaps
        self.query_one("#collect-live").display = False

    def on_unmount(self) -> None:
        self._cancel.set()

    @on(DataTable.RowHighlighted, "#collect-gaps")
    def _whole_gap(self, event: DataTable.RowHighlighted) -> None:
        cells = [c.plain if isinstance(c, Content) else str(c) for c in event.data_table.get_row_at(event.cursor_row)]
        self.query_one("#gap-whole", Label).update(" · ".join(c for c in cells if c))
