"""Collect AWS evidence for every account and region in scope, read-only, with bounded concurrency.

Scope: the standard boto3 credential chain (environment, profiles including SSO,
``AWS_ENDPOINT_URL``), each ``--profile`` given, each ``--role-arn`` assumed from the first
identity that works, and with ``--org-role`` every active account of the organisation (``org``).
Two identities that resolve to the same account are collected once; a role that cannot be
assumed is a recorded gap for its account.
Regions: those given, or every region enabled for the account; an opt-in region the account has
not enabled is skipped with a recorded reason.

Scopes: regional evidence is ``Scope(account, region)``. Account-level facts (the caller
identity and the account's region list) use ``region="global"``.

The run has four phases because later services need what earlier ones found: (1) ECS, EKS,
trail lists, GuardDuty, Security Hub CSPM, Config, Inspector status, load balancers and
certificates, and ECR's reads (its images' scan summaries as soon as ECS has read the task
definitions in use that name them); (2) ECR, recorded with the images the task definitions in use
run, and trail status;
(3) the log groups those resources write to, and Inspector findings of images in use; (4) the
KMS keys all of them use. Each account goes through its phases on its own (a few accounts at a
time), and within a phase its (region, service) tasks run on a thread pool shared by all.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ProfileNotFound

from auditprep.collect.aws import (
    acm,
    awsconfig,
    cloudtrail,
    ecr,
    ecs,
    eks,
    elbv2,
    guardduty,
    inspector,
    kms,
    logs,
    securityhub,
    trail_history,
)
from auditprep.collect.aws.identities import (  # noqa: F401 - REGION(S) re-exported
    IDENTITY,
    REGION,
    REGIONS,
    SessionFactory,
    SharedModels,
    arn_account,
    assumed_session,
    default_session,
    regions_of,
    whoami,
)
from auditprep.collect.aws.org import OrgScope, discover
from auditprep.collect.aws.org import role_arn as org_role_arn
from auditprep.collect.aws.runtime import (
    Account,
    ApiFailure,
    Cancelled,
    RegionContext,
    Runtime,
    classify,
)
from auditprep.collect.aws.shared import Shared
from auditprep.collect.base import (
    Clock,
    CollectionOutcome,
    Progress,
    ProgressCallback,
    Recorder,
    no_progress,
    utcnow,
)
from auditprep.errors import CollectionError
from auditprep.models import CallStatus, Scope, Source

RegionTask = Callable[[RegionContext, Shared], None]

# (service label, function, evidence kinds it records) per phase
_PHASE1: tuple[tuple[str, RegionTask, tuple[str, ...]], ...] = (
    ("ecs", ecs.collect, (ecs.CLUSTER, ecs.SERVICE, ecs.TASK_DEFINITION)),
    ("ecr-reads", ecr.prefetch, ()),  # recorded in phase 2; the longest reads, so started first
    ("eks", eks.collect, (eks.CLUSTER, eks.VERSION, eks.NODEGROUP)),
    ("cloudtrail", cloudtrail.list_trails, (cloudtrail.TRAIL,)),
    ("guardduty", guardduty.collect, (guardduty.DETECTOR,)),
    ("securityhub", securityhub.collect, (securityhub.HUB,)),
    ("config", awsconfig.collect, (awsconfig.RECORDER,)),
    ("inspector", inspector.collect_account, (inspector.ACCOUNT,)),
    ("elbv2", elbv2.collect, (elbv2.LISTENER, elbv2.SSL_POLICY)),
    ("acm", acm.collect, (acm.CERTIFICATE,)),
    (
        "trail-history",
        trail_history.collect,
        (trail_history.EVENT, trail_history.REVISION, trail_history.CONFIG_HISTORY),
    ),
)
_PHASE2 = (("ecr", ecr.collect, (ecr.REGISTRY_SCANNING, ecr.REPOSITORY, ecr.LIFECYCLE, ecr.IMAGE)),)
_PHASE3 = (
    ("logs", logs.collect, (logs.LOG_GROUP,)),
    ("inspector-findings", inspector.collect_findings, (inspector.FINDING,)),
)
_PHASE4 = (("kms", kms.collect, (kms.KEY,)),)

UnitSink = Callable[[str, CollectionOutcome], None]


@dataclass
class _Unit:
    """One account's work: everything collected in it is stored together when it is done."""

    key: str  # the account id when known before starting, else the identity's label
    label: str
    account: Account | None = None  # a base identity, already resolved
    role_arn: str = ""
    evidence: list[Any] = field(default_factory=list)  # the base identity's own record
    records_only: bool = False  # outside the organisation's filters: only its records are stored


