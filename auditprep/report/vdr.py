"""The FedRAMP 20x Vulnerability Detail Report (VER-RPT-VDT) in FedRAMP's JSON schema.

Written from the vulnerability ageing of :mod:`auditprep.evaluate.vulns`: every open vulnerability on an image
that runs (or whose use the evidence does not settle), from Amazon Inspector, imported Trivy and ASFF
results and the Docker image inventory. What the evidence holds is stated; what only the provider can
decide is left out rather than guessed:

* detection: when the vulnerability was first seen on that image (an earlier run's inventory counts),
  else when the evidence reporting it was collected, and the tool that reported it;
* no Potential Agency Impact N-rating, internet-reachability or likely-exploitability is assigned:
  those are the provider's evaluation (VER-EVA) and none is recorded in the engagement, so no
  ``evaluationCompletedAt``, ``currentRating`` or ``finalDisposition`` is written either;
* overdue: with no evaluation recorded, a vulnerability is overdue once the Class C evaluation window
  (VER-TFR-EVU, 5 days from detection) has passed; the explanation says so and gives the Rev5 RA-5
  remediation deadline the ageing computed, for comparison;
* supplementary information: the package and versions, where the image runs, the RA-5 deadline and
  the note that CISA KEV dates are not in the evidence.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from auditprep.catalog import Catalog
from auditprep.evaluate import vulns
from auditprep.report.sdr import package_uri
from auditprep.store import Engagement, iso, parse_iso

SCHEMA_FILE = "fedramp-vulnerability-detail-report-schema-2026-06-24.json"
EVALUATE_WITHIN_DAYS = 5  # VER-TFR-EVU, Class C


def _detected(v: vulns.VulnerabilityAge, collected: dict[str, str]) -> tuple[datetime | None, str]:
    if v.first_seen is not None:
        return v.first_seen, "first seen on this image"
    times = sorted(collected[e] for e in v.evidence if e in collected)
    if times:
        return parse_iso(times[0]), "first collected evidence reporting it"
    return None, ""


def _overdue(detected: datetime, as_of: datetime) -> dict[str, Any]:
    due = detected + timedelta(days=EVALUATE_WITHIN_DAYS)
    if as_of > due:
        return {
            "isOverdue": True,
            "explanation": f"No evaluation (Potential Agency Impact N-rating, internet reachability, likely "
            f"exploitability) is recorded, and the Class C window to evaluate it ({EVALUATE_WITHIN_DAYS} days from "
            f"detection, VER-TFR-EVU) ended {due:%Y-%m-%d}.",
        }
    return {
        "isOverdue": False,
        "explanation": f"Not yet evaluated; the evaluation is due by {due:%Y-%m-%d} ({EVALUATE_WITHIN_DAYS} days "
        "from detection, VER-TFR-EVU). Mitigation time frames follow from the N-rating, which is not yet assigned.",
    }


def _supplementary(v: vulns.VulnerabilityAge) -> str:
    parts = []
    pkg = f"Package {v.package} {v.installed_version}".strip() if v.package else ""
    if pkg:
        parts.append(pkg + (f", fixed in {v.fixed_version}." if v.fixed_version else ", no fixed version known."))
    if v.in_use:
        parts.append("Runs in: " + ", ".join(v.in_use_where) + ".")
    elif v.in_use is None:
        parts.append("Whether the image runs is not shown by the evidence; it is listed rather than hidden.")
    ra5 = v.deadline(vulns.FEDRAMP)
    if ra5 is not None:
        if ra5.due is not None:
            late = f", {ra5.days_over} day(s) overdue" if ra5.status == "overdue" else ""
            parts.append(f"Rev5 RA-5 remediation deadline ({ra5.window} from {ra5.counted_from}): {ra5.due}{late}.")
        elif ra5.note:
            parts.append(f"Rev5 RA-5 remediation deadline: {ra5.note}")
    parts.append(vulns.KEV_NOTE)
    parts.append("Evidence: " + ", ".join(v.evidence) + "." if v.evidence else "")
    return " ".join(p for p in parts if p)


def tracking_id(v: vulns.VulnerabilityAge) -> str:
    """Stable across reports: the vulnerability, the package and the image it sits on."""
    return f"{v.vulnerability_id}|{v.package or '-'}|{v.image_ref}"


def build_vdr(eng: Engagement, catalog: Catalog, ctx: dict[str, Any]) -> dict[str, Any]:
    """The VDR document (FedRAMP's schema) for the engagement of the fedramp-20x report context ``ctx``."""
    from auditprep.store.detections import first_collected

    as_of = parse_iso(ctx["engagement"]["as_of"])
    evidence = eng.current_evidence(kinds=vulns.READS)
    ageing = vulns.age(evidence, as_of, first_seen=first_collected(eng, (vulns.INVENTORY_KIND,)))
    collected = {ev.id: iso(ev.collected_at) for ev in evidence if ev.id}
    start = ctx["engagement"]["period_start"]
    runs = eng.runs()
    if start:
        began = datetime.combine(datetime.fromisoformat(start).date(), time(0), tzinfo=UTC)
    elif runs:
        began = runs[0].started_at
    else:
        began = as_of
    items = []
    for v in ageing.records:
        if v.in_use is False:
            continue  # on an image nothing runs: not a vulnerability of the service
        detected, _how = _detected(v, collected)
        if detected is None:
            continue  # cannot happen for stored evidence; never invent a detection time
        title = f": {v.title}" if v.title else ""
        item: dict[str, Any] = {
            "providerTrackingId": tracking_id(v),
            "detection": {"detectedAt": iso(detected), "detectionSource": v.source},
            "vulnerabilityDescription": f"{v.vulnerability_id} ({v.severity}) in {v.package or 'the image'} on "
            f"image {v.image}{title}",
            "overdueStatus": _overdue(detected, as_of),
            "supplementaryRiskInformation": _supplementary(v),
        }
        items.append(item)
    return {
        "certificationPackageOverviewUri": package_uri(ctx)[0],
        "reportPeriod": {"from": iso(min(began, as_of)), "to": iso(as_of)},
        "vulnerabilities": items,
    }
