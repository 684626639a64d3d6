"""KMS: the keys the collected services encrypt with, who manages them, and whether customer keys rotate.

Only keys referenced by the evidence (ECR repositories, EKS secrets encryption, trails, log
groups, ECS Exec) are read. Rotation is asked only of symmetric customer-managed keys with key
material from KMS: the only kind that supports automatic rotation.
"""

from __future__ import annotations

from typing import Any

from auditprep.collect.aws.runtime import ApiFailure, RegionContext
from auditprep.collect.aws.shared import Shared

KEY = "aws.kms.key"


def collect(ctx: RegionContext, shared: Shared) -> None:
    with shared.lock:
        refs = {k: set(v) for k, v in shared.kms_keys.get((ctx.account.account_id, ctx.region), {}).items()}
    if not refs:
        ctx.attempt(KEY, "kms:DescribeKey", count=0, message="no collected resource names a KMS key in this region")
        return
    keys: dict[str, dict[str, Any]] = {}
    for ref in sorted(refs):
        try:
            meta = ctx.call("kms", "DescribeKey", KeyId=ref).get("KeyMetadata", {})
        except ApiFailure as f:
            ctx.attempt(KEY, "kms:DescribeKey", failure=f, resource=ref, name=ref)
            continue
        entry = keys.setdefault(meta["Arn"], {"KeyMetadata": meta, "used_by": set()})
        entry["used_by"] |= refs[ref]
    for arn, entry in sorted(keys.items()):
        meta = entry["KeyMetadata"]
        data: dict[str, Any] = {"KeyMetadata": meta}
        rotatable = (
            meta.get("KeyManager") == "CUSTOMER"
            and meta.get("KeySpec", "SYMMETRIC_DEFAULT") == "SYMMETRIC_DEFAULT"
            and meta.get("Origin") == "AWS_KMS"
        )
        if rotatable:
            try:
                data["Rotation"] = ctx.call("kms", "GetKeyRotationStatus", KeyId=arn)
            except ApiFailure as f:
                ctx.attempt(KEY, "kms:GetKeyRotationStatus", failure=f, resource=arn, name=meta.get("KeyId", ""))
        data["auditprep_derived"] = {"used_by": sorted(entry["used_by"]), "rotation_applies": rotatable}
        ctx.item(KEY, "kms:DescribeKey", arn, data, name=meta.get("KeyId", arn))
    ctx.attempt(KEY, "kms:DescribeKey", count=len(keys))
