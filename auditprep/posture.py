"""Where a control and a requirement stand: the team's answer combined with the automated findings.

The rules are deliberately plain so an assessor can follow them:

* an active exception makes the control ``exception`` (its findings are still shown);
* the answer sets the status (yes = in place, partial, no = not in place, n-a = not applicable);
* an answer of yes (or n-a) contradicted by a failing check becomes ``partial`` and is flagged as a
  conflict: never hidden, never silently trusted;
* with no answer, a failing check makes it ``not_in_place``; otherwise it is ``not_evaluated``
  (automated evidence alone cannot show a procedure is in place).

A requirement takes the combined status of the controls that address it.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from auditprep.catalog import Catalog
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

    def count(self, status: FindingStatus) -> int:
        return sum(1 for f in self.findings if f.status is status)


@dataclass(frozen=True)
class RequirementPosture:
    framework: str
    requirement_id: str
    status: Status | None  # None: the tool does not cover this requirement
    controls: tuple[ControlPosture, ...]


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

    @classmethod
    def compute(
        cls,
        catalog: Catalog,
        answers: Mapping[str, Answer],
        findings: Sequence[Finding],
        exceptions: Sequence[ControlException],
        as_of: datetime,
    ) -> Posture:
        by_control: dict[str, list[Finding]] = {}
        for f in findings:
            for cid in f.controls:
                by_control.setdefault(cid, []).append(f)
        out = cls(catalog)
        for cid, control in catalog.controls.items():
            out.controls[cid] = control_posture(control, answers, by_control.get(cid, []), exceptions, as_of)
        return out

    def requirements(self, framework_id: str) -> list[RequirementPosture]:
        fw = self.catalog.frameworks[framework_id]
        links = self.catalog.requirement_controls.get(framework_id, {})
        out = []
        for req in fw.requirements:
            cps = tuple(self.controls[c] for c in links.get(req.id, ()) if c in self.controls)
            status = None if req.not_covered else combine(cp.status for cp in cps)
            out.append(RequirementPosture(framework_id, req.id, status, cps))
        return out

    def framework_controls(self, framework_id: str) -> list[ControlPosture]:
        return [cp for cp in self.controls.values() if cp.control.mappings.get(framework_id)]
