"""What the dashboard suggests doing next, and its progress numbers.

Plain Python over the session: the same rules whatever the screen size. The team is pointed at
conflicts, expiring exceptions, overdue attestations, open controls and collection gaps; a
reviewer at integrity problems, flags, claims to sample and exceptions to examine.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from auditprep.evaluate.posture import ControlPosture, Status
from auditprep.tui.session import CollectionState, Session


@dataclass(frozen=True)
class NextStep:
    """One suggestion on the dashboard; ``control_id`` or ``section`` says where it leads."""

    text: str
    control_id: str | None = None
    section: str | None = None


def next_steps(session: Session, collection: CollectionState | None = None, limit: int = 6) -> list[NextStep]:
    """Up to ``limit`` suggestions for the dashboard, most pressing first."""
    if session.reviewing:
        return review_steps(session, collection)[:limit]
    posture = session.posture()
    controls = session.controls_in_scope()
    steps: list[NextStep] = []
    if collection is not None and not collection.runs:
        steps.append(
            NextStep("Collect evidence from AWS and Docker: nothing has been collected yet.", section="collect")
        )
    for cp in (posture.controls[c.id] for c in controls):
        if cp.conflict:
            steps.append(NextStep(f"{cp.control.id}: {cp.reason} Review the findings.", cp.control.id))
    now = session.now()
    for exc in session.exceptions():
        if now < exc.expires <= now + timedelta(days=30):
            steps.append(
                NextStep(
                    f"{exc.control_id}: the exception owned by {exc.owner} expires {exc.expires:%Y-%m-%d}.",
                    exc.control_id,
                )
            )
    for c in controls:
        _, due, overdue = session.attestation_due(c.id)
        if overdue:
            steps.append(NextStep(f"{c.id}: re-attest (due {due:%Y-%m-%d}).", c.id))
    unanswered = [c for c in controls if posture.controls[c.id].answer is None]
    if unanswered:
        first = unanswered[0]
        steps.append(
            NextStep(f"Answer {len(unanswered)} open control(s), starting with {first.id} {first.title}.", first.id)
        )
    if collection is not None and collection.gaps:
        steps.append(
            NextStep(
                f"{len(collection.gaps)} call(s) in the last collection were denied or failed; "
                "grant the permissions they name and collect again.",
                section="collect",
            )
        )
    # freshness reads every evidence item: only once the collection state (read in a worker) is in
    stale = _stale_controls(session, controls) if collection is not None else []
    if stale:
        steps.append(
            NextStep(
                f"{len(stale)} control(s) rest on stale evidence, starting with {stale[0].control}: "
                f"{stale[0].sentence()} Collect again.",
                stale[0].control,
            )
        )
    unattested = [c for c in controls if posture.controls[c.id].answer and c.id not in session.attestations()]
    if unattested and not unanswered:
        steps.append(
            NextStep(
                f"Attest {len(unattested)} answered control(s), starting with {unattested[0].id}.", unattested[0].id
            )
        )
    if not unanswered:
        steps.append(NextStep("Render the report for the assessor.", section="report"))
    return steps[:limit]


def _stale_controls(session: Session, controls: Sequence) -> list:
    """Controls whose findings rest on evidence older than their freshness or outside the period."""
    from auditprep.evaluate.freshness import Period, control_freshness

    info = session.info
    fresh = control_freshness(
        controls, session.findings(), session.evidence(), Period.of(info.period_start, info.period_end), session.now()
    )
    return [f for f in fresh.values() if f.is_stale]


def review_steps(session: Session, collection: CollectionState | None) -> list[NextStep]:
    """What an assessor reviewing the package might look at first."""
    assert session.review is not None
    posture = session.posture()
    controls = session.controls_in_scope()
    steps: list[NextStep] = []
    if collection is not None and collection.integrity:
        steps.append(NextStep(f"✘ The file does not verify: {collection.integrity[0]}", section="evidence"))
    elif collection is not None and collection.integrity == []:
        steps.append(NextStep("✔ Integrity verified: the event chain and every record match.", section="evidence"))
    flagged = [t.split(":", 1)[1] for t in session.review.flagged() if t.startswith("control:")]
    if flagged:
        steps.append(NextStep(f"{len(flagged)} control(s) you flagged, starting with {flagged[0]}.", flagged[0]))
    for cp in (posture.controls[c.id] for c in controls):
        if cp.conflict:
            steps.append(NextStep(f"{cp.control.id}: {cp.reason}", cp.control.id))
    in_place = [c for c in controls if posture.controls[c.id].status is Status.IN_PLACE]
    if in_place:
        steps.append(
            NextStep(
                f"{len(in_place)} control(s) are claimed in place; sample their evidence, starting "
                f"with {in_place[0].id}.",
                in_place[0].id,
            )
        )
    exceptions = [c for c in controls if posture.controls[c.id].status is Status.EXCEPTION]
    if exceptions:
        steps.append(
            NextStep(f"{len(exceptions)} exception(s) to examine, starting with {exceptions[0].id}.", exceptions[0].id)
        )
    if collection is not None and collection.gaps:
        steps.append(
            NextStep(
                f"{len(collection.gaps)} call(s) could not be collected; their checks are not evaluated.",
                section="evidence",
            )
        )
    return steps


def status_counts(postures: Sequence[ControlPosture]) -> dict[str, int]:
    """The dashboard's numbers for a set of controls."""
    c = Counter(cp.status for cp in postures)
    return {
        "controls": len(postures),
        "answered": sum(1 for cp in postures if cp.answer is not None),
        "in_place": c[Status.IN_PLACE],
        "partial": c[Status.PARTIAL],
        "not_in_place": c[Status.NOT_IN_PLACE],
        "gaps": c[Status.PARTIAL] + c[Status.NOT_IN_PLACE],
        "exceptions": c[Status.EXCEPTION],
        "not_evaluated": c[Status.NOT_EVALUATED],
        "not_applicable": c[Status.NOT_APPLICABLE],
        "conflicts": sum(1 for cp in postures if cp.conflict),
    }
