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

from auditprep.catalog import Catalog
from auditprep.collect.base import CollectionOutcome, ProgressCallback, no_progress, utcnow
from auditprep.errors import CollectionError
from auditprep.models import CallStatus, Evidence
from auditprep.store import Engagement


@dataclass(frozen=True)
class AwsOptions:
    profiles: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    role_arns: tuple[str, ...] = ()
    max_rps: float = 20.0


@dataclass
class SourceResult:
    source: str
    run_id: int | None = None
    error: str = ""  # the source could not be reached at all
    outcome: CollectionOutcome | None = None

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
    evaluation_id: int | None = None

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


def aws_runner(options: AwsOptions) -> Runner:
    def run(progress: ProgressCallback, cancel: threading.Event) -> CollectionOutcome:
        from auditprep.collect.aws import collect_aws

        return collect_aws(
            profiles=options.profiles,
            regions=options.regions,
            role_arns=options.role_arns,
            progress=progress,
            cancel=cancel,
            max_rps=options.max_rps,
        )

    return run


def docker_runner(hosts: Sequence[str] | None, known_inventories: dict[str, dict] | None = None) -> Runner:
    def run(progress: ProgressCallback, cancel: threading.Event) -> CollectionOutcome:
        from auditprep.collect.docker import collect_docker

        return collect_docker(
            list(hosts) if hosts else None,
            progress=progress,
            cancel=cancel,
            known_inventories=known_inventories or {},
        )

    return run


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


def reevaluate(eng: Engagement, catalog: Catalog, actor: str) -> int:
    from auditprep.checks.engine import evaluate
    from auditprep.imports import findings_from_evidence

    evidence = eng.current_evidence()
    result = evaluate(evidence, catalog.checks, catalog.check_controls)
    return eng.replace_findings(result.findings + findings_from_evidence(evidence, catalog), actor)


def collect_into(
    eng: Engagement,
    catalog: Catalog,
    runners: Sequence[tuple[str, Runner]],
    *,
    actor: str,
    progress: ProgressCallback = no_progress,
    cancel: threading.Event | None = None,
) -> CollectSummary:
    cancel = cancel or threading.Event()
    summary = CollectSummary()
    for name, runner in runners:
        if cancel.is_set():
            break
        started = utcnow()
        result = SourceResult(name)
        try:
            outcome = runner(progress, cancel)
        except CollectionError as exc:
            result.error = exc.message
            summary.results.append(result)
            continue
        result.outcome = outcome
        result.run_id, _ = eng.add_run(
            actor=actor,
            source=outcome.source,
            started_at=started,
            evidence=outcome.evidence,
            identity=outcome.identity,
            targets=outcome.targets,
            cancelled=outcome.cancelled or cancel.is_set(),
        )
        summary.results.append(result)
    if any(r.run_id for r in summary.results):
        summary.evaluation_id = reevaluate(eng, catalog, actor)
    return summary
