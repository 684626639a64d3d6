"""GuardDuty: the detector of each region and its protection features.

Features are read from ``Features`` (with their ``AdditionalConfiguration``), never from the
legacy ``DataSources`` block, which does not describe Runtime Monitoring.
"""

from __future__ import annotations

from auditprep.collect.aws.runtime import ApiFailure, RegionContext
from auditprep.collect.aws.shared import Shared

DETECTOR = "aws.guardduty.detector"


def collect(ctx: RegionContext, shared: Shared) -> None:
    try:
        ids = ctx.collect_all("guardduty", "ListDetectors", "DetectorIds", PaginationConfig={"PageSize": 50})
    except ApiFailure as f:
        ctx.attempt(DETECTOR, "guardduty:ListDetectors", failure=f)
        return
    count = 0
    for detector_id in ids:
        arn = ctx.arn("guardduty", f"detector/{detector_id}")
        try:
            detector = ctx.call("guardduty", "GetDetector", DetectorId=detector_id)
        except ApiFailure as f:
            ctx.attempt(DETECTOR, "guardduty:GetDetector", failure=f, resource=arn, name=detector_id)
            continue
        detector["DetectorId"] = detector_id
        ctx.item(DETECTOR, "guardduty:GetDetector", arn, detector, name=detector_id)
        count += 1
    ctx.attempt(
        DETECTOR,
        "guardduty:ListDetectors",
        count=count,
        message="" if ids else "GuardDuty has no detector in this region",
    )
