"""Who the collection runs as: base identities (profiles, the default chain), roles assumed from
them, the account each resolves to, and the regions of each account.

Every session of one collection shares one botocore data loader (``SharedModels``), so service
models are parsed once however many accounts are collected.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

import boto3
from botocore.credentials import AssumeRoleCredentialFetcher, DeferredRefreshableCredentials

from auditprep.collect.aws.runtime import Account, Runtime, classify, limit, request_id
from auditprep.collect.base import Recorder
from auditprep.models import CallStatus, Scope

SessionFactory = Callable[[str | None], "boto3.session.Session"]

IDENTITY = "aws.sts.identity"
REGIONS = "aws.account.regions"
REGION = "aws.account.region"

_ENABLED_OPT_IN = {"opt-in-not-required", "opted-in"}


def default_session(profile: str | None) -> boto3.session.Session:
    return boto3.session.Session(profile_name=profile)


def assumed_session(
    factory: SessionFactory,
    profile: str | None,
    base: boto3.session.Session,
    role_arn: str,
    runtime: Runtime,
    models: SharedModels,
) -> boto3.session.Session:
    """A session whose credentials come from assuming ``role_arn`` with ``base``'s (refreshed when due)."""
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
    return session


class SharedModels:
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
        region = str(kwargs.get("region_name") or "global")
        limits = runtime.limits
        limit(client, lambda op: limits.gates("assume-role", region, "sts", op), runtime.counters)
        return client

    return create


def whoami(
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


def arn_account(arn: str) -> str | None:
    parts = arn.split(":")
    return parts[4] if len(parts) > 4 and parts[4] else None


def regions_of(account: Account, requested: Sequence[str], recorder: Recorder) -> list[str]:
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
