"""Requirement verdicts from assessment objectives: what an assessor can rely on, and why.

A requirement is judged only on its own objectives, each bound to the checks, questions and
documents that speak to it, never on the broad control those happen to belong to. The rules:

* an objective is **met** when every part it names holds: its checks pass wherever they could be
  judged (a check that could not be evaluated anywhere, or only warns, proves nothing), and the
  questions it names are answered positively. Its basis is the strongest evidence it rests on:
  ``automated`` (checks passed), ``document`` (an attached document behind the answer), or
  ``attested`` (the team's answer alone: the objective is then *attested*, not met);
* a failing check or a negative answer makes it **not met**; an active exception on one of its
  controls turns that into **exception**;
* a requirement is **in place** only when every applicable objective is met; when the rest rests
  on answers alone it is **attested, not verified**; any objective not met makes it **not in
  place**; and what has not been shown either way is **not tested**;
* applicability comes from facts recorded on the engagement (``pci.entity=service-provider``):
  a requirement whose conditions do not hold is **not applicable**, with the standard's reason.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from auditprep.models import (
    Answer,
    ControlException,
    Finding,
    FindingStatus,
    Objective,
    QuestionType,
    Requirement,
)


class Verdict(str, enum.Enum):
    IN_PLACE = "in_place"
    IN_PLACE_CCW = "in_place_ccw"
    ATTESTED = "attested"
    NOT_IN_PLACE = "not_in_place"
    NOT_TESTED = "not_tested"
    NOT_APPLICABLE = "not_applicable"
    NOT_COVERED = "not_covered"
    EXCEPTION = "exception"


VERDICT_ORDER = tuple(Verdict)

DEFAULT_LABELS = {
    "in_place": "In place",
    "in_place_ccw": "In place with compensating control",
    "attested": "Attested, not verified",
    "not_in_place": "Not in place",
    "not_tested": "Not tested",
    "not_applicable": "Not applicable",
    "not_covered": "Outside this tool's scope",
    "exception": "Exception (risk accepted)",
}


class ObjectiveStatus(str, enum.Enum):
    MET = "met"
    ATTESTED = "attested"
    NOT_MET = "not_met"
    NOT_TESTED = "not_tested"
    NOT_APPLICABLE = "not_applicable"
    EXCEPTION = "exception"


class Basis(str, enum.Enum):
    AUTOMATED = "automated"
    DOCUMENT = "document"
    ATTESTED = "attested"
    NONE = "none"


# an answer that points at a document ("see the runbook", "filed with the evidence") needs it attached
_CITES_DOCUMENT = re.compile(
    r"\b(attached|filed (?:with|in) the evidence|see (?:the |our )?[\w -]{0,30}?"
    r"(?:document|policy|runbook|report|plan|diagram|procedure|record)s?|documented in)\b",
    re.IGNORECASE,
)


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + "."


def cites_document(text: str) -> bool:
    return bool(_CITES_DOCUMENT.search(text or ""))


@dataclass(frozen=True)
class ObjectiveResult:
    id: str
    objective: Objective
    status: ObjectiveStatus
    basis: Basis
    reason: str
    controls: tuple[str, ...]
    findings: tuple[Finding, ...]
    answers: tuple[Answer, ...]
    unanswered: tuple[str, ...]
    documents: tuple[Any, ...]
    exception: ControlException | None = None
    conflict: bool = False
    document_missing: bool = False


@dataclass(frozen=True)
class RequirementResult:
    framework: str
    requirement: Requirement
    status: Verdict
    objectives: tuple[ObjectiveResult, ...]
    controls: tuple[str, ...]
    applicability: str = ""  # why it does not apply (status not_applicable)
    applicability_note: str = ""  # a condition whose fact was not recorded

    @property
    def conflict(self) -> bool:
        return any(o.conflict for o in self.objectives)


def applies(req: Requirement, facts: Mapping[str, Sequence[str]]) -> tuple[bool, str]:
    """Whether the requirement applies, and a note when a deciding fact is not recorded."""
    unknown = []
    for key, values in req.applies_when.items():
        have = facts.get(key)
        if not have:
            unknown.append(key)
        elif not set(have) & set(values):
            return False, ""
    if unknown:
        return True, (
            f"Applicability fact {', '.join(unknown)} is not recorded for this engagement, so the requirement "
            "is treated as applicable."
        )
    return True, ""


class _Checks:
    """The state of an objective's automated part."""

    def __init__(self, findings: Sequence[Finding]):
        self.findings = findings
        by = {s: [f for f in findings if f.status is s] for s in FindingStatus}
        self.fails = by[FindingStatus.FAIL]
        self.passes = by[FindingStatus.PASS]
        self.warns = by[FindingStatus.WARN]
        self.unknown = by[FindingStatus.NOT_EVALUATED]
        self.absent = by[FindingStatus.NOT_APPLICABLE]

    @property
    def state(self) -> str:
        if self.fails:
            return "fail"
        if self.warns or self.unknown:
            return "unknown"  # a scope not judged, or a result that needs a person: nothing is proven
        if self.passes:
            return "pass"
        if self.absent:
            return "absent"
        return "none"


