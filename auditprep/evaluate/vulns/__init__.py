"""Vulnerability ageing: every open vulnerability on every image, against the patch deadlines.

Assessors ask two questions of a vulnerability list: is the image it sits on actually deployed, and
is it past the deadline its framework sets? This module answers both from stored evidence, purely:

* Amazon Inspector findings (``aws.inspector.finding``), which name the ECR image in use they sit on;
* imported scanner results: Trivy image scans and the ``Vulnerabilities`` of ASFF findings (Prowler
  records are configuration checks, not vulnerabilities: they reach the POA&M as failed checks);
* the Docker image inventory (``docker.image_inventory``) matched against the bundled advisory list,
  with the containers and swarm services that run each image.

Deadlines, one per framework (``Deadline``):

* **PCI DSS 6.3.3** (v4.0.1): a *critical* vulnerability's patch is installed within one month of the
  patch's release. Other severities follow the entity's own defined schedule, so no date is given.
  The month runs from when the fix was released, never from when a scanner first saw the finding:
  where the evidence gives no fix date, the deadline is undetermined (and said to be so), except that
  a fix is never older than the vulnerability, so a month after publication it is certainly not late.
* **FedRAMP RA-5**: high (and critical) within 30 days, moderate 90, low 180, counted from detection
  (the first time the vulnerability was seen on that image). CISA KEV due dates override these; KEV
  membership is not in the evidence, so it is not applied and the note says so.

A deadline day itself is on time: ``days_over`` is 1 on the day after the due date.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from auditprep.evaluate.vulns.records import (
    ASFF_KIND,
    ECR_IMAGE_KIND,
    FEDRAMP,
    INSPECTOR_KIND,
    INVENTORY_KIND,
    KEV_NOTE,
    KINDS,
    PCI,
    RA5_WINDOW_DAYS,
    READS,
    RULES,
    TRIVY_IMAGE_KIND,
    TRIVY_VULN_KIND,
    Deadline,
    DeadlineStatus,
    Severity,
    VulnerabilityAge,
    add_month,
    fedramp_deadline,
    parse_time,
    pci_deadline,
    severity_of,
    with_deadlines,
)
from auditprep.models import CallStatus, Evidence

__all__ = [
    "Ageing",
    "age",
    "ASFF_KIND",
    "ECR_IMAGE_KIND",
    "FEDRAMP",
    "INSPECTOR_KIND",
    "INVENTORY_KIND",
    "KEV_NOTE",
    "KINDS",
    "PCI",
    "RA5_WINDOW_DAYS",
    "READS",
    "RULES",
    "TRIVY_IMAGE_KIND",
    "TRIVY_VULN_KIND",
    "Deadline",
    "DeadlineStatus",
    "Severity",
    "VulnerabilityAge",
    "add_month",
    "fedramp_deadline",
    "parse_time",
    "pci_deadline",
    "severity_of",
    "with_deadlines",
]


@dataclass
class Ageing:
    """What ``age`` found: the records, and the sources that could not be read (with the reason)."""

    as_of: date
    records: list[VulnerabilityAge] = field(default_factory=list)
    gaps: list[str] = field(default_factory=list)

    def open_in_use(self) -> list[VulnerabilityAge]:
        """Records on images in use, or whose use is not known (never hidden for want of evidence)."""
        return [r for r in self.records if r.in_use is not False]

    def overdue(self, framework: str) -> list[VulnerabilityAge]:
        return [r for r in self.records if (d := r.deadline(framework)) is not None and d.status == "overdue"]


def age(
    evidence: Sequence[Evidence],
    as_of: datetime | date,
    *,
    frameworks: Iterable[str] = (PCI, FEDRAMP),
    first_seen: Mapping[str, datetime] | None = None,
) -> Ageing:
    """Every open vulnerability in ``evidence`` with its deadlines as of ``as_of``.

    ``first_seen`` maps an image's resource id to the earliest time it was inventoried in an earlier
    run, so a vulnerability on a long-lived image keeps its original detection date.
    """
    from auditprep.evaluate.vulns.sources import (
        asff_records,
        docker_use,
        inspector_records,
        inventory_records,
        trivy_record,
    )
    from auditprep.imports import trivy

    day = as_of.date() if isinstance(as_of, datetime) else as_of
    frameworks = tuple(frameworks)
    out = Ageing(day)
    ecr_names = {ev.resource: ev.resource_name for ev in evidence if ev.kind == ECR_IMAGE_KIND and ev.resource}
    runs_in, runtime_seen = trivy.running_index(evidence)
    trivy_images = {
        (ev.data.get("import", {}).get("file_sha256", ""), ev.resource): ev
        for ev in evidence
        if ev.kind == TRIVY_IMAGE_KIND
    }
    use, hosts = docker_use(evidence)
    raw: list[VulnerabilityAge] = []
    for ev in evidence:
        if ev.kind not in KINDS:
            continue
        if ev.status is not CallStatus.COLLECTED:
            if ev.kind in (INSPECTOR_KIND, INVENTORY_KIND):
                out.gaps.append(f"{ev.kind} in {ev.scope.label()}: {ev.message or ev.status.value}")
            continue
        if not ev.resource:
            continue
        if ev.kind == INSPECTOR_KIND:
            raw.extend(inspector_records(ev, ecr_names))
        elif ev.kind == TRIVY_VULN_KIND:
            raw.append(trivy_record(ev, trivy_images, runs_in, runtime_seen))
        elif ev.kind == ASFF_KIND:
            raw.extend(asff_records(ev))
        elif ev.kind == INVENTORY_KIND:
            raw.extend(inventory_records(ev, use, hosts, first_seen or {}))
    merged: dict[tuple[str, str, str], VulnerabilityAge] = {}
    for rec in raw:
        old = merged.get(rec.key)
        if old is None:
            merged[rec.key] = rec
        else:  # the same vulnerability reported twice: keep the earliest sighting and all evidence
            earliest = min((t for t in (old.first_seen, rec.first_seen) if t), default=None)
            merged[rec.key] = replace(
                old, first_seen=earliest, evidence=tuple(dict.fromkeys(old.evidence + rec.evidence))
            )
    out.records = sorted(
        (with_deadlines(r, day, frameworks) for r in merged.values()),
        key=lambda r: (_SEVERITY_RANK[r.severity], r.image, r.vulnerability_id, r.package),
    )
    return out


_SEVERITY_RANK = {"critical": 0, "high": 1, "medium": 2, "low": 3, "informational": 4, "unknown": 5}
