"""KMS: the keys the collected services encrypt with, who manages them, and whether customer keys rotate.

Only keys referenced by the evidence (ECR repositories, EKS secrets encryption, trails, log
groups, ECS Exec) are read. Rotation is asked only of symmetric customer-managed keys with key
material from KMS: the only kind that supports automatic rotation. A referenced key that KMS says
does not exist (deleted, or in another account that does not share it) is recorded as such: it is
a finding about the resources that use it, not a gap in collection.
"""

from __future__ import annotations

from typing import Any

from auditprep.collect.aws.runtime import ApiFailure, RegionContext, ids_of
from auditprep.collect.aws.shared import Shared

KEY = "aws.kms.key"


def collect(ctx: RegionContext, shared: Shared) -> None:
    with shared.lock:
        refs = {k: set(v) for k, v in shared.kms_keys.get((ctx.account.account_id, ctx.region), {}).items()}
    if not refs:
        ctx.attempt(KEY, "kms:DescribeKey", count=0, message="no collected resource names a KMS key in this region")
        return
    keys: dict[str, dict[str, Any]] = {}
    missing: dict[str, ApiFailure] = {}  # referenced keys KMS says do not exist: a fact about their users
    for ref in sorted(refs):
        try:
            meta = ctx.call("kms", "DescribeKey", KeyId=ref).get("KeyMetadata", {})
        except ApiFailure as f:
            if f.code == "NotFoundException":
                missing[ref] = f
            else:
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
        ctx.item(
            KEY,
            "kms:DescribeKey",
            arn,
            data,
            name=meta.get("KeyId", arn),
            request_ids=ids_of(meta, data.get("Rotation")),
        )
    for ref, why in sorted(missing.items()):
        data = {
            "KeyReference": ref,
            "exists": False,
            "reason": why.message,
            "auditprep_derived": {"used_by": sorted(refs[ref]), "rotation_applies": False},
        }
        ctx.item(KEY, "kms:DescribeKey", ref, data, name=ref.rsplit("/", 1)[-1], request_ids=why.request_ids)
    ctx.attempt(KEY, "kms:DescribeKey", count=len(keys) + len(missing))
