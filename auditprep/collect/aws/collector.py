"""Collect AWS evidence for every account and region in scope, read-only, with bounded concurrency.

Scope: the standard boto3 credential chain (environment, profiles including SSO,
``AWS_ENDPOINT_URL``), each ``--profile`` given, and each ``--role-arn`` assumed from the first
identity that works. Two identities that resolve to the same account are collected once.
Regions: those given, or every region enabled for the account; an opt-in region the account has
not enabled is skipped with a recorded reason.

Scopes: regional evidence is ``Scope(account, region)``. Account-level facts (the caller
identity and the account's region list) use ``region="global"``.

The run has four phases because later services need what earlier ones found: (1) ECS, EKS,
trail lists, GuardDuty, Security Hub CSPM, Config, Inspector status, load balancers and
certificates; (2) ECR, which marks images the task definitions in use run, and trail status;
(3) the log groups those resources write to, and Inspector findings of images in use; (4) the
KMS keys all of them use. Within a phase, (account, region, service) tasks run on a thread pool.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.credentials import AssumeRoleCredentialFetcher, DeferredRefreshableCredentials
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
from auditprep.collect.aws.runtime import (
    Account,
    ApiFailure,
    Cancelled,
    RegionContext,
    Runtime,
    classify,
    limit,
    request_id,
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

SessionFactory = Callable[[str | None], "boto3.session.Session"]

IDENTITY = "aws.sts.identity"
REGIONS = "aws.account.regions"
REGION = "aws.account.region"

RegionTask = Callable[[RegionContext, Shared], None]

# (service label, function, evidence kinds it records) per phase
_PHASE1: tuple[tuple[str, RegionTask, tuple[str, ...]], ...] = (
    ("ecs", ecs.collect, (ecs.CLUSTER, ecs.SERVICE, ecs.TASK_DEFINITION)),
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

_ENABLED_OPT_IN = {"opt-in-not-required", "opted-in"}


def _default_session(profile: str | None) -> boto3.session.Session:
    return boto3.session.Session(profile_name=profile)


@dataclass
class _Run:
    runtime: Runtime
    recorder: Recorder
    shared: Shared
    progress: ProgressCallback
    total: int = 0
    done: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def step(self, scope: str, service: str, message: str = "") -> None:
        with self.lock:
            self.done += 1
            done, total = self.done, self.total
        self.progress(Progress("aws", scope, service, done, total, message))


def collect_aws(
    *,
    profiles: Sequence[str] = (),
    regions: Sequence[str] = (),
    role_arns: Sequence[str] = (),
    progress: ProgressCallback = no_progress,
    cancel: threading.Event | None = None,
    clock: Clock = utcnow,
    max_workers: int = 8,
    max_rps: float = 20.0,
    session_factory: SessionFactory | None = None,
    max_attempts: int = 8,
) -> CollectionOutcome:
    """Collect container-relevant AWS evidence; see the module docstring for scope and phases.

    Raises ``CollectionError`` (one sentence) only when no account at all can be reached; any
    narrower failure is recorded as evidence of its own and collection goes on.
    ``max_rps`` caps requests per second across all threads; ``max_attempts`` is botocore's number
    of retries after the first attempt (adaptive mode).
    """
    cancel = cancel or threading.Event()
    factory = session_factory or _default_session
    runtime = Runtime.build(max_rps=max_rps, max_workers=max_workers, max_attempts=max_attempts, cancel=cancel)
    recorder = Recorder(Source.AWS, "aws", clock)
    run = _Run(runtime, recorder, Shared(), progress)

    accounts = _identities(factory, profiles, role_arns, runtime, recorder)
    if cancel.is_set():
        return CollectionOutcome(Source.AWS, recorder.evidence, _identity(accounts), [], cancelled=True)

    scopes: list[RegionContext] = []
    for account in accounts:
        for region in _regions(account, regions, recorder):
            scopes.append(RegionContext(account, region, recorder))
    contexts = {(c.account.account_id, c.region): c for c in scopes}
    run.total = len(scopes) * (len(_PHASE1) + len(_PHASE2) + len(_PHASE3) + len(_PHASE4)) + len(accounts)

    with ThreadPoolExecutor(max_workers=max(1, max_workers), thread_name_prefix="auditprep-aws") as pool:
        for phase in (_PHASE1, _PHASE2):
            _run_phase(pool, run, [(ctx, task) for task in phase for ctx in scopes])
        account_jobs = []
        for account in accounts:

            def ctx_for(region: str, _acct: Account = account) -> RegionContext:
                return contexts.get((_acct.account_id, region)) or RegionContext(_acct, region, recorder)

            account_jobs.append(pool.submit(_guard_account, run, account, ctx_for))
        wait(account_jobs)
        for phase in (_PHASE3, _PHASE4):
            _run_phase(pool, run, [(ctx, task) for task in phase for ctx in scopes])

    targets = [c.scope.label() for c in scopes]
    return CollectionOutcome(Source.AWS, recorder.evidence, _identity(accounts), targets, cancelled=cancel.is_set())


def _identity(accounts: list[Account]) -> str:
    return ", ".join(a.arn for a in accounts)


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
        attempted = {(e.kind, e.scope) for e in run.recorder.evidence if not e.resource}
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


# --- identities and regions ----------------------------------------------------------------------


def _identities(
    factory: SessionFactory, profiles: Sequence[str], role_arns: Sequence[str], runtime: Runtime, recorder: Recorder
) -> list[Account]:
    failures: list[str] = []
    accounts: list[Account] = []
    bases: list[tuple[str | None, boto3.session.Session]] = []
    models = _SharedModels()

    candidates: list[str | None] = [*profiles] or [None]
    for profile in candidates:
        label = f"profile {profile}" if profile else "the default credential chain"
        try:
            session = models.share(factory(profile))
        except (ProfileNotFound, BotoCoreError) as exc:
            reason = f"the AWS profile '{profile}' is not configured" if isinstance(exc, ProfileNotFound) else str(exc)
            failures.append(reason)
            recorder.attempt(
                IDENTITY, "sts:GetCallerIdentity", Scope(region="global"), CallStatus.ERROR, f"{label}: {reason}"
            )
            continue
        account = _whoami(session, label, runtime, recorder, failures)
        if account is not None:
            bases.append((profile, session))
            accounts.append(account)

    for role_arn in role_arns:
        label = f"role {role_arn}"
        if not bases:
            failures.append(f"{label} could not be assumed because no base identity worked")
            continue
        profile, base = bases[0]
        try:
            session = models.share(factory(profile))
            botocore_base = base._session  # noqa: SLF001 - the botocore session behind boto3's
            fetcher = AssumeRoleCredentialFetcher(
                client_creator=_limited(botocore_base.create_client, runtime),
                source_credentials=botocore_base.get_credentials(),
                role_arn=role_arn,
                extra_args={"RoleSessionName": "auditprep"},
            )
            session._session._credentials = DeferredRefreshableCredentials(  # noqa: SLF001
                method="assume-role", refresh_using=fetcher.fetch_credentials
            )
        except (ProfileNotFound, BotoCoreError) as exc:
            failures.append(str(exc))
            continue
        account = _whoami(session, label, runtime, recorder, failures, role_account=_arn_account(role_arn))
        if account is not None:
            accounts.append(account)

    unique: dict[str, Account] = {}
    for account in accounts:
        unique.setdefault(account.account_id, account)
    if not unique:
        reason = failures[0] if failures else "no identity was given"
        raise CollectionError(f"No AWS account could be reached: {reason.rstrip('.')}.")
    return list(unique.values())


class _SharedModels:
    """One botocore data loader for every session of a collection, used by one thread at a time.

    Each session otherwise parses the service models again for its own clients (about 40 MiB per
    account for the services collected), and threads creating their first client of a service at
    the same moment each parse it too. Loads happen only when clients are made; after the first
    of a service they come from the loader's cache, so the lock costs nothing measurable.
    """

    def __init__(self) -> None:
        self._loader: Any = None

    def share(self, session: boto3.session.Session) -> boto3.session.Session:
        core = session._session  # noqa: SLF001 - the botocore session behind boto3's
        if self._loader is None:
            self._loader = _OneAtATime(core.get_component("data_loader"))
        core.register_component("data_loader", self._loader)
        return session


class _OneAtATime:
    """``target`` with each of its methods called under one lock."""

    def __init__(self, target: Any) -> None:
        self._target = target
        self._lock = threading.RLock()

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._target, name)
        if not callable(value):
            return value

        def locked(*args: Any, **kwargs: Any) -> Any:
            with self._lock:
                return value(*args, **kwargs)

        return locked


def _limited(create_client: Callable[..., Any], runtime: Runtime) -> Callable[..., Any]:
    """The STS clients botocore makes to assume (and later refresh) a role count against the limit too."""

    def create(*args: Any, **kwargs: Any) -> Any:
        client = create_client(*args, **kwargs)
        limit(client, runtime.limiter)
        return client

    return create


def _whoami(
    session: boto3.session.Session,
    label: str,
    runtime: Runtime,
    recorder: Recorder,
    failures: list[str],
    role_account: str | None = None,
) -> Account | None:
    account = Account(session, "", "", label, runtime)
    region = session.region_name or "us-east-1"
    try:
        client = account.client("sts", region)
        ident = client.get_caller_identity()
    except Exception as exc:  # noqa: BLE001
        failure = classify(exc, "sts:GetCallerIdentity")
        failures.append(failure.message)
        recorder.attempt(
            IDENTITY,
            failure.action,
            Scope(account=role_account, region="global"),
            failure.status,
            f"{label}: {failure.message}",
            request_ids=failure.request_ids,
        )
        return None
    account.account_id = ident["Account"]
    account.arn = ident["Arn"]
    account.partition = ident["Arn"].split(":")[1]
    account.home_region = region
    scope = Scope(account=account.account_id, region="global")
    data = {"Account": ident["Account"], "Arn": ident["Arn"], "UserId": ident["UserId"], "source": label}
    rids = tuple(filter(None, [request_id(ident)]))
    recorder.item(IDENTITY, "sts:GetCallerIdentity", scope, ident["Arn"], data, name=label, request_ids=rids)
    recorder.attempt(IDENTITY, "sts:GetCallerIdentity", scope, count=1, request_ids=rids)
    return account


def _arn_account(arn: str) -> str | None:
    parts = arn.split(":")
    return parts[4] if len(parts) > 4 and parts[4] else None


def _regions(account: Account, requested: Sequence[str], recorder: Recorder) -> list[str]:
    home = account.home_region
    acct = account.account_id
    scope = Scope(account=acct, region="global")
    try:
        resp = account.client("ec2", home).describe_regions(AllRegions=True)
    except Exception as exc:  # noqa: BLE001
        failure = classify(exc, "ec2:DescribeRegions")
        fallback = list(dict.fromkeys(requested)) or [home]
        recorder.attempt(
            REGIONS,
            failure.action,
            scope,
            failure.status,
            f"{failure.message}; collecting {', '.join(fallback)} only",
            request_ids=failure.request_ids,
        )
        return fallback
    rids = tuple(filter(None, [request_id(resp)]))
    listed = [r for r in resp.get("Regions", []) if _partition(account, r["RegionName"]) == account.partition]
    resource = f"arn:{account.partition}:iam::{acct}:root"
    recorder.item(
        REGIONS,
        "ec2:DescribeRegions",
        scope,
        resource,
        {"Regions": [{k: r.get(k) for k in ("RegionName", "OptInStatus")} for r in listed]},
        name=f"regions of account {acct}",
        request_ids=rids,
    )
    recorder.attempt(REGIONS, "ec2:DescribeRegions", scope, count=len(listed), request_ids=rids)
    status = {r["RegionName"]: r.get("OptInStatus", "opt-in-not-required") for r in listed}
    wanted = list(dict.fromkeys(requested)) or sorted(status)
    out = []
    for region in wanted:
        opt_in = status.get(region)
        where = Scope(account=acct, region=region)
        if opt_in is None:
            recorder.attempt(
                REGION,
                "ec2:DescribeRegions",
                where,
                CallStatus.NOT_ENABLED,
                f"skipped: {region} is not a region of the account's partition",
                request_ids=rids,
            )
        elif opt_in not in _ENABLED_OPT_IN:
            recorder.attempt(
                REGION,
                "ec2:DescribeRegions",
                where,
                CallStatus.NOT_ENABLED,
                f"skipped: {region} is an opt-in region the account has not enabled ({opt_in})",
                request_ids=rids,
            )
        else:
            out.append(region)
    return out


def _partition(account: Account, region: str) -> str:
    try:
        return account.session.get_partition_for_region(region)
    except Exception:  # noqa: BLE001 - an unknown region name
        return "unknown"
