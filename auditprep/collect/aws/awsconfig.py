"""AWS Config: configuration recorders, what they record, and whether they are recording."""

from __future__ import annotations

from auditprep.collect.aws.runtime import ApiFailure, RegionContext
from auditprep.collect.aws.shared import Shared

RECORDER = "aws.config.recorder"


def collect(ctx: RegionContext, shared: Shared) -> None:
    try:
        recorders = ctx.call("config", "DescribeConfigurationRecorders").get("ConfigurationRecorders", [])
    except ApiFailure as f:
        ctx.attempt(RECORDER, "config:DescribeConfigurationRecorders", failure=f)
        return
    failure = None
    statuses: dict[str, dict] = {}
    if recorders:
        try:
            resp = ctx.call("config", "DescribeConfigurationRecorderStatus")
            statuses = {s.get("name", ""): s for s in resp.get("ConfigurationRecordersStatus", [])}
        except ApiFailure as f:
            failure = f
    for rec in recorders:
        name = rec.get("name", "")
        if name in statuses:
            rec["Status"] = statuses[name]
        arn = rec.get("arn") or ctx.arn("config", f"configuration-recorder/{name}")
        ctx.item(
            RECORDER,
            "config:DescribeConfigurationRecorders",
            arn,
            rec,
            name=name,
            request_ids=ctx.calls(
                "config:DescribeConfigurationRecorders", "config:DescribeConfigurationRecorderStatus"
            ),
        )
    ctx.attempt(
        RECORDER,
        "config:DescribeConfigurationRecorders",
        count=len(recorders),
        failure=failure,
        message="" if recorders else "AWS Config has no configuration recorder in this region",
    )
