"""CloudWatch Logs: retention and KMS encryption of the log groups that containers, ECS Exec,
EKS control planes and trails write to (and only those: an account's other groups are not read)."""

from __future__ import annotations

from auditprep.collect.aws.runtime import ApiFailure, RegionContext, chunks
from auditprep.collect.aws.shared import Shared

LOG_GROUP = "aws.logs.log_group"


def collect(ctx: RegionContext, shared: Shared) -> None:
    acct = ctx.account.account_id
    with shared.lock:
        wanted = {name: sorted(refs) for name, refs in shared.log_groups.get((acct, ctx.region), {}).items()}
    if not wanted:
        ctx.attempt(
            LOG_GROUP,
            "logs:DescribeLogGroups",
            count=0,
            message="no container, cluster or trail in scope writes to a log group in this region",
        )
        return
    found: dict[str, dict] = {}
    try:
        for batch in chunks(sorted(wanted), 50):
            for page in ctx.pages("logs", "DescribeLogGroups", "logGroups", logGroupIdentifiers=batch):
                for group in page:
                    if group.get("logGroupName") in wanted:
                        found[group["logGroupName"]] = group
    except ApiFailure as f:
        ctx.attempt(LOG_GROUP, "logs:DescribeLogGroups", failure=f)
        return
    for name, refs in sorted(wanted.items()):
        group = found.get(name) or {"logGroupName": name, "exists": False}
        group["auditprep_derived"] = {"written_by": refs}
        if group.get("kmsKeyId"):
            shared.use_key(acct, ctx.region, group["kmsKeyId"], name)
        arn = group.get("logGroupArn") or ctx.arn("logs", f"log-group:{name}")
        ctx.item(LOG_GROUP, "logs:DescribeLogGroups", arn, group, name=name)
    ctx.attempt(LOG_GROUP, "logs:DescribeLogGroups", count=len(wanted))
