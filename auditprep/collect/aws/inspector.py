"""Amazon Inspector: whether it scans ECR images and EC2 hosts, and the open findings of the
images the task definitions in use run, with the dates patch deadlines are counted from (when the
vendor published the vulnerability) and when Inspector first saw each one.

The account status is a region-level setting recorded under ``arn:<partition>:inspector2:<region>:<account>:account-status``.
"""

from __future__ import annotations

from typing import Any

from auditprep.collect.aws.runtime import ApiFailure, RegionContext, chunks, ids_of
from auditprep.collect.aws.shared import Shared
from auditprep.models import CallStatus

ACCOUNT = "aws.inspector.account"
FINDING = "aws.inspector.finding"

# Finding fields kept; the full record carries package paths and long advisory text.
_KEEP = (
    "findingArn",
    "awsAccountId",
    "type",
    "title",
    "severity",
    "status",
    "firstObservedAt",
    "lastObservedAt",
    "updatedAt",
    "inspectorScore",
    "fixAvailable",
    "fixAvailableSince",
    "exploitAvailable",
    "remediation",
)


def collect_account(ctx: RegionContext, shared: Shared) -> None:
    acct = ctx.account.account_id
    try:
        resp = ctx.call("inspector2", "BatchGetAccountStatus", accountIds=[acct])
    except ApiFailure as f:
        ctx.attempt(ACCOUNT, "inspector2:BatchGetAccountStatus", failure=f)
        with shared.lock:
            shared.inspector_ecr[(acct, ctx.region)] = None
        return
    failed = [a for a in resp.get("failedAccounts", []) if a.get("accountId") == acct]
    if failed:
        bad = failed[0]
        status = CallStatus.ACCESS_DENIED if bad.get("errorCode") == "ACCESS_DENIED" else CallStatus.ERROR
        ctx.attempt(
            ACCOUNT,
            "inspector2:BatchGetAccountStatus",
            failure=ApiFailure(
                status,
                "inspector2:BatchGetAccountStatus",
                f"Inspector could not report the account status ({bad.get('errorCode')}: {bad.get('errorMessage', '')})",
            ),
        )
        with shared.lock:
            shared.inspector_ecr[(acct, ctx.region)] = None
        return
    found = next((a for a in resp.get("accounts", []) if a.get("accountId") == acct), None)
    data: dict[str, Any] = found or {
        "accountId": acct,
        "state": {"status": "DISABLED"},
        "resourceState": {},
        "auditprep_derived": {"note": "Inspector returned no status for the account, so it has never been enabled"},
    }
    ecr_on = ((data.get("resourceState") or {}).get("ecr") or {}).get("status") == "ENABLED"
    with shared.lock:
        shared.inspector_ecr[(acct, ctx.region)] = ecr_on
    ctx.item(
        ACCOUNT,
        "inspector2:BatchGetAccountStatus",
        ctx.arn("inspector2", "account-status"),
        data,
        name="Amazon Inspector",
        request_ids=ids_of(resp),
    )
    ctx.attempt(ACCOUNT, "inspector2:BatchGetAccountStatus", count=1)


def collect_findings(ctx: RegionContext, shared: Shared) -> None:
    acct, region = ctx.account.account_id, ctx.region
    with shared.lock:
        digests = dict(shared.in_use_digests.get((acct, region), {}))
        enabled = shared.inspector_ecr.get((acct, region))
    if not digests:
        ctx.attempt(
            FINDING,
            "inspector2:ListFindings",
            count=0,
            message="no image in this region's registry is run by a task definition in use",
        )
        return
    if enabled is None:
        ctx.attempt(
            FINDING,
            "inspector2:ListFindings",
            failure=ApiFailure(
                CallStatus.ERROR,
                "inspector2:BatchGetAccountStatus",
                "the Inspector account status could not be read, so its findings were not requested",
            ),
            request_ids=ctx.calls("inspector2:BatchGetAccountStatus"),
        )
        return
    if not enabled:
        ctx.attempt(
            FINDING,
            "inspector2:ListFindings",
            failure=ApiFailure(
                CallStatus.NOT_ENABLED,
                "inspector2:ListFindings",
                "Amazon Inspector does not scan ECR images in this region, so there are no findings to judge",
            ),
            request_ids=ctx.calls("inspector2:BatchGetAccountStatus"),  # the answer that says so
        )
        return
    count = 0
    try:
        for batch in chunks(sorted(digests), 10):
            criteria = {
                "findingStatus": [{"comparison": "EQUALS", "value": "ACTIVE"}],
                "resourceType": [{"comparison": "EQUALS", "value": "AWS_ECR_CONTAINER_IMAGE"}],
                "ecrImageHash": [{"comparison": "EQUALS", "value": d} for d in batch],
            }
            for page in ctx.pages(
                "inspector2", "ListFindings", "findings", filterCriteria=criteria, PaginationConfig={"PageSize": 100}
            ):
                for finding in page:
                    _record(ctx, finding, digests)
                    count += 1
    except ApiFailure as f:
        ctx.attempt(FINDING, "inspector2:ListFindings", failure=f, count=count)
        return
    ctx.attempt(FINDING, "inspector2:ListFindings", count=count)


def _record(ctx: RegionContext, finding: dict[str, Any], digests: dict[str, str]) -> None:
    data = {k: finding[k] for k in _KEEP if k in finding}
    vuln = finding.get("packageVulnerabilityDetails") or {}
    data["packageVulnerabilityDetails"] = {
        "vulnerabilityId": vuln.get("vulnerabilityId"),
        "source": vuln.get("source"),
        "vendorCreatedAt": vuln.get("vendorCreatedAt"),
        "vendorUpdatedAt": vuln.get("vendorUpdatedAt"),
        "vulnerablePackages": [
            {k: p.get(k) for k in ("name", "version", "fixedInVersion", "packageManager")}
            for p in vuln.get("vulnerablePackages", [])
        ],
    }
    images = []
    for res in finding.get("resources", []):
        img = ((res.get("details") or {}).get("awsEcrContainerImage")) or {}
        images.append(
            {
                "id": res.get("id"),
                "imageHash": img.get("imageHash"),
                "repositoryName": img.get("repositoryName"),
                "imageTags": img.get("imageTags"),
                "in_use_image": digests.get(img.get("imageHash", "")),
            }
        )
    data["resources"] = images
    name = data["packageVulnerabilityDetails"]["vulnerabilityId"] or data.get("title", "")
    ctx.item(
        FINDING, "inspector2:ListFindings", finding["findingArn"], data, name=str(name), request_ids=ids_of(finding)
    )
