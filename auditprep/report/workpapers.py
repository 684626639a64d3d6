"""Working papers in the assessor's own form, added to the report context.

A 3PAO reads a risk table and a POA&M, a QSA a Report on Compliance with its evidence reference
table and compensating-control worksheets, a HIPAA auditor the documented decisions on addressable
specifications. Each is computed here from the same fact set as the rest of the report, and added
to the context under its own key, so every format shows the same items.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from auditprep.report.output import ReportError

if TYPE_CHECKING:
    from auditprep.catalog import Catalog
    from auditprep.report.facts import Facts
    from auditprep.store import Engagement


def add_working_papers(ctx: dict[str, Any], eng: Engagement, catalog: Catalog, facts: Facts) -> dict[str, Any]:
    fid = ctx["framework"]["id"]
    if fid == "fedramp-moderate":
        from auditprep.report.poam import build_poam

        ctx["poam"] = build_poam(eng, catalog, facts).as_dict()
    if fid in ("fedramp-moderate", "pci-dss"):
        ctx["vulnerabilities"] = vulnerability_rows(eng, facts, fid)
    if fid == "pci-dss":
        ctx["evidence_refs"] = evidence_references(ctx)
    ctx["worksheets"] = worksheet_views(ctx, eng, catalog, facts)
    if fid == "hipaa":
        ctx["decisions"] = decision_views(ctx, eng)
    ctx["appendices"] = appendices(ctx)
    if "evidence_refs" in ctx:
        by_req: dict[str, list[str]] = {}
        for ref in ctx["evidence_refs"]:
            for rid in ref["requirements"]:
                by_req.setdefault(rid, []).append(ref["ref"])
        ctx["evidence_refs_by_requirement"] = by_req
    return ctx


APPENDIX_TITLES = {
    "risk": ("risk-exposure", "Risk exposure table and POA&M"),
    "evidence-refs": ("evidence-references", "Evidence reference table"),
    "worksheets": ("compensating-controls", "Compensating control worksheets"),
    "decisions": ("addressable-decisions", "Decisions on addressable specifications"),
    "vulnerabilities": ("vulnerability-ageing", "Vulnerability ageing"),
}


def appendices(ctx: dict[str, Any]) -> list[dict[str, str]]:
    """The working-paper appendices this framework's report carries, lettered after Appendix F
    (evidence over the period)."""
    fid = ctx["framework"]["id"]
    keys = {
        "pci-dss": ["evidence-refs", "worksheets", "vulnerabilities"],
        "fedramp-moderate": ["risk", "vulnerabilities"],
        "hipaa": ["decisions"],
    }.get(fid, [])
    out = []
    for n, key in enumerate(keys):
        anchor, title = APPENDIX_TITLES[key]
        out.append({"key": key, "anchor": anchor, "title": f"Appendix {chr(ord('G') + n)}. {title}"})
    return out


def vulnerability_rows(eng: Engagement, facts: Facts, fid: str) -> dict[str, Any]:
    """The ageing table: each vulnerability on an image, its dates and this framework's deadline."""
    from auditprep.evaluate import vulns
    from auditprep.store.detections import first_collected

    ageing = vulns.age(
        eng.current_evidence(kinds=vulns.READS), facts.stamp, first_seen=first_collected(eng, (vulns.INVENTORY_KIND,))
    )
    rows = []
    for v in ageing.records:
        d = v.deadline(fid)
        rows.append(
            {
                "id": v.vulnerability_id,
                "title": v.title,
                "severity": v.severity,
                "image": v.image,
                "package": f"{v.package} {v.installed_version}".strip(),
                "fixed_version": v.fixed_version,
                "source": v.source,
                "in_use": {True: "yes", False: "no", None: "not known"}[v.in_use],
                "in_use_where": list(v.in_use_where),
                "published": v.published.date().isoformat() if v.published else "",
                "first_seen": v.first_seen.date().isoformat() if v.first_seen else "",
                "fix_since": v.fix_available_since.date().isoformat() if v.fix_available_since else "",
                "fix_available": {True: "yes", False: "no", None: "not known"}[v.fix_available],
                "rule": d.rule if d else "",
                "deadline_status": d.status if d else "",
                "due": d.due.isoformat() if d and d.due else "",
                "days_over": d.days_over if d else 0,
                "deadline_note": d.note if d else "",
                "evidence": list(v.evidence),
            }
        )
    return {"as_of": ageing.as_of.isoformat(), "rows": rows, "gaps": ageing.gaps}


