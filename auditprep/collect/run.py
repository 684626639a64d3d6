"""Run collectors into an engagement, then re-evaluate: the one path the CLI, the TUI and the demo share.

Each source's run is stored in its own transaction as soon as it finishes, so a failure of one
source (a dead daemon) never loses what another source collected, and a source that could not be
reached at all leaves the engagement exactly as it was.
"""

from __future__ import annotations

import json
import os
import threading
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from auditprep.catalog import Catalog
from auditprep.collect.base import CollectionOutcome, ProgressCallback, no_progress, utcnow
from auditprep.collect.journal import Journal
from auditprep.errors import CollectionError
from auditprep.models import CallStatus, Evidence
from auditprep.store import Engagement


@dataclass(frozen=True)
class AwsOptions:
    profiles: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    role_arns: tuple[str, ...] = ()
    max_rps: float | None = None  # an overall cap on top of the per-account, region and service limits
    org_role: str = ""  # assume this role in every account of the organisation
    accounts: tuple[str, ...] = ()
    exclude_accounts: tuple[str, ...] = ()
    ous: tuple[str, ...] = ()

    def scope(self) -> dict[str, Any]:
        """What decides which evidence is collected (not how fast): a resumed collection must match it."""
        return {
            "profiles": sorted(self.profiles),
            "regions": sorted(self.regions),
            "role_arns": sorted(self.role_arns),
            "org_role": self.org_role,
            "accounts": sorted(self.accounts),
            "exclude_accounts": sorted(self.exclude_accounts),
            "ous": sorted(self.ous),
        }


@dataclass
class SourceResult:
    source: str
    run_id: int | None = None  # the last run stored
    error: str = ""  # the source could not be reached at all
    outcome: CollectionOutcome | None = None  # for units stored as they finished: their scope records and gaps
    run_ids: list[int] = field(default_factory=list)
    stored: int = 0  # evidence records stored

    def counts(self) -> dict[tuple[str, str], Counter[str]]:
        """(service, scope label) -> statuses of the scope-level attempts."""
        out: dict[tuple[str, str], Counter[str]] = {}
        if self.outcome is None:
            return out
        for ev in self.outcome.evidence:
            if ev.resource and ev.status is CallStatus.COLLECTED:
                continue
            service = ev.kind.split(".")[1] if ev.kind.count(".") >= 1 else ev.kind
            out.setdefault((service, ev.scope.label()), Counter())[ev.status.value] += 1
        return out


@dataclass
class CollectSummary:
    results: list[SourceResult] = field(default_factory=list)
    evaluation_id: int | None = None  # set by the use case that evaluates after storing
    stored: bool = False  # something was stored (or a resumed collection finished): evaluate again

    @property
    def complete(self) -> bool:
        """True when every source was reached and every call collected (or the service is off)."""
        if any(r.error for r in self.results):
            return False
        for r in self.results:
            for counter in r.counts().values():
                if set(counter) - {CallStatus.COLLECTED.value, CallStatus.NOT_ENABLED.value}:
                    return False
        return True

    def gaps(self) -> list[Evidence]:
        return [
            ev
            for r in self.results
            if r.outcome
            for ev in r.outcome.evidence
            if ev.status not in (CallStatus.COLLECTED, CallStatus.NOT_ENABLED)
        ]


Runner = Callable[[ProgressCallback, threading.Event], CollectionOutcome]
UnitSink = Callable[[str, CollectionOutcome], None]


class UnitRunner:
    """A runner that hands each finished unit (account, host) to a sink, so it is stored at once,
    and leaves out the units already stored (``skip``)."""

    units = True

    def __init__(self, fn: Callable[[ProgressCallback, threading.Event, UnitSink | None, set[str]], CollectionOutcome]):
        self._fn = fn

    def __call__(
        self,
        progress: ProgressCallback,
        cancel: threading.Event,
        sink: UnitSink | None = None,
        skip: set[str] | None = None,
    ) -> CollectionOutcome:
        return self._fn(progress, cancel, sink, skip or set())


def aws_runner(options: AwsOptions) -> UnitRunner:
    def run(
        progress: ProgressCallback, cancel: threading.Event, sink: UnitSink | None, skip: set[str]
    ) -> CollectionOutcome:
        from auditprep.collect.aws import collect_aws
        from auditprep.collect.aws.org import OrgScope

        org = (
            OrgScope(options.org_role, options.accounts, options.exclude_accounts, options.ous)
            if options.org_role
            else None
        )
        return collect_aws(
            profiles=options.profiles,
            regions=options.regions,
            role_arns=options.role_arns,
            org=org,
            progress=progress,
            cancel=cancel,
            max_rps=options.max_rps,
            sink=sink,
            skip=skip,
        )

    return UnitRunner(run)


