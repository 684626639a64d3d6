"""Evaluate stored evidence into findings, purely.

A check is a small function over an ``EvidenceView`` that yields ``Result``s for the resources it
judged. The engine, not the check, enforces the rules that keep a report honest:

* where evidence a check needs could not be collected (denied, throttled, failed, not enabled),
  the check's results for that scope or resource are replaced by ``not_evaluated`` with the reason;
* where the evidence was collected but the check judged nothing (no task definitions, no
  containers), the scope is ``not_applicable`` with a sentence saying what was absent;
* where no evidence of the kinds a check needs was collected at all, it is ``not_evaluated``.

So a check can never pass because a call failed or because nothing was found.
"""

from __future__ import annotations

import hashlib
import importlib
import pkgutil
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from auditprep.models import (
    CallStatus,
    CheckMeta,
    Evidence,
    Finding,
    FindingStatus,
    Scope,
    Severity,
)


@dataclass(frozen=True)
class Result:
    """What a check function says about one resource (or one scope, with ``resource=""``)."""

    status: FindingStatus
    resource: str
    scope: Scope
    message: str
    evidence: tuple[str, ...] = ()


@dataclass(frozen=True)
class CheckSpec:
    id: str
    requires: tuple[str, ...]
    absent: str  # what "nothing found" means, e.g. "no task definitions in use"
    fn: Callable[[EvidenceView], Iterable[Result]]


REGISTRY: dict[str, CheckSpec] = {}


def check(check_id: str, *, requires: Iterable[str], absent: str) -> Callable:
    """Register a check function under its catalogue id.

    ``requires``: evidence kinds it reads; a gap in any of them makes it not_evaluated there.
    ``absent``: the phrase used when the evidence was collected but held nothing to judge.
    """

    def register(fn: Callable[[EvidenceView], Iterable[Result]]) -> Callable[[EvidenceView], Iterable[Result]]:
        if check_id in REGISTRY:
            raise RuntimeError(f"check {check_id} registered twice")
        REGISTRY[check_id] = CheckSpec(check_id, tuple(requires), absent, fn)
        return fn

    return register


class EvidenceView:
    """Read access to evidence by kind, split into collected items, scope attempts and gaps.

    Collectors record, for every kind they attempt in a scope, one scope-level record
    (``resource == ""``) with the call's status, and one item per resource collected. A failed
    call on a single resource is a resource-level gap.
    """

    def __init__(self, evidence: Iterable[Evidence]):
        self._items: dict[str, list[Evidence]] = defaultdict(list)
        self._attempts: dict[str, list[Evidence]] = defaultdict(list)
        for ev in evidence:
            if ev.resource and ev.status is CallStatus.COLLECTED:
                self._items[ev.kind].append(ev)
            else:
                self._attempts[ev.kind].append(ev)

    def items(self, kind: str, scope: Scope | None = None) -> list[Evidence]:
        found = self._items.get(kind, [])
        return [e for e in found if e.scope == scope] if scope is not None else list(found)

    def one(self, kind: str, scope: Scope) -> Evidence | None:
        """The single item of a per-scope kind (e.g. the daemon info of a host)."""
        found = self.items(kind, scope)
        return found[0] if found else None

    def scopes(self, kind: str) -> list[Scope]:
        """Scopes where ``kind`` was attempted and the scope-level call succeeded."""
        seen: dict[Scope, None] = {}
        for ev in self._attempts.get(kind, []):
            if ev.status is CallStatus.COLLECTED and not ev.resource:
                seen[ev.scope] = None
        for ev in self._items.get(kind, []):
            seen.setdefault(ev.scope, None)
        return list(seen)

    def support(self, kinds: Iterable[str], scope: Scope, resource: str = "") -> tuple[str, ...]:
        """Ids of the evidence behind a judgement: the resource's items, else the scope's listings."""
        ids: list[str] = []
        for kind in kinds:
            if resource:
                ids.extend(e.id for e in self._items.get(kind, []) if e.scope == scope and e.resource == resource)
            else:
                ids.extend(
                    e.id
                    for e in self._attempts.get(kind, [])
                    if e.scope == scope and not e.resource and e.status is CallStatus.COLLECTED
                )
        return tuple(i for i in ids if i)

    def gaps(self, kind: str) -> list[Evidence]:
        return [e for e in self._attempts.get(kind, []) if e.status is not CallStatus.COLLECTED]

    def attempted(self, kind: str) -> bool:
        return bool(self._attempts.get(kind)) or bool(self._items.get(kind))


