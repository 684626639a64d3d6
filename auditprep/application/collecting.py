"""Collecting: run the collectors, store each unit as it finishes, then evaluate what was stored.

What ``auditprep collect`` and the assistant's Collect screen both do.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

from auditprep.application.evaluation import reevaluate
from auditprep.catalog import Catalog
from auditprep.collect.base import ProgressCallback, no_progress
from auditprep.collect.journal import Journal
from auditprep.collect.run import CollectSummary, Runner, collect_into
from auditprep.store import Engagement


def collect(
    eng: Engagement,
    catalog: Catalog,
    runners: Sequence[tuple[str, Runner]],
    *,
    actor: str,
    progress: ProgressCallback = no_progress,
    cancel: threading.Event | None = None,
    journal: Journal | None = None,
) -> CollectSummary:
    summary = collect_into(eng, catalog, runners, actor=actor, progress=progress, cancel=cancel, journal=journal)
    if summary.stored:
        summary.evaluation_id = reevaluate(eng, catalog, actor)
    return summary
