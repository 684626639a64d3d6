"""Reading every current evidence item takes about a second at 20,000 items (benchmarks/tui_bench.py):
the dashboard leaves it to a worker, and its suggestions then use what the worker read."""

from __future__ import annotations

import threading
from pathlib import Path

from auditprep.store import Engagement


async def test_the_dashboard_reads_the_evidence_once_and_never_on_the_ui_thread(
    app_factory, engagement: Path, monkeypatch
) -> None:
    on_ui_thread: list[bool] = []
    original = Engagement.current_evidence

    def spy(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        on_ui_thread.append(threading.current_thread() is threading.main_thread())
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Engagement, "current_evidence", spy)
    app = app_factory(engagement)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        steps = [str(o.prompt) for o in app.screen.query_one("#next-steps").options]  # type: ignore[attr-defined]
    assert on_ui_thread == [False]
    assert steps, "the dashboard suggested nothing"