_GAP_WORDS = {
    CallStatus.ACCESS_DENIED: "access was denied",
    CallStatus.THROTTLED: "the API throttled the calls even after retries",
    CallStatus.ERROR: "the call failed",
    CallStatus.NOT_ENABLED: "the service is not enabled",
}


def gap_sentence(gap: Evidence) -> str:
    why = _GAP_WORDS.get(gap.status, gap.status.value)
    where = gap.scope.label()
    target = f" for {gap.resource_name or gap.resource}" if gap.resource else ""
    detail = f": {gap.message}" if gap.message else ""
    return f"Not evaluated in {where}{target}: {gap.operation} could not be collected because {why}{detail}."


def _finding(meta: CheckMeta, controls: tuple[str, ...], r: Result) -> Finding:
    return Finding(
        check=meta.id,
        title=meta.title,
        status=r.status,
        severity=meta.severity,
        resource=r.resource,
        scope=r.scope,
        message=r.message,
        controls=controls,
        evidence=r.evidence,
    )


def run_check(spec: CheckSpec, meta: CheckMeta, controls: tuple[str, ...], view: EvidenceView) -> Iterator[Finding]:
    gaps = [g for kind in spec.requires for g in view.gaps(kind)]
    scope_gaps: dict[Scope, Evidence] = {}
    resource_gaps: dict[tuple[Scope, str], Evidence] = {}
    for g in gaps:
        if g.resource:
            resource_gaps.setdefault((g.scope, g.resource), g)
        else:
            scope_gaps.setdefault(g.scope, g)

    if not any(view.attempted(kind) for kind in spec.requires):
        kinds = ", ".join(spec.requires)
        yield _finding(
            meta,
            controls,
            Result(
                FindingStatus.NOT_EVALUATED,
                "",
                Scope(),
                f"Not evaluated: no evidence of the kind it needs ({kinds}) was collected in this engagement.",
            ),
        )
        return

    judged: set[Scope] = set()
    for r in spec.fn(view):
        gap = scope_gaps.get(r.scope) or resource_gaps.get((r.scope, r.resource))
        if gap is not None:
            continue  # replaced by the not_evaluated finding below
        judged.add(r.scope)
        if not r.evidence:
            r = Result(r.status, r.resource, r.scope, r.message, view.support(spec.requires, r.scope, r.resource))
        yield _finding(meta, controls, r)

    for g in list(scope_gaps.values()) + list(resource_gaps.values()):
        judged.add(g.scope)  # a scope with a gap was looked at: never "not applicable" there
        yield _finding(
            meta,
            controls,
            Result(FindingStatus.NOT_EVALUATED, g.resource, g.scope, gap_sentence(g), (g.id,) if g.id else ()),
        )

    primary = spec.requires[0]
    for scope in view.scopes(primary):
        if scope not in judged and scope not in scope_gaps:
            yield _finding(
                meta,
                controls,
                Result(
                    FindingStatus.NOT_APPLICABLE,
                    "",
                    scope,
                    f"Not applicable in {scope.label()}: {spec.absent}.",
                    view.support(spec.requires, scope),
                ),
            )


@dataclass
class Evaluation:
    findings: list[Finding] = field(default_factory=list)
    missing_implementations: list[str] = field(default_factory=list)


_SUBPACKAGES = ("auditprep.checks.aws", "auditprep.checks.docker")


def load_all() -> dict[str, CheckSpec]:
    """Import every check module once and return the registry."""
    for name in _SUBPACKAGES:
        try:
            package = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue
            raise
        for info in pkgutil.iter_modules(package.__path__):
            importlib.import_module(f"{name}.{info.name}")
    return REGISTRY


def evaluate(
    evidence: Iterable[Evidence],
    checks: Mapping[str, CheckMeta],
    check_controls: Mapping[str, tuple[str, ...]],
    registry: Mapping[str, CheckSpec] | None = None,
) -> Evaluation:
    """Run every catalogued check over the evidence. Pure: no I/O."""
    if registry is None:
        registry = load_all()
    view = EvidenceView(evidence)
    out = Evaluation()
    for check_id in sorted(checks):
        spec = registry.get(check_id)
        if spec is None:
            out.missing_implementations.append(check_id)
            continue
        out.findings.extend(run_check(spec, checks[check_id], check_controls.get(check_id, ()), view))
    return out


def finding_id(f: Finding) -> str:
    key = "\x1f".join((f.check, f.scope.label(), f.resource))
    return "F-" + hashlib.sha256(key.encode()).hexdigest()[:12]


SEVERITY_ORDER = {s: i for i, s in enumerate(Severity)}
