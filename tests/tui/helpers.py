"""Small helpers for driving the app with Pilot: wait for workers instead of sleeping."""

from __future__ import annotations

from textual.pilot import Pilot

from auditprep.tui.app import AuditprepApp


async def settle(pilot: Pilot, app: AuditprepApp) -> None:
    """Let every worker finish and every message they posted be handled."""
    await pilot.pause()
    await app.workers.wait_for_complete()
    for screen in app.screen_stack:
        await screen.workers.wait_for_complete()
    await pilot.pause()
    await pilot.pause()


async def ready(pilot: Pilot, app: AuditprepApp) -> None:
    """Wait until the engagement is open and the dashboard is on screen."""
    await settle(pilot, app)
    assert app.session is not None, "the engagement did not open"
    await settle(pilot, app)


async def type_text(pilot: Pilot, text: str) -> None:
    await pilot.press(*[{" ": "space"}.get(ch, ch) for ch in text])
