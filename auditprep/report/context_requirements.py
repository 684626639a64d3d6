"""The report context's requirement rows: each requirement of the framework with its objectives and verdict."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from auditprep.catalog import Catalog
from auditprep.evaluate.verdicts import ObjectiveResult
from auditprep.models import Finding
from auditprep.report import narrative
from auditprep.report.engagement import (
    anchor,
    evidence_row,
)
from auditprep.report.overview import (
    FINDING_ORDER,
    OBJECTIVE_LABELS,
    REQUIREMENT_STATUSES,
    requirement_labels,
    verdict_reason,
)
from auditprep.store import iso


class _RequirementRows:
    """Requirement and objective rows; the context builder supplies the engagement, catalog and facts."""

    catalog: Catalog
    fid: str
    fw: Any
    posture: Any
    anchors: dict[str, str]
    attestations: Any
    evidence: Any
    names: Any

    def requirements(self, controls: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
        sections = []
        by_section: dict[str, list[dict[str, Any]]] = defaultdict(list)
        labels = requirement_labels(self.fw)
        ev_rows = {ev.id: evidence_row(ev) for ev in self.evidence}
        for rr in self.posture.requirements(self.fid):
            req = rr.requirement
            objectives = [self.objective(o) for o in rr.objectives]
            for o in objectives:
                o["narrative"] = narrative.objective_paragraphs(o, ev_rows)
            status = rr.status.value
            view: dict[str, Any] = {
                "id": req.id,
                "anchor": anchor("req", req.id, self.anchors),
                "title": req.title,
                "section": req.section,
                "designation": req.designation or "",
                "note": req.note,
                "status": status,
                "status_label": labels[status],
                "not_covered": req.outside or "",
                "applicability": rr.applicability,
                "applicability_note": rr.applicability_note,
                "controls": [cid for cid in rr.controls if cid in controls],
                "conflict": rr.conflict,
                "objectives": objectives,
                "verdict_reason": verdict_reason(rr.status.value, objectives),
            }
            view["summary"] = (
                view["verdict_reason"] if req.outside is None else f"Outside this tool's scope: {req.outside}"
            )
            view["narrative"] = narrative.requirement_narrative(view, ev_rows)
            by_section[req.section].append(view)
        for sec in self.fw.sections:
            reqs = by_section.get(sec.id, [])
            counts = Counter(r["status"] for r in reqs)
            sections.append(
                {
                    "id": sec.id,
                    "title": sec.title,
                    "anchor": anchor("sec", sec.id, self.anchors),
                    "counts": {s: counts.get(s, 0) for s in REQUIREMENT_STATUSES},
                    "requirements": reqs,
                }
            )
        return sections

    def objective(self, o: ObjectiveResult) -> dict[str, Any]:
        by_check: dict[str, list[Finding]] = defaultdict(list)
        for f in o.findings:
            by_check[f.check].append(f)
        evidence_ids: dict[str, None] = {}
        check_results = []
        for check_id, found in by_check.items():
            meta = self.catalog.checks.get(check_id)
            title = meta.title if meta else check_id
            counts = Counter(f.status.value for f in found)
            for f in found:
                for eid in f.evidence:
                    evidence_ids.setdefault(eid, None)
            check_results.append(
                {
                    "id": check_id,
                    "title": title,
                    "counts": {s.value: counts.get(s.value, 0) for s in FINDING_ORDER},
                    "sentence": narrative.check_sentence(check_id, title, found, self.names),
                }
            )
        answers = []
        for a in o.answers:
            att = self.attestations.get(a.control_id)
            answers.append(
                {
                    "question": a.question_id,
                    "value": a.value,
                    "narrative": a.narrative,
                    "by": a.answered_by,
                    "at": iso(a.answered_at),
                    "attestation": {"by": att.attested_by, "at": iso(att.attested_at)} if att else None,
                }
            )
        return {
            "id": o.id,
            "text": o.objective.text,
            "status": o.status.value,
            "status_label": OBJECTIVE_LABELS[o.status.value],
            "basis": o.basis.value,
            "basis_label": narrative.BASIS_WORDS[o.basis.value],
            "reason": o.reason,
            "checks": list(o.objective.checks),
            "questions": list(o.objective.questions),
            "controls": list(o.controls),
            "evidence": list(evidence_ids),
            "check_results": check_results,
            "answers": answers,
            "unanswered": list(o.unanswered),
            "documents": [
                {"filename": d.filename, "sha256": d.sha256, "control": d.control_id or ""} for d in o.documents
            ],
            "expected_documents": list(o.objective.documents),
            "document_missing": o.document_missing,
            "limits": o.objective.limits,
            "conflict": o.conflict,
        }

    # summary ------------------------------------------------------------------------------------
