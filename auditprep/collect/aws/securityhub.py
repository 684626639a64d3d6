"""Security Hub CSPM: whether it is enabled in each region and which standards are subscribed.

When the account is not subscribed, ``DescribeHub`` answers with an error; that answer is the
evidence, so it is recorded as a hub item with ``enabled: false`` rather than as a failed call.
"""

from __future__ import annotations

from auditprep.collect.aws.runtime import ApiFailure, RegionContext, ids_of
from auditprep.collect.aws.shared import Shared

HUB = "aws.securityhub.hub"

_NOT_SUBSCRIBED = {"InvalidAccessException", "ResourceNotFoundException"}


def collect(ctx: RegionContext, shared: Shared) -> None:
    arn = ctx.arn("securityhub", "hub/default")
    try:
        hub = ctx.call("securityhub", "DescribeHub")
    except ApiFailure as f:
        if f.code not in _NOT_SUBSCRIBED:
            ctx.attempt(HUB, "securityhub:DescribeHub", failure=f)
            return
        data = {"enabled": False, "answer": f.message}
        ctx.item(HUB, "securityhub:DescribeHub", arn, data, name="Security Hub CSPM", request_ids=f.request_ids)
        ctx.attempt(HUB, "securityhub:DescribeHub", count=1)
        return
    hub["enabled"] = True
    arn = hub.get("HubArn") or arn
    try:
        hub["EnabledStandards"] = ctx.collect_all(
            "securityhub", "GetEnabledStandards", "StandardsSubscriptions", PaginationConfig={"PageSize": 100}
        )
    except ApiFailure as f:
        ctx.attempt(HUB, "securityhub:GetEnabledStandards", failure=f, resource=arn, name="Security Hub CSPM")
    ctx.item(
        HUB,
        "securityhub:DescribeHub",
        arn,
        hub,
        name="Security Hub CSPM",
        request_ids=ids_of(hub, hub.get("EnabledStandards")),
    )
    ctx.attempt(HUB, "securityhub:DescribeHub", count=1)
