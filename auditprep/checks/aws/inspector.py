"""Amazon Inspector checks: ECR scanning on, and the age of open findings on images in use.

Remediation windows: critical findings within 30 days (PCI DSS 6.3.3); high 30, moderate 90 and
low 180 days (FedRAMP RA-5). Windows run from the publication of the fix, or of the vulnerability
where the fix date is not given; each message says which date it used. Ages are measured at
collection time.
"""

from __future__ import annotations

from collections.abc import Iterator

from auditprep.checks.aws._common import age_days, failed, names, parse_time, passed, unknown, warned, where
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


def _clock(f) -> tuple[int | None, str]:
    """(age in days, what it was counted from) for one finding's remediation deadline.

    PCI DSS 6.3.3's month runs from the release of the patch, so the clock starts when the fix was
    published where Inspector says so, else when the vendor published the vulnerability (a fix is
    never older than that). ``firstObservedAt`` is only when Inspector first saw it on this image:
    it can show that a deadline has passed (the vulnerability is older still), never that it has not.
    """
    data = f.data
    vuln = data.get("packageVulnerabilityDetails") or {}
    fix_since = age_days(f, data.get("fixAvailableSince"))
    if fix_since is not None:
        return fix_since, f"counted from its fix's publication on {_day(data.get('fixAvailableSince'))}"
    published = age_days(f, vuln.get("vendorCreatedAt"))
    if published is not None:
        source = f" by {vuln['source']}" if vuln.get("source") else ""
        return published, f"counted from its publication{source} on {_day(vuln.get('vendorCreatedAt'))}"
    return None, ""


def _day(value: object) -> str:
    when = parse_time(value)
    return when.date().isoformat() if when else str(value)


@check(
    "aws.inspector.critical_age",
    requires=[FINDING, IMAGE],
    absent="no ECR image here is run by a task definition in use",
)
def critical_age(view: EvidenceView) -> Iterator[Result]:
    for scope in view.scopes(FINDING):
        by_image: dict[str, list] = {}
        unplaced = []  # findings that name no image in use: any image here could be theirs
        for f in view.items(FINDING, scope):
            placed = [res["in_use_image"] for res in f.data.get("resources") or [] if res.get("in_use_image")]
            for image in placed:
                by_image.setdefault(image, []).append(f)
            if not placed:
                unplaced.append(f.resource_name or f.resource)
        for img in view.items(IMAGE, scope):
            if not (img.data.get("auditprep_derived") or {}).get("in_use_by_task_definitions"):
                continue
            label = f"Image {img.resource_name} (in use) {where(scope)}"
            overdue, due, no_fix, undated = [], [], [], []
            for f in by_image.get(img.resource, []):
                severity = str(f.data.get("severity") or "").upper()
                window = WINDOW_DAYS.get(severity)
                if window is None:
                    if severity not in ("INFORMATIONAL", "UNTRIAGED"):
                        undated.append(f"{f.resource_name or f.resource} (severity not given)")
                    continue
                vuln = f.resource_name or f.resource
                if f.data.get("fixAvailable") == "NO":
                    no_fix.append(f"{vuln} ({severity.lower()})")
                    continue
                age, basis = _clock(f)
                if age is None:
                    seen = age_days(f, f.data.get("firstObservedAt"))
                    if seen is not None and seen > window:
                        overdue.append(
                            f"{vuln} ({severity.lower()}, first seen by Inspector {seen} days ago and published "
                            f"earlier, window {window})"
                        )
                    else:
                        undated.append(f"{vuln} ({severity.lower()})")
                elif age > window:
                    overdue.append(f"{vuln} ({severity.lower()}, {age} days old, {basis}, window {window})")
                elif severity in ("CRITICAL", "HIGH"):
                    due.append(f"{vuln} ({severity.lower()}, due in {window - age} days, {basis})")
            if overdue:
                yield failed(img, f"{label} has findings open past their remediation window: {names(overdue)}.")
            elif undated:
                yield unknown(
                    img,
                    f"{label} has findings whose deadline cannot be counted, because Inspector gave no "
                    f"publication date or severity for them: {names(undated)}.",
                )
            elif unplaced:
                yield unknown(
                    img,
                    f"{label}: Inspector findings {names(unplaced)} name no image in use, so they may be this "
                    "image's and its deadlines cannot be cleared.",
                )
            elif due or no_fix:
                parts = []
                if due:
                    parts.append(f"open critical or high findings still within their window: {names(due)}")
                if no_fix:
                    parts.append(f"findings with no fix published yet, to be tracked as accepted risk: {names(no_fix)}")
                yield warned(img, f"{label} has {'; and '.join(parts)}.")
            else:
                yield passed(img, f"{label} has no open Inspector finding past its remediation window.")
