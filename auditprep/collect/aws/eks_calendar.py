"""Kubernetes versions on Amazon EKS and when their support ends, as AWS publishes them.

The collector reads version support from ``eks:DescribeClusterVersions``. Where an endpoint does
not offer that operation at all, it records support from this table instead, and the record says
so: which table, and the date it was compiled. It never stands in for a refused or failed call
(those stay gaps), and a version missing from the table is a gap, not a guess.

Source: AWS's Kubernetes release calendar for Amazon EKS ("Understand the Kubernetes version
lifecycle on EKS", Amazon EKS User Guide). A minor version has 14 months of standard support
from its EKS release, then 12 months of extended support. Dates are the first day on which the
version is no longer in that kind of support (UTC).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

CALENDAR = "the Amazon EKS Kubernetes release calendar shipped with auditprep"
CALENDAR_DATE = "2026-12-04"
CALENDAR_SOURCE = "https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html"

# Kubernetes minor version -> (end of standard support, end of extended support)
VERSIONS: dict[str, tuple[str, str]] = {
    "1.23": ("2023-10-11", "2024-10-11"),
    "1.24": ("2024-01-31", "2025-01-31"),
    "1.25": ("2024-05-01", "2025-05-01"),
    "1.26": ("2024-06-11", "2025-06-11"),
    "1.27": ("2024-07-24", "2025-07-24"),
    "1.28": ("2024-11-26", "2025-11-26"),
    "1.29": ("2025-03-23", "2026-03-23"),
    "1.30": ("2025-07-23", "2026-07-23"),
    "1.31": ("2025-11-26", "2026-11-26"),
    "1.32": ("2026-03-23", "2027-03-23"),
    "1.33": ("2026-07-29", "2027-07-29"),
    "1.34": ("2026-12-02", "2027-12-02"),
    "1.35": ("2027-03-27", "2028-03-27"),
}


def _day(value: str) -> datetime:
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


def version_support(version: str, at: datetime) -> dict[str, Any] | None:
    """The support of ``version`` on ``at``, shaped like a ``DescribeClusterVersions`` entry, or None
    when the table does not list the version."""
    found = VERSIONS.get(version)
    if found is None:
        return None
    standard, extended = (_day(d) for d in found)
    at = at if at.tzinfo else at.replace(tzinfo=UTC)
    status = "STANDARD_SUPPORT" if at < standard else "EXTENDED_SUPPORT" if at < extended else "UNSUPPORTED"
    return {
        "clusterVersion": version,
        "endOfStandardSupportDate": standard.isoformat(),
        "endOfExtendedSupportDate": extended.isoformat(),
        "versionStatus": status,
        "auditprep_derived": {
            "source": "calendar",
            "calendar": CALENDAR,
            "calendar_date": CALENDAR_DATE,
            "calendar_source": CALENDAR_SOURCE,
            "status_on": at.date().isoformat(),
            "note": "eks:DescribeClusterVersions is not offered by the endpoint collected; the support dates are "
            f"AWS's published ones as of {CALENDAR_DATE} and the status is derived from them on the collection date",
        },
    }
