"""Report: pick the kind, framework, format and file; render in a worker; say where it went."""

from __future__ import annotations

import time
from pathlib import Path
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.timer import Timer
from textual.widgets import Button, Input, Label, ProgressBar, Select, Static

from auditprep.tui.messages import ReportRendered
from auditprep.tui.screens.base import SectionScreen
from auditprep.tui.widgets.form import row

FORMATS = [
    ("PDF (for the assessor)", "pdf"),
    ("HTML", "html"),
    ("JSON", "json"),
    ("CSV", "csv"),
    ("OSCAL assessment results", "oscal"),
    ("FedRAMP 20x Security Decision Record (JSON)", "sdr"),
    ("FedRAMP 20x KSI metrics (JSON)", "ksi-metrics"),
    ("FedRAMP 20x vulnerability detail report (JSON)", "vdr"),
]
KINDS = [("Framework report", "framework"), ("Incident response playbook", "playbook")]
EXTENSIONS = {
    "pdf": ".pdf",
    "html": ".html",
    "json": ".json",
    "csv": ".csv",
    "oscal": ".oscal.json",
    "sdr": ".sdr.json",
    "ksi-metrics": ".ksi-metrics.json",
    "vdr": ".vdr.json",
}


class ReportScreen(SectionScreen):
    SECTION = "report"
    _path_edited = False
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "render", "Render", id="report-render"),
    ]

    def body(self) -> ComposeResult:
        s = self.session
        frameworks = [(s.framework_label(f), f) for f in s.frameworks]
        self._auto_path = str(self._default_path("framework", frameworks[0][1] if frameworks else "", "pdf"))
        self._auto_paths = {self._auto_path}
        with VerticalScroll(id="report-body"):
            yield Static(
                "Reports read only this engagement file: no credentials, nothing fetched. "
                "The PDF is what an assessor reads: per control, what is in place, the evidence behind "
                "it, the gaps and the plan.",
                classes="muted",
            )
            with Vertical(id="report-form", classes="form-rows"):
                yield row(
                    Label("Report"), Select(KINDS, value="framework", allow_blank=False, id="report-kind", compact=True)
                )
                yield row(
                    Label("Framework"),
                    Select(
                        frameworks,
                        value=frameworks[0][1] if frameworks else Select.NULL,
                        allow_blank=not frameworks,
                        id="report-framework",
                        compact=True,
                    ),
                )
                yield row(
                    Label("Format"), Select(FORMATS, value="pdf", allow_blank=False, id="report-format", compact=True)
                )
                yield row(Label("File"), Input(self._auto_path, id="report-path", compact=True))
            with Horizontal(id="report-buttons"):
                yield Button("Render", id="render", variant="primary")
            yield ProgressBar(id="report-progress", show_eta=False, show_percentage=False)
            yield Label("", id="report-status")
            yield Static("", id="report-history", markup=False)

    def on_mount(self) -> None:
        super().on_mount()
        self._started = 0.0
        self._ticker: Timer | None = None
        self._history: list[str] = []
        self.query_one("#report-progress").display = False
        self.query_one("#render").focus()

    def _folder(self) -> Path:
        s = self.session
        if s.package is not None:
            return Path(s.package.source).resolve().parent
        return s.engagement.path.resolve().parent

    def _default_path(self, kind: str, framework: str, fmt: str) -> Path:
        stem = Path(self.session.label or self.session.engagement.path.name).stem
        what = "playbook" if kind == "playbook" else framework or "report"
        return self._folder() / f"{stem}-{what}{EXTENSIONS.get(fmt, '.' + fmt)}"

    def _choice(self, wid: str) -> str:
        value = self.query_one(wid, Select).value
        return value if isinstance(value, str) else ""

    @on(Select.Changed)
    def _changed(self, event: Select.Changed) -> None:
        kind = self._choice("#report-kind")
        self.query_one("#report-framework", Select).disabled = kind == "playbook"
        if kind == "playbook" and self._choice("#report-format") not in ("pdf", "html"):
            self.query_one("#report-format", Select).value = "pdf"
            return
        if not self._path_edited:
            self._auto_path = str(
                self._default_path(kind, self._choice("#report-framework"), self._choice("#report-format"))
            )
            self._auto_paths.add(self._auto_path)
            self.query_one("#report-path", Input).value = self._auto_path

    @on(Input.Changed, "#report-path")
    def _path_changed(self, event: Input.Changed) -> None:
        if event.value not in self._auto_paths:
            self._path_edited = True

    def prefill(self, framework: str, fmt: str = "pdf") -> None:
        """Set the form from the command palette."""
        self.query_one("#report-kind", Select).value = "framework"
        if framework in self.session.frameworks:
            self.query_one("#report-framework", Select).value = framework
        self.query_one("#report-format", Select).value = fmt
        # the palette says "written beside the engagement file": that path, whatever was typed before
        path = str(self._default_path("framework", framework, fmt))
        self._auto_paths.add(path)
        self._auto_path = path
        self._path_edited = False
        self.query_one("#report-path", Input).value = path

    @on(Button.Pressed, "#render")
    @on(Input.Submitted, "#report-path")
    def action_render(self) -> None:
        kind = self._choice("#report-kind")
        framework = self._choice("#report-framework") or None
        fmt = self._choice("#report-format")
        raw = self.query_one("#report-path", Input).value.strip()
        if not raw:
            self.notify("Say where to write the report.", severity="warning")
            return
        out = Path(raw).expanduser()
        name = out.name.lower()
        wanted = EXTENSIONS.get(fmt, "." + fmt).lower()
        if not name.endswith(wanted) and any(name.endswith(ext) for ext in EXTENSIONS.values()):
            self.notify(
                f"The file name ends {out.suffix} but the format is {fmt.upper()}; change one so nothing is "
                "overwritten by the wrong kind of file.",
                severity="error",
            )
            return
        if not out.parent.is_dir():
            self.notify(f"The folder {out.parent} does not exist.", severity="error")
            return
        self.auditprep.save_everything()
        bar = self.query_one("#report-progress", ProgressBar)
        bar.update(total=None)
        bar.display = True
        self.query_one("#render", Button).disabled = True
        self._started = time.monotonic()
        self._tick()
        self._ticker = self.set_interval(0.2, self._tick)
        self._render_report(kind, framework if kind == "framework" else None, fmt, out)

    def _tick(self) -> None:
        self.query_one("#report-status", Label).update(f"Rendering… {time.monotonic() - self._started:.1f} s")

    @work(thread=True, exclusive=True, exit_on_error=False, group="report")
    def _render_report(self, kind: str, framework: str | None, fmt: str, out: Path) -> None:
        try:
            path = self.auditprep.render_report(
                self.session.engagement, self.session.catalog, framework=framework, fmt=fmt, out=out, kind=kind
            )
        except BaseException:
            self.post_message(ReportRendered(out, None))
            raise
        self.post_message(ReportRendered(Path(path or out), "ok"))

    def on_report_rendered(self, message: ReportRendered) -> None:
        if self._ticker is not None:
            self._ticker.stop()
        self.query_one("#report-progress").display = False
        self.query_one("#render", Button).disabled = False
        elapsed = time.monotonic() - self._started
        status = self.query_one("#report-status", Label)
        if message.detail is None:
            status.update("The report was not written.")
            return
        try:
            size = f"{message.path.stat().st_size / 1024:,.0f} KB"
        except OSError:
            size = "size unknown"
        line = f"Written to {message.path} ({size}) in {elapsed:.1f} s."
        status.update(line)
        self._history.insert(0, line)
        self.query_one("#report-history", Static).update("Rendered in this session:\n" + "\n".join(self._history[:8]))
        self.notify(f"Report written to {message.path}", title="Report ready")
