"""Command palette providers. They offer only what makes sense where the palette was opened:
nothing about an engagement before one is open, no collection or edits in review mode, and on
the questionnaire the actions on the control in front of the user."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from typing import TYPE_CHECKING, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider

if TYPE_CHECKING:
    from auditprep.tui.app import AuditprepApp

Command = tuple[str, Callable[[], object], str]


class _Commands(Provider):
    """A provider over a list of (text, callback, help) computed when the palette opens."""

    DISCOVER = True

    @property
    def auditprep(self) -> AuditprepApp:
        return cast("AuditprepApp", self.app)

    def commands(self) -> Iterator[Command]:
        yield from ()

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for text, callback, help_text in self.commands():
            score = matcher.match(text)
            if score > 0:
                yield Hit(score, matcher.highlight(text), callback, help=help_text)

    async def discover(self) -> Hits:
        if not self.DISCOVER:
            return
        for text, callback, help_text in self.commands():
            yield DiscoveryHit(text, callback, help=help_text)


class ControlCommands(_Commands):
    """Jump to a control by id or title."""

    DISCOVER = False

    def commands(self) -> Iterator[Command]:
        app = self.auditprep
        session = app.session
        if session is None:
            return
        posture = session.posture()
        for c in session.controls_in_scope():
            status = posture.controls[c.id].status.label
            yield (
                f"{c.id} {c.title}",
                partial(app.goto_control, c.id),
                f"Open this control · {session.catalog.theme_title(c.theme)} · {status}",
            )


class ConceptCommands(_Commands):
    """Explain a concept."""

    DISCOVER = False

    def commands(self) -> Iterator[Command]:
        app = self.auditprep
        session = app.session
        if session is None:
            return
        for concept in session.catalog.concepts.values():
            yield (f"Explain: {concept.name}", partial(app.explain_concept, concept.key), "Open it in Concepts (6)")


class WorkspaceCommands(_Commands):
    """Sections, collection, reports; and the actions of the screen the palette was opened on."""

    def commands(self) -> Iterator[Command]:
        app = self.auditprep
        session = app.session
        if session is None:
            return
        screen = self.screen
        section = getattr(screen, "SECTION", "")
        panel_control = None
        if section == "questionnaire":
            panel_control = getattr(screen, "panel").control_id  # noqa: B009
        if panel_control:
            control = session.catalog.controls[panel_control]
            if control.concepts:
                yield (
                    f"Explain the concepts of {panel_control}",
                    screen.action_explain,
                    "What an assessor needs to know for this control",
                )
            if not session.readonly:
                yield (f"Attest {panel_control}", screen.action_attest, "Record that its answers are accurate today")
                yield (
                    f"Record an exception for {panel_control}",
                    screen.action_exception,
                    "Owner, rationale, expiry and the compensating control worksheet",
                )
                from auditprep.tui.dialogs.decision import addressable_specs

                if addressable_specs(session):
                    yield (
                        "Decide a HIPAA addressable specification",
                        screen.action_decide,
                        "Implemented, an alternative measure, or not reasonable and appropriate, with why",
                    )
            else:
                yield (f"Comment on {panel_control}", screen.action_comment, "Reviewer comment")
                yield (f"Flag or unflag {panel_control}", screen.action_flag, "Reviewer flag")
            if not session.readonly:
                yield ("Next unanswered control", screen.action_next_unanswered, "")
        if section == "evidence" and not session.readonly:
            yield ("Attach manual evidence", screen.action_attach, "A runbook, a policy PDF, a screenshot")
        from auditprep.tui.sections import SECTIONS

        for key, label in SECTIONS:
            if key != section:
                yield (f"Go to {label}", partial(app.action_section, key), "")
        if not session.readonly:
            yield (
                "Run a collection",
                app.run_collection,
                "Collect from AWS and Docker with the collect form's choices",
            )
        for fid in session.frameworks:
            for fmt in ("pdf", "html"):
                yield (
                    f"Render the {session.framework_label(fid)} report as {fmt.upper()}",
                    partial(app.render_from_palette, fid, fmt),
                    "Written beside the engagement file",
                )