def evaluate_objective(
    oid: str,
    objective: Objective,
    controls: tuple[str, ...],
    question_types: Mapping[str, QuestionType],
    answers: Mapping[str, Answer],
    findings: Sequence[Finding],
    documents: Sequence[Any],
    exception: ControlException | None,
    contradicted: Mapping[str, str] | None = None,
) -> ObjectiveResult:
    checks = _Checks(findings)
    got = [answers[q] for q in objective.questions if q in answers]
    unanswered = tuple(q for q in objective.questions if q not in answers)
    contradicted = {q: t for q, t in (contradicted or {}).items() if q in objective.questions and q in answers}
    negative = [
        a
        for a in got
        if (question_types.get(a.question_id) is QuestionType.STATUS and a.value in ("no", "partial"))
        or a.question_id in contradicted
    ]
    not_applicable = [a for a in got if question_types.get(a.question_id) is QuestionType.STATUS and a.value == "n-a"]
    positive = [a for a in got if a not in negative and a not in not_applicable]
    has_docs = bool(documents)
    missing_doc = any(cites_document(a.narrative) for a in positive) and not has_docs
    conflict = bool(checks.fails and positive) or bool(contradicted)

    def result(status: ObjectiveStatus, basis: Basis, reason: str) -> ObjectiveResult:
        return ObjectiveResult(
            oid,
            objective,
            status,
            basis,
            reason,
            controls,
            tuple(findings),
            tuple(got),
            unanswered,
            tuple(documents),
            exception,
            conflict,
            missing_doc,
        )

    # what fails, first: a failing check or the team's own "no" / "partial"
    if checks.fails or negative:
        why = []
        if checks.fails:
            why.append(f"{len(checks.fails)} automated result(s) fail")
        for a in negative:
            if a.question_id in contradicted:
                why.append(contradicted[a.question_id].rstrip("."))
            else:
                why.append(f"the team answered \u201c{a.value}\u201d to {a.question_id}")
        reason = _sentence("; ".join(why))
        if exception is not None:
            return result(
                ObjectiveStatus.EXCEPTION,
                Basis.AUTOMATED if checks.fails else Basis.ATTESTED,
                reason + f" An exception owned by {exception.owner} runs until {exception.expires:%Y-%m-%d}.",
            )
        return result(ObjectiveStatus.NOT_MET, Basis.AUTOMATED if checks.fails else Basis.ATTESTED, reason)

    wants_checks = bool(objective.checks)
    wants_answers = bool(objective.questions)
    answers_ok = wants_answers and not unanswered
    all_na = bool(got) and len(not_applicable) == len(got) and not unanswered

    if all_na and checks.state in ("absent", "none", "pass"):
        return result(ObjectiveStatus.NOT_APPLICABLE, Basis.ATTESTED, "The team answered that this does not apply.")
    if wants_checks and checks.state == "absent" and not wants_answers:
        return result(
            ObjectiveStatus.NOT_APPLICABLE,
            Basis.AUTOMATED,
            "Nothing the checks judge was found in the collected scope.",
        )

    if wants_checks and checks.state == "pass":
        if not wants_answers or answers_ok:
            return result(ObjectiveStatus.MET, Basis.AUTOMATED, "The automated checks pass wherever they were judged.")
        return result(
            ObjectiveStatus.NOT_TESTED,
            Basis.AUTOMATED,
            "The automated checks pass, but the team has not answered " + ", ".join(unanswered) + ".",
        )

    if answers_ok and positive:
        if wants_checks and checks.state in ("unknown", "none"):
            gap = "could not be evaluated" if checks.state == "unknown" else "have no results yet"
            lead = f"The team's answer stands, but the automated checks {gap}"
        else:
            lead = "The team's answer stands"
        if has_docs:
            return result(ObjectiveStatus.MET, Basis.DOCUMENT, lead + "; a document is attached behind it.")
        note = "; the answer cites a document that is not attached" if missing_doc else ""
        return result(
            ObjectiveStatus.ATTESTED,
            Basis.ATTESTED,
            lead + f"; no collected evidence or attached document verifies it{note}.",
        )

    why = []
    if unanswered:
        why.append("not answered yet: " + ", ".join(unanswered))
    if wants_checks and checks.state == "unknown":
        why.append("the automated checks could not be evaluated")
    elif wants_checks and checks.state == "none":
        why.append("the automated checks have no results yet")
    return result(ObjectiveStatus.NOT_TESTED, Basis.NONE, _sentence("; ".join(why) or "nothing shows it yet"))


def combine(objectives: Iterable[ObjectiveResult]) -> Verdict:
    statuses = [o.status for o in objectives if o.status is not ObjectiveStatus.NOT_APPLICABLE]
    if not statuses:
        return Verdict.NOT_APPLICABLE
    if ObjectiveStatus.NOT_MET in statuses:
        return Verdict.NOT_IN_PLACE
    if ObjectiveStatus.EXCEPTION in statuses:
        return Verdict.EXCEPTION
    if all(s is ObjectiveStatus.MET for s in statuses):
        return Verdict.IN_PLACE
    if all(s in (ObjectiveStatus.MET, ObjectiveStatus.ATTESTED) for s in statuses):
        return Verdict.ATTESTED
    return Verdict.NOT_TESTED
