"""ECS: clusters, services, and the task definitions actually in use plus each family's latest revision.

Task definitions are redacted here, before anything is recorded: environment variable values are
dropped (names kept, secret-looking names flagged), secret-looking log driver options and docker
labels are masked, and command lines are scrubbed of inline credentials. ``secrets`` entries are
references (Secrets Manager or SSM ARNs) and are kept as they are.
"""

from __future__ import annotations

import threading
from typing import Any

from auditprep.collect import redact
from auditprep.collect.aws.runtime import ApiFailure, RegionContext, chunks, ids_of
from auditprep.collect.aws.shared import ImageRef, InUseFeed, Shared
from auditprep.models import CallStatus

CLUSTER = "aws.ecs.cluster"
SERVICE = "aws.ecs.service"
TASK_DEFINITION = "aws.ecs.task_definition"

# Names the AWS Config rule for ECS.8 treats as secrets by default, on top of the generic pattern.
_ECS_SECRET_NAMES = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "ECS_ENGINE_AUTH_DATA"}


def secret_like(name: str) -> bool:
    return name.upper() in _ECS_SECRET_NAMES or redact.looks_secret(name)


def redact_task_definition(td: dict[str, Any]) -> tuple[dict[str, Any], tuple[str, ...]]:
    """Drop environment values and mask other secret-bearing fields. Returns (copy, redaction paths)."""
    out = dict(td)
    done: list[str] = []
    containers = []
    for i, original in enumerate(td.get("containerDefinitions", [])):
        c = dict(original)
        where = f"containerDefinitions[{i}]"
        if "environment" in c:
            c["environment"] = [
                {"name": e.get("name", ""), "secret_like": secret_like(e.get("name", ""))} for e in c["environment"]
            ]
            done.append(f"{where}.environment[*].value")
        log = c.get("logConfiguration")
        if isinstance(log, dict) and isinstance(log.get("options"), dict):
            opts = {}
            for k, v in log["options"].items():
                if redact.looks_secret(k):
                    opts[k] = redact.REDACTED
                    done.append(f"{where}.logConfiguration.options.{k}")
                else:
                    opts[k] = v
            c["logConfiguration"] = {**log, "options": opts}
        if isinstance(c.get("dockerLabels"), dict):
            labels = {}
            for k, v in c["dockerLabels"].items():
                if redact.looks_secret(k):
                    labels[k] = redact.REDACTED
                    done.append(f"{where}.dockerLabels.{k}")
                else:
                    labels[k] = v
            c["dockerLabels"] = labels
        for field_name in ("command", "entryPoint"):
            if isinstance(c.get(field_name), list):
                c[field_name], changed = redact.argv(c[field_name])
                if changed:
                    done.append(f"{where}.{field_name}")
        hc = c.get("healthCheck")
        if isinstance(hc, dict) and isinstance(hc.get("command"), list):
            cmd, changed = redact.argv(hc["command"])
            if changed:
                done.append(f"{where}.healthCheck.command")
            c["healthCheck"] = {**hc, "command": cmd}
        containers.append(c)
    if "containerDefinitions" in td:
        out["containerDefinitions"] = containers
    return out, tuple(dict.fromkeys(done))


_FAMILIES = {"status": "ACTIVE", "PaginationConfig": {"PageSize": 100}}


def _read_families_ahead(ctx: RegionContext, feed: InUseFeed) -> None:
    """The families and their latest revisions, read while the clusters and services are: they do
    not depend on them (answers kept for ``collect``, which records them in its own order). Each
    task definition's images go to ``feed`` as it arrives, for ECR's early reads."""

    def describe(ref: str) -> None:
        td = ctx.prefetch("call", "ecs", "DescribeTaskDefinition", taskDefinition=ref)
        if isinstance(td, dict):
            feed.task_definition(td.get("taskDefinition") or {})

    try:
        families = ctx.prefetch("collect_all", "ecs", "ListTaskDefinitionFamilies", "families", **_FAMILIES)
        if not isinstance(families, ApiFailure):
            ctx.map(describe, list(dict.fromkeys(families)))
    except Exception:  # noqa: BLE001 - cancelled or unexpected: collect makes the calls itself then
        return