@dataclass
class _Run:
    runtime: Runtime
    shared: Shared
    progress: ProgressCallback
    clock: Clock
    regions: Sequence[str]
    factory: SessionFactory
    models: SharedModels
    base: tuple[str | None, boto3.session.Session] | None
    sink: UnitSink | None
    pool: ThreadPoolExecutor | None = None
    total: int = 0
    done: int = 0
    units_total: int = 0
    units_done: int = 0
    claimed: set[str] = field(default_factory=set)
    finished: dict[str, _Unit] = field(default_factory=dict)  # account id -> its unit
    kept: list[Any] = field(default_factory=list)  # evidence, when there is no sink
    arns: dict[str, str] = field(default_factory=dict)  # unit key -> the identity collected
    targets: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    sink_lock: threading.Lock = field(default_factory=threading.Lock)

    def step(self, scope: str, service: str, message: str = "") -> None:
        with self.lock:
            self.done += 1
            done, total = self.done, self.total
            units = (self.units_done, self.units_total)
        counters = self.runtime.counters
        self.progress(
            Progress(
                "aws",
                scope,
                service,
                done,
                total,
                message,
                units_done=units[0],
                units_total=units[1],
                requests=counters.requests,
                throttles=counters.throttles,
            )
        )

    def emit(self, key: str, outcome: CollectionOutcome) -> None:
        with self.sink_lock:
            if self.sink is not None:
                self.sink(key, outcome)
            else:
                self.kept.extend(outcome.evidence)


def collect_aws(
    *,
    profiles: Sequence[str] = (),
    regions: Sequence[str] = (),
    role_arns: Sequence[str] = (),
    org: OrgScope | None = None,
    progress: ProgressCallback = no_progress,
    cancel: threading.Event | None = None,
    clock: Clock = utcnow,
    max_workers: int = 8,
    max_rps: float | None = None,
    session_factory: SessionFactory | None = None,
    max_attempts: int = 8,
    sink: UnitSink | None = None,
    skip: Collection[str] = (),
    account_workers: int = 8,
) -> CollectionOutcome:
    """Collect container-relevant AWS evidence; see the module docstring for scope and phases.

    Raises ``CollectionError`` (one sentence) only when no account at all can be reached; any
    narrower failure is recorded as evidence of its own and collection goes on.
    Requests are held under AWS-shaped limits per account, region and service (``ratelimit``);
    ``max_rps``, when given, also caps the whole collection; ``max_attempts`` is botocore's number
    of attempts per call (adaptive mode).

    Each account is one unit: its evidence goes to ``sink(key, outcome)`` as soon as it is done
    (then it is not kept here), and the units whose key is in ``skip`` are not collected again
    (``collect --resume``). Accounts are collected ``account_workers`` at a time; clients and
    per-account state are released when an account is done, so memory follows the concurrency,
    not the number of accounts.
    """
    cancel = cancel or threading.Event()
    factory = session_factory or default_session
    runtime = Runtime.build(max_rps=max_rps, max_workers=max_workers, max_attempts=max_attempts, cancel=cancel)
    head = Recorder(Source.AWS, "aws", clock)
    models = SharedModels()
    failures: list[str] = []
    units, base = _base_units(factory, profiles, runtime, head, models, failures)
    run = _Run(runtime, Shared(), progress, clock, regions, factory, models, base, sink)
    if base is None:
        for role_arn in role_arns:
            failures.append(f"role {role_arn} could not be assumed because no base identity worked")
        reason = failures[0] if failures else "no identity was given"
        raise CollectionError(f"No AWS account could be reached: {reason.rstrip('.')}.")
    for role_arn in role_arns:
        units.append(_Unit(arn_account(role_arn) or role_arn, f"role {role_arn}", role_arn=role_arn))
    if org is not None and not cancel.is_set():
        first = units[0].account
        assert first is not None
        found = discover(first, org, _into(units[0].evidence, head))
        listed = found or []
        for unit in units:  # the organisation's filters apply to the base identities' accounts too
            unit.records_only = found is not None and unit.key not in listed
        known = {u.key for u in units}
        for acct_id in listed:
            if acct_id not in known:
                arn = org_role_arn(first.partition, acct_id, org.role)
                units.append(_Unit(acct_id, f"organisation account {acct_id} (role {org.role})", role_arn=arn))
    todo = [u for u in units if u.key not in set(skip)]
    run.units_total = len(todo)
    run.total = len(todo)  # one step per account when it is done; its tasks are added when known

    with (
        ThreadPoolExecutor(max_workers=max(1, max_workers), thread_name_prefix="auditprep-aws") as pool,
        ThreadPoolExecutor(max_workers=max(1, account_workers), thread_name_prefix="auditprep-acct") as drivers,
    ):
        run.pool = pool
        for fut in [drivers.submit(_run_unit, run, unit) for unit in todo]:
            fut.result()  # surfaces bugs (never API failures, which are evidence)
        # accounts whose images others' task definitions named after their registry was read: again,
        # now that every reference is known (rare: a shared registry account read early)
        while not cancel.is_set():
            with run.shared.lock:
                again = [run.finished[a] for a in sorted(run.shared.late) if a in run.finished]
                run.shared.late.clear()
            if not again:
                break
            run.units_total += len(again)
            run.total += len(again)
            for fut in [drivers.submit(_run_unit, run, unit, True) for unit in again]:
                fut.result()

    evidence = head.evidence + run.kept
    arns = [run.arns[u.key] for u in todo if u.key in run.arns]
    return CollectionOutcome(Source.AWS, evidence, ", ".join(dict.fromkeys(arns)), run.targets, cancel.is_set())


