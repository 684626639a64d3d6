"""KMS check: automatic rotation of the customer-managed keys the collected services encrypt with."""

from __future__ import annotations

from collections.abc import Iterator

from auditprep.checks.aws._common import failed, names, passed, warned, where
from auditprep.checks.engine import EvidenceView, Result, check

KEY = "aws.kms.key"


@check("aws.kms.rotation", requires=[KEY], absent="no collected resource encrypts with a KMS key here")
def rotation(view: EvidenceView) -> Iterator[Result]:
    for ev in view.items(KEY):
        meta = ev.data.get("KeyMetadata") or {}
        users = (ev.data.get("auditprep_derived") or {}).get("used_by") or []
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
