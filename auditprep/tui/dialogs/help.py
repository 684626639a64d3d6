"""Keys and a short tour: what each section is for and how saving works."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Label, Static

from auditprep.tui.dialogs.base import Dialog

HELP = """\
[b]Everywhere[/b]
  [b]1[/b]–[b]6[/b]        go to a section (or click its name at the top)
  [b]ctrl+p[/b]     command palette: jump to a control, collect, explain, render
  [b]f1[/b] or [b]?[/b]   this help (in the questionnaire: explain the control's concepts)
  [b]escape[/b]     leave a text field, so these keys work again
  [b]ctrl+t[/b]     light or dark theme
  [b]ctrl+q[/b] or [b]q[/b]  quit (everything is already saved)

[b]1 Dashboard[/b]   progress per framework and theme, the last collection and what to do next.
  [b]enter[/b] on a suggestion goes there.

[b]2 Questionnaire[/b]   the controls by theme, the question form, and the findings, evidence
and requirements of the control you are on.
  [b]/[/b] filter   [b]u[/b] unanswered only   [b]n[/b] next unanswered   [b]t[/b] attest   [b]x[/b] exception
  [b]d[/b] decide a HIPAA addressable specification (implemented, alternative, not reasonable)
  [b]e[/b] findings   [b]enter[/b] on a finding opens its raw (redacted) evidence   [b]f1[/b] or [b]?[/b] explain
  [b]h[/b] the control's history: its state after each collection, stale evidence, drift
  In review mode: [b]c[/b] comment, [b]g[/b] flag or unflag the control.

[b]3 Evidence[/b]   every evidence item and attachment; filter by source, service, status, resource.
  [b]enter[/b] raw evidence   [b]a[/b] attach a runbook, policy or screenshot   (review: [b]c[/b], [b]g[/b])

[b]4 Collect[/b]   choose AWS profiles, regions, roles and Docker hosts; follow each call live.
  [b]ctrl+s[/b] start   [b]escape[/b] cancel (what was collected so far is kept)

[b]5 Report[/b]   choose framework, format and file; [b]ctrl+s[/b] renders it.

[b]6 Concepts[/b]   the container glossary written for assessors; type to search.

[b]Saving[/b]   every choice is written to the engagement file at once; typing is written
after a short pause, when you leave the field, and when you quit. Each change is kept
in the answer history: nothing is ever overwritten.
"""


class HelpDialog(Dialog[None]):
    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box help-box"):
            yield Label("auditprep: keys and sections", classes="dialog-title")
            with VerticalScroll(id="help-scroll"):
                yield Static(HELP, id="help-text")
            yield Label("[b]escape[/b] close", classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one("#help-scroll").focus()