def _into(evidence: list[Any], like: Recorder) -> Recorder:
    """A recorder that adds to ``evidence`` (the organisation's listing goes with the management
    account's own records, in the same scope)."""
    recorder = Recorder(like.source, like.collector, like.clock)
    recorder.evidence = evidence
    return recorder


def _base_units(
    factory: SessionFactory,
    profiles: Sequence[str],
    runtime: Runtime,
    head: Recorder,
    models: SharedModels,
    failures: list[str],
) -> tuple[list[_Unit], tuple[str | None, boto3.session.Session] | None]:
    """One unit per base identity that works (profiles, else the default chain); the first is the
    one roles are assumed from. A profile that fails is recorded in ``head``."""
    units: list[_Unit] = []
    base = None
    for profile in [*profiles] or [None]:
        label = f"profile {profile}" if profile else "the default credential chain"
        try:
            session = models.share(factory(profile))
        except (ProfileNotFound, BotoCoreError) as exc:
            reason = f"the AWS profile '{profile}' is not configured" if isinstance(exc, ProfileNotFound) else str(exc)
            failures.append(reason)
            head.attempt(
                IDENTITY, "sts:GetCallerIdentity", Scope(region="global"), CallStatus.ERROR, f"{label}: {reason}"
            )
            continue
        own = Recorder(head.source, head.collector, head.clock)
        account = whoami(session, label, runtime, own, failures)
        if account is None:
            head.evidence.extend(own.evidence)
            continue
        base = base or (profile, session)
        same = next((u for u in units if u.key == account.account_id), None)
        if same is not None:  # two identities of one account: collected once, both recorded
            same.evidence.extend(own.evidence)
            continue
        units.append(_Unit(account.account_id, label, account=account, evidence=own.evidence))
    return units, base