def docker_runner(hosts: Sequence[str] | None, known_inventories: dict[str, dict] | None = None) -> UnitRunner:
    def run(
        progress: ProgressCallback, cancel: threading.Event, sink: UnitSink | None, skip: set[str]
    ) -> CollectionOutcome:
        from auditprep.collect.docker import collect_docker

        return collect_docker(
            list(hosts) if hosts else None,
            progress=progress,
            cancel=cancel,
            known_inventories=known_inventories or {},
            sink=sink,
            skip=skip,
        )

    return UnitRunner(run)


DEFAULT_DOCKER_SOCKET = "/var/run/docker.sock"


def docker_configured(environ: Mapping[str, str] | None = None, home: Path | None = None) -> bool:
    """Whether a Docker host is configured at all: DOCKER_HOST, a Docker context, or the local socket.

    Read without the Docker SDK, so a team with no Docker (ECS on Fargate only) is not made to fail.
    """
    env = os.environ if environ is None else environ
    if env.get("DOCKER_HOST"):
        return True
    if env.get("DOCKER_CONTEXT", "default") != "default":
        return True
    folder = Path(env["DOCKER_CONFIG"]) if env.get("DOCKER_CONFIG") else (home or Path.home()) / ".docker"
    try:
        current = json.loads((folder / "config.json").read_text(encoding="utf-8")).get("currentContext")
    except (OSError, ValueError, AttributeError):
        current = None
    if current and current != "default":
        return True
    return Path(DEFAULT_DOCKER_SOCKET).exists()


def known_inventories(eng: Engagement) -> dict[str, dict]:
    """Image package inventories already stored, so unchanged images are not exported again."""
    out: dict[str, dict] = {}
    for ev in eng.current_evidence(kinds=("docker.image_inventory",)):
        if ev.status is CallStatus.COLLECTED and ev.resource:
            out[ev.resource] = ev.data
    return out


def collect_into(
    eng: Engagement,
    catalog: Catalog,
    runners: Sequence[tuple[str, Runner]],
    *,
    actor: str,
    progress: ProgressCallback = no_progress,
    cancel: threading.Event | None = None,
    journal: Journal | None = None,
) -> CollectSummary:
    """Run each source and store what it collected. A runner that works in units (``UnitRunner``)
    stores each unit as its own run when it is done, noted in ``journal`` for ``--resume``.

    Storing only: evaluating what was stored is the caller's next step
    (:func:`auditprep.application.collecting.collect` does both)."""
    cancel = cancel or threading.Event()
    summary = CollectSummary()
    for name, runner in runners:
        if cancel.is_set():
            break
        started = utcnow()
        result = SourceResult(name)
        records: list[Evidence] = []
        try:
            if getattr(runner, "units", False):
                outcome = _by_units(eng, name, runner, result, records, actor, progress, cancel, journal)
            else:
                outcome = runner(progress, cancel)
        except CollectionError as exc:
            result.error = exc.message
            summary.results.append(result)
            continue
        if outcome.evidence or not getattr(runner, "units", False):
            run_id, _ = eng.add_run(
                actor=actor,
                source=outcome.source,
                started_at=started,
                evidence=outcome.evidence,
                identity=outcome.identity,
                targets=outcome.targets,
                cancelled=outcome.cancelled or cancel.is_set(),
            )
            result.run_id = run_id
            result.run_ids.append(run_id)
            result.stored += len(outcome.evidence)
        records.extend(_summarised(outcome.evidence))
        result.outcome = CollectionOutcome(
            outcome.source, records, outcome.identity, outcome.targets, outcome.cancelled or cancel.is_set()
        )
        summary.results.append(result)
    summary.stored = any(r.run_ids for r in summary.results) or (journal is not None and journal.resumed)
    interrupted = cancel.is_set() or any(r.outcome and r.outcome.cancelled for r in summary.results)
    if journal is not None and not interrupted:
        journal.finish()
    return summary


def _summarised(evidence: Sequence[Evidence]) -> list[Evidence]:
    """What the summary needs of stored evidence: scope records and gaps, without their content."""
    return [
        ev.model_copy(update={"data": {}})
        for ev in evidence
        if not ev.resource or ev.status is not CallStatus.COLLECTED
    ]


def _by_units(
    eng: Engagement,
    name: str,
    runner: Any,
    result: SourceResult,
    records: list[Evidence],
    actor: str,
    progress: ProgressCallback,
    cancel: threading.Event,
    journal: Journal | None,
) -> CollectionOutcome:
    def sink(key: str, outcome: CollectionOutcome) -> None:
        if not outcome.evidence:
            return
        run_id, _ = eng.add_run(
            actor=actor,
            source=outcome.source,
            started_at=min(ev.collected_at for ev in outcome.evidence),
            evidence=outcome.evidence,
            identity=outcome.identity,
            targets=outcome.targets,
            cancelled=outcome.cancelled,
        )
        result.run_id = run_id
        result.run_ids.append(run_id)
        result.stored += len(outcome.evidence)
        records.extend(_summarised(outcome.evidence))
        if journal is not None and not outcome.cancelled:
            journal.note(name, key, run_id)

    return runner(progress, cancel, sink=sink, skip=journal.skip(name) if journal is not None else set())
