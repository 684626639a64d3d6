"""KMS check: automatic rotation of the customer-managed keys the collected services encrypt with."""

from __future__ import annotations

from collections.abc import Iterator

from auditprep.checks.aws._common import failed, names, passed, warned, where
from auditprep.checks.engine import EvidenceView, Result, check
from auditprep.models import FindingStatus

KEY = "aws.kms.key"


@check("aws.kms.rotation", requires=[KEY], absent="no collected resource encrypts with a KMS key here")
def rotation(view: EvidenceView) -> Iterator[Result]:
    for ev in view.items(KEY):
        users = (ev.data.get("auditprep_derived") or {}).get("used_by") or []
        if ev.data.get("exists") is False:
            for user in users or [""]:
                yield Result(
                    FindingStatus.FAIL,
                    user or ev.resource,
                    ev.scope,
                    f"{user or 'A collected resource'} {where(ev.scope)} names KMS key {ev.resource} for its "
                    "encryption, but that key does not exist or is not visible from this account "
                    f"({ev.data.get('reason') or 'kms:DescribeKey found no such key'}), so whether and how its data "
                    "is encrypted cannot be shown.",
                    (ev.id,) if ev.id else (),
                )
            continue
        meta = ev.data.get("KeyMetadata") or {}
        label = f"KMS key {meta.get('KeyId', ev.resource)} (used by {names(users, 3)}) {where(ev.scope)}"
        if meta.get("KeyManager") == "AWS":
            yield passed(ev, f"{label} is AWS managed and rotated by AWS every year.")
        elif (ev.data.get("auditprep_derived") or {}).get("rotation_applies"):
            rotation = ev.data.get("Rotation")
            if rotation is None:
                continue  # the failed GetKeyRotationStatus call is reported by the engine
            if rotation.get("KeyRotationEnabled"):
                period = rotation.get("RotationPeriodInDays")
                every = f" every {period} days" if period else ""
                yield passed(ev, f"{label} rotates its key material automatically{every}.")
            else:
                yield failed(ev, f"{label} is a customer-managed key without automatic rotation.")
        else:
            yield warned(
                ev,
                f"{label} cannot rotate automatically (origin {meta.get('Origin')}, spec "
                f"{meta.get('KeySpec')}); rotation must be done and recorded by hand.",
            )
