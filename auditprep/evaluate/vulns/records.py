"""The records of vulnerability ageing: severities, deadlines by framework, and time parsing."""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any, Literal

from auditprep.models import Scope

PCI = "pci-dss"
FEDRAMP = "fedramp-moderate"

INSPECTOR_KIND = "aws.inspector.finding"
ECR_IMAGE_KIND = "aws.ecr.image"
TRIVY_IMAGE_KIND = "import.trivy_image"
TRIVY_VULN_KIND = "import.trivy_vulnerability"
ASFF_KIND = "import.asff_finding"
INVENTORY_KIND = "docker.image_inventory"
KINDS = (INVENTORY_KIND, INSPECTOR_KIND, ECR_IMAGE_KIND, TRIVY_IMAGE_KIND, TRIVY_VULN_KIND, ASFF_KIND)
# every kind ``age`` reads, with the runtime records that say where an image runs: load these (with
# their data) from the store, e.g. ``eng.current_evidence(kinds=vulns.READS)``
READS = (*KINDS, "docker.container", "docker.swarm_service", "aws.ecs.task")

Severity = Literal["critical", "high", "medium", "low", "informational", "unknown"]
DeadlineStatus = Literal["overdue", "within", "undetermined", "no_fix", "entity_schedule", "not_rated"]

RA5_WINDOW_DAYS = {"critical": 30, "high": 30, "medium": 90, "low": 180}
KEV_NOTE = "CISA KEV due dates, which override these windows, are not in the evidence."


@dataclass(frozen=True)
class Deadline:
    """One framework's remediation deadline for one vulnerability on one image.

    ``status``: ``overdue`` (past ``due``), ``within`` (not yet due), ``undetermined`` (the date the
    clock starts from is not in the evidence; ``note`` says which), ``no_fix`` (PCI's clock has not
    started: no fix is published), ``entity_schedule`` (PCI: not critical, the entity's own schedule
    applies), ``not_rated`` (no severity, so no window).
    """

    framework: str
    rule: str
    status: DeadlineStatus
    as_of: date
    window: str = ""  # "30 days", "1 month"
    counted_from: str = ""  # "detection", "fix release", "publication (earliest possible)"
    start: date | None = None
    due: date | None = None
    note: str = ""

    @property
    def days_over(self) -> int:
        """Days past the due date (0 on the due day and before it, or when there is no date)."""
        return max(0, (self.as_of - self.due).days) if self.due else 0

    @property
    def days_left(self) -> int | None:
        """Days until the due date (0 on the due day), None when there is no date or it has passed."""
        if self.due is None or self.as_of > self.due:
            return None
        return (self.due - self.as_of).days


@dataclass(frozen=True)
class VulnerabilityAge:
    """One vulnerability on one image, with its dates and deadlines."""

    vulnerability_id: str
    severity: Severity
    image: str  # the image's name (repository:tag) or, failing that, its digest
    image_ref: str  # the image's resource id in the evidence (digest, ARN or image id)
    package: str
    installed_version: str
    fixed_version: str
    source: str  # "Amazon Inspector", "Trivy 0.50.1", "ASFF (product)", "bundled advisory list"
    scope: Scope
    in_use: bool | None  # None: no container or task evidence says either way
    in_use_where: tuple[str, ...]
    published: datetime | None
    first_seen: datetime | None
    fix_available: bool | None
    fix_available_since: datetime | None
    evidence: tuple[str, ...]
    deadlines: tuple[Deadline, ...] = ()
    title: str = ""

    def deadline(self, framework: str) -> Deadline | None:
        return next((d for d in self.deadlines if d.framework == framework), None)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.vulnerability_id, self.image_ref, self.package)


# --- deadline rules ---------------------------------------------------------------------------


def add_month(day: date) -> date:
    """The same day one calendar month later, or that month's last day (31 January -> 28/29 February)."""
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _status(due: date, as_of: date) -> DeadlineStatus:
    return "overdue" if as_of > due else "within"


def pci_deadline(v: VulnerabilityAge, as_of: date) -> Deadline:
    """PCI DSS 6.3.3: critical patches within one month of the patch's release."""
    rule = "PCI DSS 6.3.3"
    if v.severity in ("unknown", "informational"):
        return Deadline(PCI, rule, "not_rated", as_of, note="the evidence gives no severity for it")
    if v.severity != "critical":
        return Deadline(
            PCI, rule, "entity_schedule", as_of, note="not critical: patched on the entity's own defined schedule"
        )
    if v.fix_available is False:
        return Deadline(PCI, rule, "no_fix", as_of, window="1 month", note="no fix is published yet")
    if v.fix_available_since:
        start = v.fix_available_since.date()
        due = add_month(start)
        return Deadline(PCI, rule, _status(due, as_of), as_of, "1 month", "fix release", start, due)
    if v.published:
        earliest = add_month(v.published.date())
        if as_of <= earliest:
            return Deadline(
                PCI,
                rule,
                "within",
                as_of,
                "1 month",
                "publication (the fix cannot be older)",
                v.published.date(),
                earliest,
                "the fix's release date is not in the evidence; the deadline is on or after this date",
            )
    return Deadline(
        PCI,
        rule,
        "undetermined",
        as_of,
        "1 month",
        note="the evidence does not say when the fix was released, and a scanner's first sighting does not bound it",
    )


def fedramp_deadline(v: VulnerabilityAge, as_of: date) -> Deadline:
    """FedRAMP RA-5: high 30, moderate 90, low 180 days from detection."""
    rule = "FedRAMP RA-5"
    window = RA5_WINDOW_DAYS.get(v.severity)
    if window is None:
        return Deadline(FEDRAMP, rule, "not_rated", as_of, note="the evidence gives no severity for it")
    if v.first_seen is None:
        return Deadline(
            FEDRAMP,
            rule,
            "undetermined",
            as_of,
            f"{window} days",
            note="the evidence does not say when it was detected",
        )
    start = v.first_seen.date()
    due = date.fromordinal(start.toordinal() + window)
    note = KEV_NOTE + (" No fix is published yet: a vendor dependency to track." if v.fix_available is False else "")
    return Deadline(FEDRAMP, rule, _status(due, as_of), as_of, f"{window} days", "detection", start, due, note)


RULES = {PCI: pci_deadline, FEDRAMP: fedramp_deadline}


def with_deadlines(v: VulnerabilityAge, as_of: date, frameworks: Iterable[str] = (PCI, FEDRAMP)) -> VulnerabilityAge:
    return replace(v, deadlines=tuple(RULES[f](v, as_of) for f in frameworks if f in RULES))


# --- reading the evidence ---------------------------------------------------------------------


def parse_time(value: Any) -> datetime | None:
    """A time as AWS and scanners write it (ISO 8601, epoch seconds, a date), in UTC; None if unreadable."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, tz=UTC)
    if isinstance(value, str) and value:
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


def severity_of(label: Any) -> Severity:
    text = str(label or "").strip().lower()
    text = {"moderate": "medium", "info": "informational", "negligible": "low"}.get(text, text)
    return text if text in ("critical", "high", "medium", "low", "informational") else "unknown"  # type: ignore[return-value]