def _run_unit(run: _Run, unit: _Unit, again: bool = False) -> None:
    runtime = run.runtime
    if runtime.cancel.is_set():
        return
    recorder = Recorder(Source.AWS, "aws", run.clock)
    if unit.records_only:
        recorder.evidence.extend(unit.evidence)
        _finish(run, unit, recorder, None, [])
        return
    account = unit.account
    if account is None or again and unit.role_arn:
        assert run.base is not None
        profile, base_session = run.base
        try:
            session = assumed_session(run.factory, profile, base_session, unit.role_arn, runtime, run.models)
        except (ProfileNotFound, BotoCoreError) as exc:
            recorder.attempt(
                IDENTITY, "sts:AssumeRole", Scope(account=unit.key, region="global"), CallStatus.ERROR, str(exc)
            )
            session = None
        if session is not None:
            account = whoami(session, unit.label, runtime, recorder, [], role_account=arn_account(unit.role_arn))
    else:
        recorder.evidence.extend(unit.evidence)
    if account is None:  # the role could not be assumed: a recorded gap for that account
        _finish(run, unit, recorder, None, [])
        return
    with run.lock:
        if account.account_id in run.claimed and not again:
            return  # two identities of one account: collected once
        run.claimed.add(account.account_id)
    unit.account = account
    scopes = [RegionContext(account, region, recorder) for region in regions_of(account, run.regions, recorder)]
    with run.lock:
        run.total += len(scopes) * (len(_PHASE1) + len(_PHASE2) + len(_PHASE3) + len(_PHASE4)) + 1
    contexts = {c.region: c for c in scopes}
    pool = run.pool
    assert pool is not None
    for phase in (_PHASE1, _PHASE2):
        _run_phase(pool, run, [(ctx, task) for task in phase for ctx in scopes])
    run.shared.registry_read(account.account_id, [c.region for c in scopes])
    _guard_account(run, account, lambda region: contexts.get(region) or RegionContext(account, region, recorder))
    for phase in (_PHASE3, _PHASE4):
        _run_phase(pool, run, [(ctx, task) for task in phase for ctx in scopes])
    _finish(run, unit, recorder, account, [c.scope.label() for c in scopes])


def _finish(run: _Run, unit: _Unit, recorder: Recorder, account: Account | None, targets: list[str]) -> None:
    cancelled = run.runtime.cancel.is_set()
    outcome = CollectionOutcome(
        Source.AWS, recorder.evidence, account.arn if account else unit.label, targets, cancelled=cancelled
    )
    run.emit(unit.key, outcome)
    with run.lock:
        run.units_done += 1
        if account is not None:
            run.arns[unit.key] = account.arn
            run.finished[account.account_id] = unit
        run.targets.extend(targets)
    if account is not None:  # release what the account held: memory follows the concurrency
        if unit.role_arn:
            unit.account = None  # its session too: a second pass assumes the role again
        account.release()
        run.runtime.limits.forget(account.account_id)
        run.shared.forget(account.account_id)
    run.step(unit.key, "account", "done" if not cancelled else "cancelled")


def _run_phase(pool: ThreadPoolExecutor, run: _Run, jobs: list[tuple[RegionContext, Any]]) -> None:
    futures = [pool.submit(_guard_region, run, ctx, task) for ctx, task in jobs]
    wait(futures)
    for fut in futures:
        fut.result()  # surfaces bugs (never API failures, which are evidence)


def _guard_region(run: _Run, ctx: RegionContext, task: tuple[str, RegionTask, tuple[str, ...]]) -> None:
    label, fn, kinds = task
    if run.runtime.cancel.is_set():
        return
    try:
        fn(ctx, run.shared)
    except Cancelled:
        return
    except Exception as exc:  # noqa: BLE001 - an unexpected answer must become a gap, not a pass
        try:
            failure = classify(exc, label)
        except Exception:  # noqa: BLE001
            failure = ApiFailure(CallStatus.ERROR, label, f"collecting {label} failed unexpectedly ({exc!r})")
        with ctx.recorder.lock:
            attempted = {(e.kind, e.scope) for e in ctx.recorder.evidence if not e.resource}
        for kind in kinds:
            if (kind, ctx.scope) not in attempted:
                ctx.attempt(kind, failure.action, failure=failure)
    run.step(ctx.scope.label(), label)


def _guard_account(run: _Run, account: Account, ctx_for: Callable[[str], RegionContext]) -> None:
    if run.runtime.cancel.is_set():
        return
    try:
        cloudtrail.collect_status(ctx_for, account.account_id, run.shared)
    except Cancelled:
        return
    run.step(account.account_id, "cloudtrail-status")