def evidence_references(ctx: dict[str, Any]) -> list[dict[str, Any]]:
    """One reference per evidence item, document and interviewee, with the requirements it supports
    (the evidence table of a Report on Compliance)."""
    supports: dict[str, dict[str, None]] = {}
    interviews: dict[str, dict[str, None]] = {}
    for section in ctx["sections"]:
        for req in section["requirements"]:
            for o in req["objectives"]:
                for eid in o["evidence"]:
                    supports.setdefault(eid, {})[req["id"]] = None
                for doc in o["documents"]:
                    supports.setdefault(f"doc:{doc['sha256']}", {})[req["id"]] = None
                for a in o["answers"]:
                    interviews.setdefault(a["by"], {})[req["id"]] = None
    refs = []
    for n, d in enumerate(ctx["documents"], 1):
        refs.append(
            {
                "ref": f"DOC-{n:02d}",
                "type": "Document",
                "what": d["filename"] + (f": {d['description']}" if d["description"] else ""),
                "source": f"added by {d['added_by']}",
                "when": d["added_at"],
                "sha256": d["sha256"],
                "requirements": list(supports.get(f"doc:{d['sha256']}", {})),
            }
        )
    for n, (who, reqs) in enumerate(sorted(interviews.items()), 1):
        refs.append(
            {
                "ref": f"INT-{n:02d}",
                "type": "Interview (recorded answers)",
                "what": who,
                "source": "answers recorded in the engagement",
                "when": "",
                "sha256": "",
                "requirements": list(reqs),
            }
        )
    for e in ctx["evidence"]:
        if e["id"] not in supports:
            continue
        refs.append(
            {
                "ref": e["id"],
                "type": "System configuration" if e["status"] == "collected" else f"Collection gap ({e['status']})",
                "what": f"{e['operation']}: {e['resource_name'] or e['resource'] or 'scope record'}",
                "source": e["scope"],
                "when": e["collected_at"],
                "sha256": e["sha256"],
                "requirements": list(supports[e["id"]]),
            }
        )
    return refs


def worksheet_views(ctx: dict[str, Any], eng: Engagement, catalog: Catalog, facts: Facts) -> list[dict[str, Any]]:
    """Every active exception with its compensating-control worksheet, flagged when incomplete."""
    from auditprep.store.workpapers import FIELD_LABELS, WORKSHEET_FIELDS, worksheets

    sheets = worksheets(eng)
    out = []
    for exc in facts.exceptions:
        if exc.expires <= facts.stamp:
            continue
        sheet = sheets.get(exc.id or 0)
        fields = sheet.fields if sheet else {}
        missing = sheet.missing() if sheet else list(FIELD_LABELS.values())
        out.append(
            {
                "id": exc.id,
                "control": exc.control_id,
                "control_title": catalog.controls[exc.control_id].title if exc.control_id in catalog.controls else "",
                "requirements": list(catalog.requirements_of(exc.control_id, ctx["framework"]["id"])),
                "owner": exc.owner,
                "rationale": exc.rationale,
                "expires": exc.expires.date().isoformat(),
                "recorded_by": exc.recorded_by,
                "fields": [
                    {"key": k, "label": label, "help": help_text, "value": fields.get(k, "")}
                    for k, label, help_text in WORKSHEET_FIELDS
                ],  # fmt: skip
                "missing": missing,
                "complete": not missing,
                "worksheet_by": sheet.recorded_by if sheet else "",
            }
        )
    return out


def decision_views(ctx: dict[str, Any], eng: Engagement) -> dict[str, Any]:
    """Every addressable HIPAA specification with the team's recorded decision, or a flag where none is."""
    from auditprep.store.workpapers import decisions

    made = decisions(eng)
    rows = []
    for section in ctx["sections"]:
        for req in section["requirements"]:
            if req["designation"] != "addressable":
                continue
            d = made.get(req["id"])
            rows.append(
                {
                    "id": req["id"],
                    "title": req["title"],
                    "anchor": req["anchor"],
                    "status": req["status"],
                    "status_label": req["status_label"],
                    "decision": d.decision if d else "",
                    "decision_label": d.label if d else "",
                    "rationale": d.rationale if d else "",
                    "by": d.decided_by if d else "",
                    "at": d.decided_at.date().isoformat() if d else "",
                }
            )
    return {"rows": rows, "missing": [r["id"] for r in rows if not r["decision"]]}


def poam_bytes(ctx: dict[str, Any], fmt: str) -> bytes:
    """The POA&M in one of its formats (poam-oscal, poam-csv, poam-xlsx)."""
    if "poam" not in ctx:
        raise ReportError(
            f"the POA&M is a FedRAMP deliverable; {ctx['framework']['name']} has none: use --framework fedramp-moderate."
        )
    if fmt == "poam-oscal":
        from auditprep.report.poam_oscal import build_poam_oscal
        from auditprep.report.tabular import to_json

        return to_json(build_poam_oscal(ctx))
    from auditprep.report import poam_table

    return poam_table.to_poam_csv(ctx) if fmt == "poam-csv" else poam_table.to_poam_xlsx(ctx)
