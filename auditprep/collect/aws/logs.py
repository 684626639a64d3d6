"""CloudWatch Logs: retention and KMS encryption of every log group in the region, each marked with
the collected resources that write to it (containers, ECS Exec, EKS control planes, trails) and
whether a container workload writes to it.

Every group is read because retention is judged for all of them (a short-lived group nobody
references still holds events in scope). A group a resource names but that does not exist is
recorded with ``exists: false``.
"""

from __future__ import annotations

from typing import Any

from auditprep.collect.aws.runtime import ApiFailure, RegionContext, ids_of
from auditprep.collect.aws.shared import Shared

LOG_GROUP = "aws.logs.log_group"

# Log group names ECS, EKS and Container Insights use for container output by convention.
CONTAINER_PREFIXES = ("/ecs/", "/aws/ecs/", "/aws/eks/", "/aws/containerinsights/")


def _container_writer(name: str, refs: list[str]) -> str:
    """Why the group holds container workload logs, or '' when nothing collected says so."""
    writers = [r for r in refs if ":ecs:" in r or ":eks:" in r]
    if writers:
        return f"written by {', '.join(r.rsplit('/', 1)[-1] for r in writers)}"
    prefix = next((p for p in CONTAINER_PREFIXES if name.startswith(p)), None)
    return f"named like a container log group ({prefix}...)" if prefix else ""


def collect(ctx: RegionContext, shared: Shared) -> None:
    acct = ctx.account.account_id
    with shared.lock:
        wanted = {name: sorted(refs) for name, refs in shared.log_groups.get((acct, ctx.region), {}).items()}
    try:
        groups = ctx.collect_all("logs", "DescribeLogGroups", "logGroups", PaginationConfig={"PageSize": 50})
    except ApiFailure as f:
        ctx.attempt(LOG_GROUP, "logs:DescribeLogGroups", failure=f)
        return
    found: dict[str, dict[str, Any]] = {g["logGroupName"]: g for g in groups if g.get("logGroupName")}
    for name in sorted(set(found) | set(wanted)):
        refs = wanted.get(name, [])
        group = found.get(name) or {"logGroupName": name, "exists": False}
        group["auditprep_derived"] = {"written_by": refs, "container_workload": _container_writer(name, refs)}
        if refs and group.get("kmsKeyId"):
            shared.use_key(acct, ctx.region, group["kmsKeyId"], name)
        arn = group.get("logGroupArn") or ctx.arn("logs", f"log-group:{name}")
        # a group that does not exist is known from the whole listing
        ctx.item(
            LOG_GROUP, "logs:DescribeLogGroups", arn, group, name=name, request_ids=ids_of(found.get(name) or groups)
        )
    total = len(set(found) | set(wanted))
    ctx.attempt(
        LOG_GROUP, "logs:DescribeLogGroups", count=total, message="" if total else "no log group exists in this region"
    )
