"""Amazon Inspector checks: ECR scanning on, and the age of open findings on images in use.

Remediation windows: critical findings within 30 days (PCI DSS 6.3.3); high 30, moderate 90 and
low 180 days from discovery (FedRAMP RA-5). Ages are measured at collection time.
"""

from __future__ import annotations

from collections.abc import Iterator

from auditprep.checks.aws._common import age_days, failed, names, passed, warned, where
from auditprep.checks.engine import EvidenceView, Result, check

ACCOUNT = "aws.inspector.account"
FINDING = "aws.inspector.finding"
IMAGE = "aws.ecr.image"
WINDOW_DAYS = {"CRITICAL": 30, "HIGH": 30, "MEDIUM": 90, "LOW": 180}


@check("aws.inspector.ecr_scanning", requires=[ACCOUNT], absent="the Inspector account status was not read")
def ecr_scanning(view: EvidenceView) -> Iterator[Result]:
    for ev in view.items(ACCOUNT):
        state = ev.data.get("resourceState") or {}
        ecr = (state.get("ecr") or {}).get("status", "DISABLED")
        ec2 = (state.get("ec2") or {}).get("status", "DISABLED")
        label = f"Amazon Inspector {where(ev.scope)}"
        if ecr == "ENABLED":
            yield passed(ev, f"{label} scans ECR images (EC2 host scanning: {ec2.lower()}).")
        else:
            yield failed(ev, f"{label} does not scan ECR images (ECR: {ecr.lower()}, EC2: {ec2.lower()}).")


@check(
    "aws.inspector.critical_age",
    requires=[FINDING, IMAGE],
    absent="no ECR image here is run by a task definition in use",
)
def critical_age(view: EvidenceView) -> Iterator[Result]:
    for scope in view.scopes(FINDING):
        by_image: dict[str, list] = {}
        for f in view.items(FINDING, scope):
            for res in f.data.get("resources") or []:
                if res.get("in_use_image"):
                    by_image.setdefault(res["in_use_image"], []).append(f)
        for img in view.items(IMAGE, scope):
            if not (img.data.get("auditprep_derived") or {}).get("in_use_by_task_definitions"):
                continue
            label = f"Image {img.resource_name} (in use) {where(scope)}"
            overdue, due = [], []
            for f in by_image.get(img.resource, []):
                severity = str(f.data.get("severity", "")).upper()
                window = WINDOW_DAYS.get(severity)
                age = age_days(f, f.data.get("firstObservedAt"))
                if window is None or age is None:
                    continue
                vuln = f.resource_name or f.resource
                if age > window:
                    overdue.append(f"{vuln} ({severity.lower()}, open {age} days, window {window})")
                elif severity in ("CRITICAL", "HIGH"):
                    due.append(f"{vuln} ({severity.lower()}, due in {window - age} days)")
            if overdue:
                yield failed(img, f"{label} has findings open past their remediation window: {names(overdue)}.")
            elif due:
                yield warned(
                    img, f"{label} has open critical or high findings still within their window: {names(due)}."
                )
            else:
                yield passed(img, f"{label} has no open Inspector finding past its remediation window.")
