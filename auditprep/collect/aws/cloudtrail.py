"""CloudTrail: the trails that cover each region, whether they are logging, what they record, and
where they deliver (log file validation, KMS, CloudWatch Logs).

Each region lists the trails that apply to it, including multi-region trails whose home is
elsewhere (``includeShadowTrails``), so every region's coverage is evidence of its own. Status
and event selectors are read once per trail, in its home region when that region is collected,
and attached to the trail's record in every region that lists it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from auditprep.collect.aws.runtime import ApiFailure, RegionContext, ids_of
from auditprep.collect.aws.shared import Shared, region_of_arn

TRAIL = "aws.cloudtrail.trail"
STATUS = "aws.cloudtrail.trail_status"


def list_trails(ctx: RegionContext, shared: Shared) -> None:
    acct = ctx.account.account_id
    try:
        trails = ctx.call("cloudtrail", "DescribeTrails", includeShadowTrails=True).get("trailList", [])
    except ApiFailure as f:
        ctx.attempt(TRAIL, "cloudtrail:DescribeTrails", failure=f)
        ctx.attempt(STATUS, "cloudtrail:DescribeTrails", failure=f)
        return
    with shared.lock:
        known = shared.trails[acct]
        for t in trails:
            entry = known.setdefault(t["TrailARN"], {"trail": t, "regions": [], "listed_by": {}})
            entry["regions"].append(ctx.region)
            entry["listed_by"][ctx.region] = ids_of(t)  # the DescribeTrails call of this region
            if t.get("HomeRegion") == ctx.region:
                entry["trail"] = t
    ctx.attempt(
        TRAIL, "cloudtrail:DescribeTrails", count=len(trails), message="" if trails else "no trail records this region"
    )


def collect_status(account_contexts: Callable[[str], RegionContext], account: str, shared: Shared) -> None:
    """Read each trail's status and selectors once, then record the trail in every region listing it."""
    with shared.lock:
        trails: dict[str, dict[str, Any]] = {
            arn: {"trail": dict(e["trail"]), "regions": list(e["regions"]), "listed_by": dict(e["listed_by"])}
            for arn, e in shared.trails.get(account, {}).items()
        }
    counts: dict[str, int] = {}
    status_ids: dict[str, tuple[str, ...]] = {}
    for arn, entry in sorted(trails.items()):
        trail: dict[str, Any] = entry["trail"]
        regions: list[str] = sorted(entry["regions"])
        home = trail.get("HomeRegion")
        reader = account_contexts(home if home in regions else regions[0])
        failure: ApiFailure | None = None
        read: list[object] = []
        try:
            trail["Status"] = reader.call("cloudtrail", "GetTrailStatus", Name=arn)
            read.append(trail["Status"])
            selectors = reader.call("cloudtrail", "GetEventSelectors", TrailName=arn)
            read.append(selectors)
            trail["EventSelectors"] = selectors.get("EventSelectors", [])
            trail["AdvancedEventSelectors"] = selectors.get("AdvancedEventSelectors", [])
        except ApiFailure as f:
            failure = f
        group_arn = trail.get("CloudWatchLogsLogGroupArn")
        if group_arn:
            name = group_arn.split(":log-group:", 1)[-1].removesuffix(":*")
            shared.use_log_group(account, region_of_arn(group_arn) or reader.region, name, arn)
        if trail.get("KmsKeyId"):
            shared.use_key(account, reader.region, trail["KmsKeyId"], arn)
        for region in regions:
            ctx = account_contexts(region)
            if failure is not None:
                ctx.attempt(STATUS, failure.action, failure=failure, resource=arn, name=trail.get("Name", ""))
            else:
                counts[region] = counts.get(region, 0) + 1
                status_ids[region] = status_ids.get(region, ()) + ids_of(*read)
            ctx.item(
                TRAIL,
                "cloudtrail:DescribeTrails",
                arn,
                trail,
                name=trail.get("Name", ""),
                request_ids=tuple(dict.fromkeys(entry["listed_by"].get(region, ()) + ids_of(*read, failure))),
            )
    with shared.lock:
        listed = {r for e in shared.trails.get(account, {}).values() for r in e["regions"]}
    for region in sorted(listed | set(counts)):
        account_contexts(region).attempt(
            STATUS, "cloudtrail:GetTrailStatus", count=counts.get(region, 0), request_ids=status_ids.get(region, ())
        )