def collect(ctx: RegionContext, shared: Shared) -> None:
    feed = shared.feed(ctx.account.account_id, ctx.region)
    feed.begin()
    ahead = threading.Thread(target=_read_families_ahead, args=(ctx, feed), name="auditprep-ecs-ahead", daemon=True)
    try:
        _collect(ctx, shared, ahead)
    finally:
        if ahead.ident is not None:
            ahead.join()
        feed.finish()


def _collect(ctx: RegionContext, shared: Shared, ahead: threading.Thread) -> None:
    acct, region = ctx.account.account_id, ctx.region
    try:
        cluster_arns = ctx.collect_all("ecs", "ListClusters", "clusterArns", PaginationConfig={"PageSize": 100})
    except ApiFailure as f:
        for kind in (CLUSTER, SERVICE, TASK_DEFINITION):
            ctx.attempt(kind, "ecs:ListClusters", failure=f)
        return
    ahead.start()  # ECS answers: read the task definitions while the clusters and services are

    clusters: list[dict[str, Any]] = []
    cluster_failure: ApiFailure | None = None
    for batch in chunks(cluster_arns, 100):
        try:
            resp = ctx.call("ecs", "DescribeClusters", clusters=batch, include=["CONFIGURATIONS", "SETTINGS"])
        except ApiFailure as f:
            cluster_failure = f
            continue
        clusters.extend(resp.get("clusters", []))
        for failed in resp.get("failures", []):
            ctx.attempt(
                CLUSTER,
                "ecs:DescribeClusters",
                failure=ApiFailure(
                    _status_of(failed), "ecs:DescribeClusters", f"ECS reported {failed.get('reason', 'a failure')}"
                ),
                resource=failed.get("arn", ""),
            )
    for c in clusters:
        exec_cfg = (c.get("configuration") or {}).get("executeCommandConfiguration") or {}
        log_cfg = exec_cfg.get("logConfiguration") or {}
        if log_cfg.get("cloudWatchLogGroupName"):
            shared.use_log_group(acct, region, log_cfg["cloudWatchLogGroupName"], c["clusterArn"])
        if exec_cfg.get("kmsKeyId"):
            shared.use_key(acct, region, exec_cfg["kmsKeyId"], c["clusterArn"])
        ctx.item(CLUSTER, "ecs:DescribeClusters", c["clusterArn"], c, name=c.get("clusterName", ""))
    ctx.attempt(
        CLUSTER,
        "ecs:DescribeClusters",
        count=len(clusters),
        failure=cluster_failure,
        request_ids=ids_of(cluster_arns, cluster_failure) + ctx.calls("ecs:DescribeClusters"),
    )

    # services, per cluster; each cluster's describe batches in flight together
    services: list[dict[str, Any]] = []
    for arn in cluster_arns:
        try:
            svc_arns = ctx.collect_all(
                "ecs", "ListServices", "serviceArns", cluster=arn, PaginationConfig={"PageSize": 100}
            )
        except ApiFailure as f:
            ctx.attempt(SERVICE, "ecs:ListServices", failure=f, resource=arn, name=arn.rsplit("/", 1)[-1])
            continue

        def describe_services(batch: list[str], cluster: str = arn) -> tuple[list[str], Any]:
            try:
                return batch, ctx.call("ecs", "DescribeServices", cluster=cluster, services=batch)
            except ApiFailure as f:
                return batch, f

        for batch, resp in ctx.map(describe_services, chunks(svc_arns, 10)):
            if isinstance(resp, ApiFailure):
                for s in batch:
                    ctx.attempt(SERVICE, "ecs:DescribeServices", failure=resp, resource=s, name=s.rsplit("/", 1)[-1])
                continue
            # a deleted service is INACTIVE; AWS stops listing it, and it runs nothing (it is history, not estate)
            services.extend(s for s in resp.get("services", []) if s.get("status") != "INACTIVE")
    in_use: dict[str, set[str]] = {}
    for s in services:
        s.pop("events", None)  # deployment chatter, not configuration
        tds = {
            str(t) for t in [s.get("taskDefinition"), *(d.get("taskDefinition") for d in s.get("deployments", []))] if t
        }
        for td in tds:
            in_use.setdefault(td, set()).add(s["serviceArn"])
        ctx.item(SERVICE, "ecs:DescribeServices", s["serviceArn"], s, name=s.get("serviceName", ""))
    shared.feed(acct, region).services_read(set(in_use))
    ctx.attempt(
        SERVICE,
        "ecs:ListServices",
        count=len(services),
        request_ids=ids_of(cluster_arns) + ctx.calls("ecs:ListServices", "ecs:DescribeServices"),
    )

    # task definitions: the latest ACTIVE revision of each family, then in-use revisions not yet seen
    family_failure: ApiFailure | None = None
    ahead.join()
    try:
        families = ctx.collect_all("ecs", "ListTaskDefinitionFamilies", "families", **_FAMILIES)
    except ApiFailure as f:
        family_failure, families = f, []
    seen: set[str] = set()

    def describe(ref: str) -> tuple[str, Any]:
        try:
            return ref, ctx.call("ecs", "DescribeTaskDefinition", taskDefinition=ref).get("taskDefinition", {})
        except ApiFailure as f:
            return ref, f

    def record(results: list[tuple[str, Any]]) -> None:
        for ref, td in results:
            if isinstance(td, ApiFailure):
                ctx.attempt(TASK_DEFINITION, "ecs:DescribeTaskDefinition", failure=td, resource=ref, name=_short(ref))
                continue
            arn = td["taskDefinitionArn"]
            if td.get("status") == "INACTIVE" and ref in families and ref not in in_use:
                continue  # a family whose revisions are all deregistered is not ACTIVE (an emulator may list it)
            seen.update((ref, arn))
            _record_task_definition(ctx, shared, td, sorted(in_use.get(arn, ())), latest=ref in families)

    # the latest revision of every family first, then the in-use revisions that are not the latest
    record(ctx.map(describe, list(dict.fromkeys(families))))
    record(ctx.map(describe, [ref for ref in sorted(in_use) if ref not in seen]))
    count = len([r for r in seen if r.startswith("arn:")])
    ctx.attempt(TASK_DEFINITION, "ecs:ListTaskDefinitionFamilies", count=count, failure=family_failure)


