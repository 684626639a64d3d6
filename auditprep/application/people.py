"""What people sign: an attestation of a control's answers, by someone who did not give them."""

from __future__ import annotations

from auditprep.catalog import Catalog
from auditprep.errors import InvalidInput
from auditprep.models import Attestation
from auditprep.store import Engagement
from auditprep.store.engagement import same_person

MAX_REATTEST_DAYS = 3650


def attest(eng: Engagement, catalog: Catalog, control_id: str, *, actor: str, reattest_days: int) -> Attestation:
    """Record ``actor``'s attestation of ``control_id``: the control must exist and be answered, and
    the attester must not be one of the people who answered it (segregation of duties; the store
    refuses it too). Returns the attestation recorded."""
    control = catalog.controls.get(control_id)
    if control is None:
        raise InvalidInput(f"There is no control {control_id}.", title="Unknown control")
    answers = eng.answers()
    status_q = control.status_question
    if status_q is not None and status_q.id not in answers:
        raise InvalidInput(f"Answer whether {control_id} is in place before attesting it.", title="Not answered")
    if not 1 <= reattest_days <= MAX_REATTEST_DAYS:
        raise InvalidInput(f"Re-attest after between 1 and {MAX_REATTEST_DAYS} days.")
    if any(a.control_id == control_id and same_person(a.answered_by, actor) for a in answers.values()):
        raise InvalidInput(
            f"You answered {control_id}, so another person must attest it (segregation of duties).",
            title="Segregation of duties",
        )
    att = Attestation(control_id=control_id, attested_by=actor, attested_at=eng.clock(), reattest_days=reattest_days)
    eng.attest(att)
    return att
