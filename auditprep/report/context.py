"""The report context: everything a report says, computed once from the store as plain data.

Every format (PDF, HTML, JSON, CSV, OSCAL) is a view of this one structure, so they cannot
disagree. Statuses come from :mod:`auditprep.evaluate.posture`; sentences from :mod:`.narrative`; the
environment from :mod:`.inventory`. Dates come from the engagement (its last recorded event), never
from the clock, so the same engagement always gives the same report.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime
from typing import Any

from auditprep import __version__
from auditprep.catalog import Catalog
from auditprep.concepts import tailored_note
from auditprep.evaluate import applicability
from auditprep.evaluate.posture import ControlPosture, Status
from auditprep.evaluate.verdicts import DEFAULT_LABELS
from auditprep.models import Finding, FindingStatus
from auditprep.report import narrative
from auditprep.report.context_requirements import _RequirementRows
from auditprep.report.engagement import (
    GAP_STATUSES,
    anchor,
    day,
    engagement_part,
    evidence_row,
    when,
)
from auditprep.report.facts import Facts
from auditprep.report.output import ReportError
from auditprep.report.overview import (
    FINDING_ORDER,
    NOT_COVERED,
    REQUIREMENT_STATUSES,
    SEVERITY_RANK,
    STATUS_ORDER,
    executive_summary,
    requirement_labels,
)
from auditprep.report.period import period_context
from auditprep.store import Engagement, iso

__all__ = ["REQUIREMENT_STATUSES", "STATUS_LABELS", "STATUS_ORDER", "build_context", "day", "when"]

SCHEMA = "auditprep.report/1"
STATUS_LABELS = {s.value: s.label for s in Status} | DEFAULT_LABELS


class _Builder(_RequirementRows):
    def __init__(self, eng: Engagement, catalog: Catalog, fid: str, package_hash: str | None, facts: Facts):
        self.eng = eng
        self.catalog = catalog
        self.fid = fid
        self.fw = catalog.frameworks[fid]
        self.facts = facts
        self.stamp = facts.stamp
        self.evidence, self.inventory = facts.evidence, facts.inventory
        self.names = facts.names()
        self.findings = facts.findings
        self.answers = facts.answers
        self.exceptions = facts.exceptions
        self.attestations = facts.attestations
        self.attachments = facts.attachments
        self.posture = facts.posture(catalog)
        self.package_hash = package_hash
        self.anchors: set[str] = set()
        self.links = catalog.requirement_controls.get(fid, {})

    # controls ------------------------------------------------------------------------------------

    def control(self, cp: ControlPosture) -> dict[str, Any]:
        c = cp.control
        status_q = c.status_question
        ans = cp.answer
        answer = None
        if ans is not None:
            label = {
                "yes": "In place",
                "partial": "Partially in place",
                "no": "Not in place",
                "n-a": "Not applicable",
            }.get(ans.value, ans.value)
            answer = {
                "value": ans.value,
                "label": label,
                "narrative": ans.narrative,
                "by": ans.answered_by,
                "at": iso(ans.answered_at),
                "question": status_q.text if status_q else "",
            }
        details = []
        for q in c.questions:
            if status_q is not None and q.id == status_q.id:
                continue
            a = self.answers.get(q.id)
            if a is not None:
                details.append(
                    {
                        "question": q.text,
                        "answer": a.value,
                        "narrative": a.narrative,
                        "by": a.answered_by,
                        "at": iso(a.answered_at),
                    }
                )
        att = self.attestations.get(c.id)
        attestation = None
        if att is not None:
            due = att.attested_at.timestamp() + att.reattest_days * 86400
            due_dt = datetime.fromtimestamp(due, tz=att.attested_at.tzinfo)
            attestation = {
                "by": att.attested_by,
                "at": iso(att.attested_at),
                "due": iso(due_dt),
                "overdue": due_dt < self.stamp,
            }
        exc = cp.exception
        exception = None
        if exc is not None:
            exception = {
                "owner": exc.owner,
                "rationale": exc.rationale,
                "expires": day(exc.expires),
                "recorded_by": exc.recorded_by,
                "recorded_at": iso(exc.recorded_at),
            }
        by_check: dict[str, list[Finding]] = defaultdict(list)
        for f in cp.findings:
            by_check[f.check].append(f)
        checks = []
        gaps = []
        not_evaluated = []
        evidence_ids: dict[str, None] = {}
        for check_id in list(c.checks) + sorted(set(by_check) - set(c.checks)):
            found = by_check.get(check_id, [])
            meta = self.catalog.checks.get(check_id)
            title = meta.title if meta else check_id
            counts = Counter(f.status.value for f in found)
            checks.append(
                {
                    "id": check_id,
                    "title": title,
                    "severity": meta.severity.value if meta else "",
                    "counts": {s.value: counts.get(s.value, 0) for s in FINDING_ORDER},
                    "sentence": narrative.check_sentence(check_id, title, found, self.names) if found else "",
                }
            )
            for f in sorted(found, key=lambda f: (f.scope.label(), f.resource)):
                for eid in f.evidence:
                    evidence_ids.setdefault(eid, None)
                if f.status in (FindingStatus.FAIL, FindingStatus.WARN):
                    gaps.append(
                        {
                            "check": check_id,
                            "title": title,
                            "status": f.status.value,
                            "severity": f.severity.value,
                            "resource": f.resource,
                            "name": narrative._name(f, self.names),
                            "where": f.scope.label(),
                            "message": f.message,
                            "remediation": meta.remediation if meta else "",
                        }
                    )
                elif f.status is FindingStatus.NOT_EVALUATED:
                    not_evaluated.append({"check": check_id, "where": f.scope.label(), "message": f.message})
        gaps.sort(
            key=lambda g: (
                g["status"] != "fail",
                SEVERITY_RANK.get(g["severity"], 9),
                g["check"],
                g["where"],
                g["name"],
            )
        )
        docs = [
            {
                "filename": a.filename,
                "sha256": a.sha256,
                "size": a.size,
                "description": a.description,
                "added_by": a.added_by,
                "added_at": iso(a.added_at),
                "media_type": a.media_type,
            }
            for a in self.attachments
            if a.control_id == c.id
        ]
        view: dict[str, Any] = {
            "id": c.id,
            "title": c.title,
            "theme": c.theme,
            "theme_title": self.catalog.theme_title(c.theme),
            "status": cp.status.value,
            "status_label": "Answered in place" if cp.status is Status.IN_PLACE else cp.status.label,
            "reason": cp.reason,
            "conflict": cp.conflict,
            "contradictions": [text for _, text in cp.contradictions],
            "answer": answer,
            "details": details,
            "attestation": attestation,
            "exception": exception,
            "control_checks": list(c.checks),
            "checks": checks,
            "gaps": gaps,
            "not_evaluated": not_evaluated,
            "evidence": list(evidence_ids),  # details of each id are in the report's evidence list
            "documents": docs,
            "expected_evidence": list(c.evidence),
            "concepts": list(c.concepts),
            "requirements": list(self.catalog.requirements_of(c.id, self.fid)),
        }
        view["narrative"] = narrative.control_paragraphs(view)
        return view

    # requirements ------------------------------------------------------------------------------------

    def concepts(self, controls: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
        used: dict[str, list[str]] = {}
        for c in controls.values():
            for key in c["concepts"]:
                used.setdefault(key, []).append(c["id"])
        out = []
        env = self.inventory.environment
        for key in sorted(
            used, key=lambda k: self.catalog.concepts[k].name.lower() if k in self.catalog.concepts else k
        ):
            concept = self.catalog.concepts.get(key)
            if concept is None:
                continue
            out.append(
                {
                    "key": key,
                    "name": concept.name,
                    "anchor": anchor("concept", key, self.anchors),
                    "aliases": list(concept.aliases),
                    "explanation": concept.explanation,
                    "why_it_matters": concept.why_it_matters,
                    "in_this_environment": tailored_note(concept, env) or "",
                    "evidence": list(concept.evidence),
                    "requirements": list(concept.requirements.get(self.fid, ())),
                    "related": [r for r in concept.related if r in used],
                    "controls": used[key],
                    "diagram": concept.diagram.title if concept.diagram else "",
                }
            )
        return out

    def build(self) -> dict[str, Any]:
        fw_controls = self.posture.framework_controls(self.fid)
        controls = {}
        for cp in sorted(fw_controls, key=lambda cp: cp.control.id):
            view = self.control(cp)
            view["anchor"] = anchor("ctl", cp.control.id, self.anchors)
            controls[cp.control.id] = view
        sections = self.requirements(controls)
        inventory = self.inventory.as_dict()
        gaps = [evidence_row(ev) for ev in self.evidence if ev.status in GAP_STATUSES]
        in_use = {
            ev.scope.region
            for ev in self.evidence
            if ev.source.value == "aws"
            and ev.resource
            and applicability.is_region(ev.scope.region)
            and ev.status.value == "collected"
        }
        bound = applicability.boundary(self.facts.applicability, in_use) if self.fid.startswith("fedramp") else None
        gap_counts = Counter(g["status"] for g in gaps)
        return {
            "schema": SCHEMA,
            "kind": "framework",
            "tool": {"name": "auditprep", "version": __version__},
            "engagement": engagement_part(self.eng, self.evidence, self.stamp, self.package_hash),
            "framework": {
                "id": self.fw.id,
                "name": self.fw.name,
                "version": self.fw.version,
                "publisher": self.fw.publisher,
                "description": self.fw.description,
            },
            "status_labels": {**STATUS_LABELS, **requirement_labels(self.fw)},
            "summary": executive_summary(self.catalog, controls, sections, self.findings, self.fw),
            "environment": inventory,
            "sections": sections,
            "controls": controls,
            "not_covered": [
                {"id": r["id"], "title": r["title"], "reason": r["not_covered"], "anchor": r["anchor"]}
                for s in sections
                for r in s["requirements"]
                if r["status"] == NOT_COVERED
            ],
            "concepts": self.concepts(controls),
            "period_evidence": period_context(self.eng, self.catalog, self.fid, self.facts, set(controls)),
            "boundary": bound,
            "applicability": {
                k: list(v)
                for k, v in sorted(self.facts.applicability.items())
                if (spec := self.catalog.applicability.get(k)) is None or spec.framework == self.fid
            },
            "evidence": [evidence_row(ev) for ev in self.evidence],
            "collection_gaps": {
                "records": gaps,
                "counts": {s.value: gap_counts.get(s.value, 0) for s in GAP_STATUSES},
                "attempted": sum(1 for ev in self.evidence if not ev.resource),
            },
            "documents": [
                {
                    "filename": a.filename,
                    "sha256": a.sha256,
                    "size": a.size,
                    "control": a.control_id or "",
                    "description": a.description,
                    "added_by": a.added_by,
                    "added_at": iso(a.added_at),
                    "media_type": a.media_type,
                }
                for a in self.attachments
            ],
        }


def build_context(
    eng: Engagement,
    catalog: Catalog,
    framework: str | None,
    *,
    package_hash: str | None = None,
    facts: Facts | None = None,
) -> dict[str, Any]:
    """The whole framework report as plain data (JSON-serialisable).

    ``facts``: the engagement's evaluated fact set, when the caller already read it (so the
    report and the playbook drafted beside it state the same facts); read from the store otherwise.
    """
    info = eng.info()
    if not framework:
        if len(info.frameworks) == 1:
            framework = info.frameworks[0]
        else:
            raise ReportError(
                f"choose the framework to report on with --framework ({', '.join(info.frameworks) or 'none set'})."
            )
    if framework not in info.frameworks:
        listed = ", ".join(info.frameworks) or "none"
        raise ReportError(f"framework '{framework}' is not part of engagement {info.name} (it covers: {listed}).")
    if framework not in catalog.frameworks:
        raise ReportError(f"framework '{framework}' is not in the loaded questionnaires.")
    return _Builder(eng, catalog, framework, package_hash, facts or Facts.load(eng)).build()