def _record_task_definition(
    ctx: RegionContext, shared: Shared, td: dict[str, Any], services: list[str], *, latest: bool
) -> None:
    arn = td["taskDefinitionArn"]
    acct, region = ctx.account.account_id, ctx.region
    data, redactions = redact_task_definition(td)
    images = []
    for c in data.get("containerDefinitions", []):
        ref = shared.use_image(c.get("image", ""), arn) if services else ImageRef.parse(c.get("image", ""))
        images.append({"container": c.get("name", ""), **ref.as_dict()})
        log = c.get("logConfiguration") or {}
        opts = log.get("options") or {}
        if log.get("logDriver") == "awslogs" and opts.get("awslogs-group"):
            shared.use_log_group(acct, opts.get("awslogs-region", region), opts["awslogs-group"], arn)
    data["auditprep_derived"] = {
        "in_use_by_services": services,
        "latest_revision_of_family": latest,
        "images": images,
    }
    ctx.item(
        TASK_DEFINITION,
        "ecs:DescribeTaskDefinition",
        arn,
        data,
        name=_short(arn),
        redactions=redactions,
        request_ids=ids_of(td),
    )


def _family(td_arn: str) -> str:
    return _short(td_arn).rsplit(":", 1)[0]


def _short(td_arn: str) -> str:
    return td_arn.rsplit("/", 1)[-1]


def _status_of(failure: dict[str, Any]) -> CallStatus:
    return CallStatus.ACCESS_DENIED if "denied" in str(failure.get("reason", "")).lower() else CallStatus.ERROR
