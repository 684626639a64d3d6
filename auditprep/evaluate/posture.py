"""Where a control and a requirement stand: the team's answer combined with the automated findings.

The rules are deliberately plain so an assessor can follow them:

* an active exception makes the control ``exception`` (its findings are still shown);
* the answer sets the status (yes = in place, partial, no = not in place, n-a = not applicable);
* an answer of yes (or n-a) contradicted by a failing check becomes ``partial`` and is flagged as a
  conflict: never hidden, never silently trusted;
* with no answer, a failing check makes it ``not_in_place``; otherwise it is ``not_evaluated``
  (automated evidence alone cannot show a procedure is in place).

Requirement verdicts are not inherited from controls: each requirement is judged on its own
assessment objectives (see :mod:`auditprep.evaluate.verdicts`).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from auditprep.catalog import Catalog
from auditprep.evaluate.verdicts import RequirementResult, Verdict, applies, evaluate_objective
from auditprep.evaluate.verdicts import combine as combine_objectives
from auditprep.models import Answer, Control, ControlException, Finding, FindingStatus


class Status(str, enum.Enum):
    IN_PLACE = "in_place"
    PARTIAL = "partial"
    NOT_IN_PLACE = "not_in_place"
    NOT_EVALUATED = "not_evaluated"
    NOT_APPLICABLE = "not_applicable"
    EXCEPTION = "exception"

    @property
    def label(self) -> str:
        return {
            "in_place": "In place",
            "partial": "Partially in place",
            "not_in_place": "Not in place",
            "not_evaluated": "Not evaluated",
            "not_applicable": "Not applicable",
            "exception": "Exception",
        }[self.value]


ANSWER_STATUS = {
    "yes": Status.IN_PLACE,
    "partial": Status.PARTIAL,
    "no": Status.NOT_IN_PLACE,
    "n-a": Status.NOT_APPLICABLE,
}


@dataclass(frozen=True)
class ControlPosture:
    control: Control
    status: Status
    reason: str
    answer: Answer | None
    findings: tuple[Finding, ...]
    exception: ControlException | None
    conflict: bool = False
    # (question id, sentence): answers that claim what the evidence does not show
    contradictions: tuple[tuple[str, str], ...] = ()

    def count(self, status: FindingStatus) -> int:
        return sum(1 for f in self.findings if f.status is status)


def active_exception(
    exceptions: Iterable[ControlException], control_id: str, as_of: datetime
) -> ControlException | None:
    live = [e for e in exceptions if e.control_id == control_id and e.expires > as_of]
    return live[-1] if live else None


def control_posture(
    control: Control,
    answers: Mapping[str, Answer],
    findings: Sequence[Finding],
    exceptions: Sequence[ControlException],
    as_of: datetime,
) -> ControlPosture:
    cp = _posture(control, answers, findings, exceptions, as_of)
    contradictions = claim_contradictions(control, answers, cp.findings)
    if not contradictions:
        return cp
    status = Status.PARTIAL if cp.status in (Status.IN_PLACE, Status.NOT_APPLICABLE) else cp.status
    reason = cp.reason if cp.conflict else " ".join(text for _, text in contradictions)
    return replace(cp, status=status, reason=reason, conflict=True, contradictions=contradictions)


def claim_contradictions(
    control: Control, answers: Mapping[str, Answer], findings: Sequence[Finding]
) -> tuple[tuple[str, str], ...]:
    """Answers whose choice claims a check passes, where the evidence says otherwise."""
    out = []
    for q in control.questions:
        a = answers.get(q.id)
        if a is None or a.value not in q.claims:
            continue
        check = q.claims[a.value]
        against = [f for f in findings if f.check == check and f.status in (FindingStatus.FAIL, FindingStatus.WARN)]
        if against:
            out.append(
                (
                    q.id,
                    f"The answer \u201c{a.value}\u201d to {q.id} is contradicted by the evidence: {against[0].message}",
                )
            )
    return tuple(out)


def _posture(
    control: Control,
    answers: Mapping[str, Answer],
    findings: Sequence[Finding],
    exceptions: Sequence[ControlException],
    as_of: datetime,
) -> ControlPosture:
    status_q = control.status_question
    answer = answers.get(status_q.id) if status_q else None
    mine = tuple(f for f in findings if control.id in f.controls)
    failing = [f for f in mine if f.status is FindingStatus.FAIL]
    exc = active_exception(exceptions, control.id, as_of)

    if exc is not None:
        return ControlPosture(
            control,
            Status.EXCEPTION,
            f"Exception owned by {exc.owner} until {exc.expires:%Y-%m-%d}.",
            answer,
            mine,
            exc,
            conflict=bool(answer and answer.value == "yes" and failing),
        )
    if answer is not None and answer.value in ANSWER_STATUS:
        status = ANSWER_STATUS[answer.value]
        if failing and status in (Status.IN_PLACE, Status.NOT_APPLICABLE):
            claimed = "in place" if status is Status.IN_PLACE else "not applicable"
            return ControlPosture(
                control,
                Status.PARTIAL,
                f"Answered {claimed}, but {len(failing)} automated check result(s) fail.",
                answer,
                mine,
                None,
                conflict=True,
            )
        return ControlPosture(
            control, status, f"Answered '{answer.value}' by {answer.answered_by}.", answer, mine, None
        )
    if failing:
        return ControlPosture(
            control,
            Status.NOT_IN_PLACE,
            f"Not yet answered; {len(failing)} automated check result(s) fail.",
            None,
            mine,
            None,
        )
    return ControlPosture(control, Status.NOT_EVALUATED, "Not yet answered.", None, mine, None)


def combine(statuses: Iterable[Status]) -> Status:
    relevant = [s for s in statuses if s is not Status.NOT_APPLICABLE]
    if not relevant:
        return Status.NOT_APPLICABLE
    kinds = set(relevant)
    if len(kinds) == 1:
        return relevant[0]
    if kinds <= {Status.IN_PLACE, Status.EXCEPTION}:
        return Status.EXCEPTION
    if kinds <= {Status.NOT_IN_PLACE, Status.NOT_EVALUATED}:
        return Status.NOT_IN_PLACE
    return Status.PARTIAL


@dataclass
class Posture:
    """The posture of a whole engagement, computed once from the store's records."""

    catalog: Catalog
    controls: dict[str, ControlPosture] = field(default_factory=dict)
    answers: Mapping[str, Answer] = field(default_factory=dict)
    findings: Sequence[Finding] = ()
    attachments: Sequence[Any] = ()
    applicability: Mapping[str, Sequence[str]] = field(default_factory=dict)

    @classmethod
    def compute(
        cls,
        catalog: Catalog,
        answers: Mapping[str, Answer],
        findings: Sequence[Finding],
        exceptions: Sequence[ControlException],
        as_of: datetime,
        *,
        attachments: Sequence[Any] = (),
        applicability: Mapping[str, Sequence[str]] | None = None,
    ) -> Posture:
        by_control: dict[str, list[Finding]] = {}
        for f in findings:
            for cid in f.controls:
                by_control.setdefault(cid, []).append(f)
        out = cls(
            catalog,
            answers=answers,
            findings=findings,
            attachments=attachments,
            applicability=applicability or {},
        )
        for cid, control in catalog.controls.items():
            out.controls[cid] = control_posture(control, answers, by_control.get(cid, []), exceptions, as_of)
        return out

    @classmethod
    def of(cls, eng: Any, catalog: Catalog, as_of: datetime) -> Posture:
        """The posture of an open engagement, with everything requirement verdicts need."""
        return cls.compute(
            catalog,
            eng.answers(),
            eng.findings(),
            eng.exceptions(),
            as_of,
            attachments=eng.attachments(),
            applicability=eng.info().applicability,
        )

    def requirements(self, framework_id: str) -> list[RequirementResult]:
        """Every requirement of the framework with its verdict, judged on its own objectives."""
        catalog = self.catalog
        fw = catalog.frameworks[framework_id]
        links = catalog.requirement_controls.get(framework_id, {})
        qtypes = {q.id: q.type for c in catalog.controls.values() for q in c.questions}
        by_check: dict[str, list[Finding]] = {}
        imported: dict[str, list[Finding]] = {}
        for f in self.findings:
            if f.check in catalog.checks:
                by_check.setdefault(f.check, []).append(f)
            else:  # results imported from other tools join the objectives naming a check of their control
                for cid in f.controls:
                    imported.setdefault(cid, []).append(f)
        docs: dict[str, list[Any]] = {}
        for a in self.attachments:
            if getattr(a, "control_id", None):
                docs.setdefault(a.control_id, []).append(a)
        contradicted = {qid: text for cp in self.controls.values() for qid, text in cp.contradictions}
        out = []
        for req in fw.requirements:
            cids = links.get(req.id, ())
            if req.outside:
                out.append(RequirementResult(framework_id, req, Verdict.NOT_COVERED, (), cids))
                continue
            applicable, note = applies(req, self.applicability)
            results = []
            for i, obj in enumerate(req.objectives, 1):
                ocids = catalog.objective_controls(obj)
                found = [f for c in obj.checks for f in by_check.get(c, ())]
                check_controls = {cid for c in obj.checks for cid in catalog.check_controls.get(c, ())}
                seen: set[int] = set()
                for cid in sorted(check_controls):
                    for f in imported.get(cid, ()):
                        if id(f) not in seen:
                            seen.add(id(f))
                            found.append(f)
                answer_controls = {
                    catalog.question_controls[q] for q in obj.questions if q in catalog.question_controls
                }
                # a document verifies an objective only where the objective says which documents speak to it
                documents = [d for cid in sorted(answer_controls) for d in docs.get(cid, ())] if obj.documents else []
                exception = next(
                    (self.controls[c].exception for c in ocids if c in self.controls and self.controls[c].exception),
                    None,
                )
                results.append(
                    evaluate_objective(
                        f"{req.id}#{i}", obj, ocids, qtypes, self.answers, found, documents, exception, contradicted
                    )
                )
            if not applicable:
                out.append(
                    RequirementResult(
                        framework_id,
                        req,
                        Verdict.NOT_APPLICABLE,
                        tuple(results),
                        cids,
                        applicability=req.not_applicable,
                    )
                )
                continue
            out.append(
                RequirementResult(
                    framework_id, req, combine_objectives(results), tuple(results), cids, applicability_note=note
                )
            )
        return out

    def framework_controls(self, framework_id: str) -> list[ControlPosture]:
        return [cp for cp in self.controls.values() if self.catalog.requirements_of(cp.control.id, framework_id)]
