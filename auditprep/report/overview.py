"""The executive summary of a framework report, computed from the control and requirement views."""

from __future__ import annotations

from collections import Counter
from typing import Any

from auditprep.catalog import Catalog
from auditprep.evaluate.posture import Status
from auditprep.evaluate.verdicts import DEFAULT_LABELS, VERDICT_ORDER
from auditprep.models import Finding, FindingStatus, Framework, Severity

NOT_COVERED = "not_covered"
STATUS_ORDER = (
    Status.IN_PLACE,
    Status.PARTIAL,
    Status.NOT_IN_PLACE,
    Status.EXCEPTION,
    Status.NOT_EVALUATED,
    Status.NOT_APPLICABLE,
)
REQUIREMENT_STATUSES = [v.value for v in VERDICT_ORDER]
OBJECTIVE_LABELS = {
    "met": "Met",
    "attested": "Attested, not verified",
    "not_met": "Not met",
    "not_tested": "Not tested",
    "not_applicable": "Not applicable",
    "exception": "Exception",
}


def requirement_labels(fw: Framework) -> dict[str, str]:
    """Verdict labels in the framework's own vocabulary (FedRAMP: Satisfied / Other than satisfied)."""
    return {**DEFAULT_LABELS, **fw.status_labels}


def verdict_reason(status: str, objectives: list[dict[str, Any]]) -> str:
    """Why the requirement has its verdict, naming the objectives that decide it and what each lacks."""

    def deciding(*statuses: str) -> str:
        picked = [o for o in objectives if o["status"] in statuses]
        return " ".join(f"Objective {o['id'].split('#')[-1]}: {o['reason']}" for o in picked)

    n = len(objectives)
    if status == "in_place":
        return f"Every objective ({n}) is met on automated evidence or an attached document."
    if status == "attested":
        return (
            "The team's answers stand, but an assessor has to verify them before the requirement counts as "
            "in place. " + deciding("attested")
        )
    if status == "not_in_place":
        return deciding("not_met")
    if status == "exception":
        return deciding("exception")
    if status == "not_tested":
        return deciding("not_tested")
    if status == "not_applicable":
        return "No objective applies to this engagement."
    return ""


FINDING_ORDER = (
    FindingStatus.FAIL,
    FindingStatus.WARN,
    FindingStatus.NOT_EVALUATED,
    FindingStatus.PASS,
    FindingStatus.NOT_APPLICABLE,
)
SEVERITY_RANK = {s.value: i for i, s in enumerate(Severity)}
TOP_GAPS = 10


def executive_summary(
    catalog: Catalog,
    controls: dict[str, dict[str, Any]],
    sections: list[dict[str, Any]],
    findings: list[Finding],
    fw: Framework,
) -> dict[str, Any]:
    """Counts by status, theme and section; the top gaps; what was not evaluated and why."""
    reqs = [r for s in sections for r in s["requirements"]]
    req_counts = Counter(r["status"] for r in reqs)
    ctl_counts = Counter(c["status"] for c in controls.values())
    themes = []
    for theme in catalog.themes:
        mine = [c for c in controls.values() if c["theme"] == theme.key]
        if mine:
            counts = Counter(c["status"] for c in mine)
            themes.append(
                {
                    "key": theme.key,
                    "title": theme.title,
                    "total": len(mine),
                    "counts": {s.value: counts.get(s.value, 0) for s in STATUS_ORDER},
                }
            )
    gaps = []
    # a failing result that an active exception accepts (on any control it informs) never leads the list
    excepted = {(g["check"], g["resource"]) for c in controls.values() if c["exception"] for g in c["gaps"]}
    for c in controls.values():
        if c["status"] not in (Status.PARTIAL.value, Status.NOT_IN_PLACE.value):
            continue
        fails = [g for g in c["gaps"] if g["status"] == "fail"]
        open_fails = [g for g in fails if (g["check"], g["resource"]) not in excepted]
        worst = min((SEVERITY_RANK.get(g["severity"], 9) for g in open_fails), default=10 if fails else 9)
        fails = open_fails + [g for g in fails if g not in open_fails]
        headline = fails[0]["message"] if fails else c["reason"]
        remediation = fails[0]["remediation"] if fails else ""
        gaps.append(
            {
                "id": c["id"],
                "title": c["title"],
                "status": c["status"],
                "status_label": c["status_label"],
                "requirements": c["requirements"],
                "fails": len(fails),
                "under_exception": len(fails) - len(open_fails),
                "severity": fails[0]["severity"] if fails else "",
                "headline": headline,
                "remediation": remediation,
                "conflict": c["conflict"],
                "_rank": worst,
            }
        )
    gaps.sort(key=lambda g: (g["_rank"], -g["fails"], g["id"]))
    for g in gaps:
        del g["_rank"]
    unanswered = [
        {"id": c["id"], "title": c["title"], "reason": c["reason"]}
        for c in controls.values()
        if c["status"] == Status.NOT_EVALUATED.value
    ]
    checks_not_run: dict[str, dict[str, Any]] = {}
    for c in controls.values():
        for chk in c["checks"]:
            counts = chk["counts"]
            judged = counts["pass"] + counts["fail"] + counts["warn"] + counts["not_applicable"]
            if counts["not_evaluated"] and not judged and chk["id"] not in checks_not_run:
                why = next((n["message"] for n in c["not_evaluated"] if n["check"] == chk["id"]), "")
                checks_not_run[chk["id"]] = {"check": chk["id"], "title": chk["title"], "reason": why}
    conflicts = [
        {"id": c["id"], "title": c["title"], "reason": c["reason"]} for c in controls.values() if c["conflict"]
    ]
    exceptions = [{"id": c["id"], "title": c["title"], **c["exception"]} for c in controls.values() if c["exception"]]
    covered = sum(1 for r in reqs if r["status"] != NOT_COVERED)
    return {
        "requirements": {s: req_counts.get(s, 0) for s in REQUIREMENT_STATUSES},
        "controls": {s.value: ctl_counts.get(s.value, 0) for s in STATUS_ORDER},
        "requirement_total": len(reqs),
        "requirement_total_note": fw.total_note,
        "applicable": sum(1 for r in reqs if r["status"] not in (NOT_COVERED, "not_applicable")),
        "control_total": len(controls),
        "covered": covered,
        "not_covered": len(reqs) - covered,
        "answered": sum(1 for c in controls.values() if c["answer"] is not None),
        "by_theme": themes,
        "by_section": [
            {
                "id": s["id"],
                "title": s["title"],
                "anchor": s["anchor"],
                "counts": s["counts"],
                "total": len(s["requirements"]),
            }
            for s in sections
        ],
        "top_gaps": gaps[:TOP_GAPS],
        "gap_total": len(gaps),
        "unanswered": unanswered,
        "checks_not_run": sorted(checks_not_run.values(), key=lambda x: x["check"]),
        "conflicts": conflicts,
        "exceptions": exceptions,
        "findings": {s.value: sum(1 for f in findings if f.status is s) for s in FINDING_ORDER},
    }
