"""The FedRAMP plan of action and milestones (POA&M): every open weakness, with a deadline.

A weakness is open when the latest evidence shows it (CA-5, RA-5):

* a failed check (an automated check, or an imported Prowler/ASFF/Trivy result) on a resource;
* a vulnerability on an image in use, or whose use the evidence cannot rule out (:mod:`auditprep.evaluate.vulns`);
  the check that only summarises an image's vulnerabilities is then left out, so each one is listed once;
* an open concern an assessor flagged in a review loaded into the engagement.

Each item carries the original detection date (the first evaluation in which the check failed, the
first sighting of the vulnerability, the date of the assessor's comment), an original risk rating
(the source's severity; likelihood and impact are shown apart, with their basis), a scheduled
completion date from the RA-5 windows (high 30, moderate 90, low 180 days from detection), two
proposed milestones the team confirms or replaces, and any recorded exception as a pending
deviation request (an exception is the team's risk acceptance; only the authorising official can
approve a deviation).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from auditprep.evaluate import vulns
from auditprep.models import ControlException, Finding, FindingStatus

if TYPE_CHECKING:
    from auditprep.catalog import Catalog
    from auditprep.report.facts import Facts
    from auditprep.store import Engagement

FRAMEWORK = "fedramp-moderate"
WINDOW_DAYS = {"critical": 30, "high": 30, "medium": 90, "low": 180, "info": 180}
RATING = {"critical": "High", "high": "High", "medium": "Moderate", "low": "Low", "info": "Low"}
# checks whose failure only summarises the vulnerabilities listed one by one from the same evidence
VULNERABILITY_CHECKS = ("docker.image.vulnerable_packages", "aws.inspector.critical_age")
VULNERABILITY_CONTROLS = ("RA-5", "SI-2")
MILESTONE_NOTE = "Milestones proposed from the RA-5 window; the team confirms or replaces them."


@dataclass(frozen=True)
class Milestone:
    due: date
    description: str


@dataclass
class PoamItem:
    """One POA&M row (the FedRAMP template's fields, in the project's words)."""

    id: str
    kind: str  # check, vulnerability, assessor
    controls: list[str]
    weakness: str
    description: str
    detector: str  # what found it: "auditprep check", "Amazon Inspector", "Trivy 0.58.0", "Assessor review"
    source_id: str  # check id, CVE id, review comment
    asset: str
    detected: date
    due: date
    severity: str
    likelihood: str
    likelihood_basis: str
    impact: str
    risk: str  # original risk rating: High / Moderate / Low
    remediation: str
    milestones: list[Milestone]
    status: str  # open, overdue, deviation-requested
    days_over: int
    point_of_contact: str = ""
    vendor_dependency: bool = False
    vendor_product: str = ""
    cve: str = ""
    deviation: str = ""  # the recorded exception's rationale, when one covers it
    deviation_owner: str = ""
    deviation_expires: str = ""
    evidence: list[str] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["detected"], out["due"] = self.detected.isoformat(), self.due.isoformat()
        out["milestones"] = [{"due": m.due.isoformat(), "description": m.description} for m in self.milestones]
        return out


def _milestones(start: date, due: date, first: str, last: str) -> list[Milestone]:
    midway = start + timedelta(days=max(1, (due - start).days // 2))
    return [Milestone(min(midway, due), first), Milestone(due, last)]


def _status(due: date, as_of: date, deviation: bool) -> tuple[str, int]:
    over = max(0, (as_of - due).days)
    if deviation:
        return "deviation-requested", over
    return ("overdue" if over else "open"), over


class _Builder:
    def __init__(self, eng: Engagement, catalog: Catalog, facts: Facts) -> None:
        from auditprep.store.detections import first_collected, first_failures

        self.catalog, self.facts = catalog, facts
        self.as_of = facts.stamp.date()
        self.names = facts.names()
        self.first_fail = first_failures(eng)
        self.first_seen = first_collected(eng, (vulns.INVENTORY_KIND,))
        self.exceptions: dict[str, ControlException] = {}
        for exc in facts.exceptions:
            if exc.expires > facts.stamp:
                self.exceptions.setdefault(exc.control_id, exc)
        self.eng = eng
        reqs = {r.id for r in catalog.frameworks[FRAMEWORK].requirements} if FRAMEWORK in catalog.frameworks else set()
        self.vuln_controls = [c for c in VULNERABILITY_CONTROLS if c in reqs]

    def controls_of(self, control_ids: tuple[str, ...] | list[str]) -> list[str]:
        out: dict[str, None] = {}
        for cid in control_ids:
            for req in self.catalog.requirements_of(cid, FRAMEWORK):
                out.setdefault(req, None)
        return list(out)

    def exception_for(self, control_ids: tuple[str, ...] | list[str]) -> ControlException | None:
        return next((self.exceptions[c] for c in control_ids if c in self.exceptions), None)

    def asset(self, f: Finding) -> str:
        name = self.names.get(f.resource, "")
        what = f"{name} ({f.resource})" if name and f.resource else (f.resource or "the whole scope")
        return f"{what} in {f.scope.label()}"

    def from_check(self, f: Finding) -> PoamItem:
        meta = self.catalog.checks.get(f.check)
        severity = f.severity.value
        detected = self.first_fail.get((f.check, f.resource, f.scope), self.facts.stamp).date()
        window = WINDOW_DAYS.get(severity, 90)
        due = detected + timedelta(days=window)
        exc = self.exception_for(f.controls)
        status, over = _status(due, self.as_of, exc is not None)
        remediation = (meta.remediation if meta else "") or "Correct the configuration the check reports."
        detector = "auditprep automated check" if meta else f"imported result ({f.check.split('/', 1)[0]})"
        comments = []
        if severity == "info":
            comments.append("Rated informational by its check; tracked with the low-risk window.")
        return PoamItem(
            id="",
            kind="check",
            controls=self.controls_of(f.controls),
            weakness=f"Not met: {f.title or (meta.title if meta else f.check)}",
            description=f.message,
            detector=detector,
            source_id=f.check,
            asset=self.asset(f),
            detected=detected,
            due=due,
            severity=severity,
            likelihood="Moderate",
            likelihood_basis="The weakness is present in the collected configuration; whether it can be reached "
            "from outside is not judged by the check.",
            impact=RATING.get(severity, "Moderate"),
            risk=RATING.get(severity, "Moderate"),
            remediation=remediation,
            milestones=_milestones(
                detected,
                due,
                f"Change planned and approved: {remediation.split('. ')[0].rstrip('.')}.",
                "Change deployed; evidence collected again and the check passes.",
            ),
            status=status,
            days_over=over,
            point_of_contact=exc.owner if exc else "",
            deviation=exc.rationale if exc else "",
            deviation_owner=exc.owner if exc else "",
            deviation_expires=exc.expires.date().isoformat() if exc else "",
            evidence=list(f.evidence),
            comments=comments,
        )

    def from_vulnerability(self, v: vulns.VulnerabilityAge) -> PoamItem:
        severity = {"informational": "info", "unknown": "high"}.get(v.severity, v.severity)
        detected = v.first_seen.date() if v.first_seen else self.as_of
        window = WINDOW_DAYS[severity]
        due = detected + timedelta(days=window)
        status, over = _status(due, self.as_of, False)
        comments = [vulns.KEV_NOTE]
        if v.first_seen is None:
            comments.append("The evidence gives no detection date; the window is counted from this POA&M's date.")
        if v.severity == "unknown":
            comments.append("The source gives no severity; tracked as high until it is rated.")
        pci = v.deadline(vulns.PCI)
        if pci is not None and pci.due is not None:
            comments.append(f"{pci.rule}: due {pci.due.isoformat()} ({pci.status}).")
        if v.in_use:
            likelihood, basis = "High", "The image runs: " + ", ".join(v.in_use_where[:3]) + "."
        else:
            likelihood, basis = "Moderate", "Whether the image runs is not shown by the collected evidence."
        fix = f"{v.package} {v.fixed_version}" if v.fixed_version else f"a fixed {v.package}"
        pkg = f"{v.package} {v.installed_version}".strip()
        remediation = (
            f"Rebuild the image on a base carrying {fix}, redeploy it, and confirm with a new scan."
            if v.fix_available is not False
            else f"No fix is published for {v.vulnerability_id} in {v.package}; mitigate, and track the vendor's fix."
        )
        return PoamItem(
            id="",
            kind="vulnerability",
            controls=list(self.vuln_controls),
            weakness=f"{v.vulnerability_id} in {pkg}" + (f" ({v.title})" if v.title else ""),
            description=f"{v.vulnerability_id} ({v.severity}) affects {pkg or 'a package'} in image {v.image}.",
            detector=v.source,
            source_id=v.vulnerability_id,
            asset=f"{v.image} ({v.image_ref}) in {v.scope.label()}",
            detected=detected,
            due=due,
            severity=v.severity,
            likelihood=likelihood,
            likelihood_basis=basis,
            impact=RATING.get(severity, "High"),
            risk=RATING.get(severity, "High"),
            remediation=remediation,
            milestones=_milestones(
                detected,
                due,
                f"Image rebuilt on a base with {fix}.",
                f"Rebuilt image deployed everywhere it runs; a new scan no longer reports {v.vulnerability_id}.",
            ),
            status=status,
            days_over=over,
            vendor_dependency=v.fix_available is False,
            vendor_product=v.package if v.fix_available is False else "",
            cve=v.vulnerability_id if v.vulnerability_id.startswith("CVE-") else "",
            evidence=list(v.evidence),
            comments=comments,
        )

    def from_reviews(self) -> list[PoamItem]:
        from auditprep.review import review_comments

        latest: dict[str, Any] = {}
        for _doc, c in review_comments(self.eng):
            if c.flag != "none":
                latest[c.target] = c
        out = []
        for c in latest.values():
            if c.flag != "concern":
                continue
            detected = c.at.date()
            due = detected + timedelta(days=WINDOW_DAYS["medium"])
            controls = [c.target_id] if c.target_kind == "control" else []
            exc = self.exception_for(controls)
            status, over = _status(due, self.as_of, exc is not None)
            out.append(
                PoamItem(
                    id="",
                    kind="assessor",
                    controls=self.controls_of(controls),
                    weakness=f"Assessor concern about {c.target_kind} {c.target_id}",
                    description=c.text,
                    detector=f"Assessor review ({c.author})",
                    source_id=f"review comment {c.id}",
                    asset=f"{c.target_kind} {c.target_id}",
                    detected=detected,
                    due=due,
                    severity="medium",
                    likelihood="Moderate",
                    likelihood_basis="Rated by the tool until the assessor or the team rates it.",
                    impact="Moderate",
                    risk="Moderate",
                    remediation="Answer the concern with evidence, or correct what it points to.",
                    milestones=_milestones(
                        detected, due, "Concern answered to the assessor.", "Evidence of the correction accepted."
                    ),
                    status=status,
                    days_over=over,
                    deviation=exc.rationale if exc else "",
                    deviation_owner=exc.owner if exc else "",
                    deviation_expires=exc.expires.date().isoformat() if exc else "",
                    comments=["Severity not given by the assessor; tracked with the moderate window."],
                )
            )
        return out


@dataclass
class Poam:
    as_of: date
    items: list[PoamItem]
    not_in_use: int  # vulnerabilities left out because the evidence shows their image does not run
    gaps: list[str]  # vulnerability sources that could not be read

    def as_dict(self) -> dict[str, Any]:
        counts: dict[str, int] = {}
        for item in self.items:
            counts[item.status] = counts.get(item.status, 0) + 1
        return {
            "as_of": self.as_of.isoformat(),
            "items": [i.as_dict() for i in self.items],
            "counts": counts,
            "not_in_use": self.not_in_use,
            "gaps": self.gaps,
            "milestone_note": MILESTONE_NOTE,
        }


def build_poam(eng: Engagement, catalog: Catalog, facts: Facts) -> Poam:
    """Every open weakness of the engagement as a POA&M item, oldest deadline first."""
    b = _Builder(eng, catalog, facts)
    ageing = vulns.age(eng.current_evidence(kinds=vulns.READS), facts.stamp, first_seen=b.first_seen)
    listed = [v for v in ageing.records if v.in_use is not False]
    covered = {v.image_ref for v in listed} | {e for v in listed for e in v.evidence}
    items = []
    for f in facts.findings:
        if f.status is not FindingStatus.FAIL:
            continue
        if f.check in VULNERABILITY_CHECKS and (f.resource in covered or covered & set(f.evidence)):
            continue
        items.append(b.from_check(f))
    items.extend(b.from_vulnerability(v) for v in listed)
    items.extend(b.from_reviews())
    items.sort(key=lambda i: (i.due, i.kind, i.weakness, i.asset))
    for n, item in enumerate(items, 1):
        item.id = f"POAM-{n:04d}"
    return Poam(b.as_of, items, len(ageing.records) - len(listed), ageing.gaps)
