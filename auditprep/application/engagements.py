"""Starting and changing an engagement: what ``auditprep init`` and the assistant's New form do."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from auditprep.application.recent import RecentList
from auditprep.catalog import Catalog
from auditprep.errors import EngagementError
from auditprep.evaluate import applicability
from auditprep.store import Engagement

SUFFIX = ".engagement"  # the one file suffix the README, the demo and the assistant's New form use


@dataclass(frozen=True)
class NewEngagement:
    """What a person asks for when starting an engagement; everything but the path is optional."""

    path: Path
    frameworks: Sequence[str]
    name: str = ""
    organisation: str = ""
    period: str = ""  # START..END
    facts: Sequence[str] = ()  # KEY=VALUE applicability facts
    scope: Iterable[tuple[str, str]] = field(default=())  # (kind, value) pairs


def create_engagement(
    request: NewEngagement,
    catalog: Catalog,
    *,
    actor: str,
    recent: RecentList | None = None,
    clock: Callable[[], datetime] | None = None,
) -> Engagement:
    """Create the engagement file (never over another), record its period, applicability and scope,
    and put it first in the recent list so the assistant's picker offers it, whichever face made it.

    Everything is checked before the file is created, so a mistake leaves nothing behind. Returns
    the open engagement; the caller closes it.
    """
    unknown = [f for f in request.frameworks if f not in catalog.frameworks]
    if unknown:
        raise EngagementError(
            f"The questionnaires have no framework {unknown[0]}; the known ones are: {', '.join(catalog.frameworks)}."
        )
    span = applicability.parse_period(request.period) if request.period else None
    facts = applicability.parse(request.facts, catalog)
    frameworks = tuple(dict.fromkeys(request.frameworks))
    kwargs = {"clock": clock} if clock is not None else {}
    path = Path(request.path)
    eng = Engagement.create(
        path,
        name=request.name or path.stem,
        organisation=request.organisation,
        frameworks=frameworks,
        actor=actor,
        **kwargs,
    )
    try:
        settings: dict[str, str] = {}
        if span:
            settings.update(period_start=span[0], period_end=span[1])
        if facts:
            settings["applicability"] = json.dumps(applicability.merge({}, facts), sort_keys=True)
        if settings:
            eng.set_meta(actor, **settings)
        for kind, value in request.scope:
            eng.add_scope(actor, kind, value)
    except BaseException:
        eng.close()
        raise
    (recent or RecentList()).remember(eng.path, eng.info().name, eng.clock())
    return eng
