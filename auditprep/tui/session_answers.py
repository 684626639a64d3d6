"""Answers, attestations and exceptions as the terminal session writes them: staged typing, flushed
in one transaction, and the checks that keep an attestation independent."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from auditprep.catalog import Catalog
from auditprep.errors import EngagementError, InvalidInput
from auditprep.evaluate.answers import normalise_value
from auditprep.models import (
    Answer,
    Attestation,
    Control,
    ControlException,
    Question,
)
from auditprep.store import Engagement


@dataclass(frozen=True)
class Staged:
    control_id: str
    question_id: str
    value: str
    narrative: str


def end_of_day(day: date) -> datetime:
    return datetime.combine(day, time(23, 59, 59), tzinfo=UTC)


class AnswerWork:
    """The session's writes of people's records; :class:`~auditprep.tui.session.Session` supplies the state."""

    engagement: Engagement
    catalog: Catalog
    actor: str
    _pending: dict[str, Staged]
    _lock: threading.RLock

    # --- answers ------------------------------------------------------------------------

    def _refuse_if_readonly(self) -> None:
        if self.readonly:
            what = "review mode" if self.reviewing else "read-only"
            raise EngagementError(
                f"This engagement is open in {what}; only reviewer comments and flags can be added.", title="Read only"
            )

    def question(self, question_id: str) -> tuple[Control, Question]:
        control_id = question_id.split(".", 1)[0]
        control = self.catalog.controls[control_id]
        return control, next(q for q in control.questions if q.id == question_id)

    def current(self, question_id: str) -> tuple[str, str]:
        """The value and narrative shown for a question: what is staged, else what is stored."""
        staged = self._pending.get(question_id)
        if staged is not None:
            return staged.value, staged.narrative
        stored = self.answers().get(question_id)
        return (stored.value, stored.narrative) if stored else ("", "")

    def validate(self, question_id: str, value: str) -> str:
        """The stored form of ``value``, or InvalidInput with the reason."""
        _, q = self.question(question_id)
        try:
            return normalise_value(q, value)
        except ValueError as exc:
            raise InvalidInput(f"The answer {exc}.") from None

    def stage(self, question_id: str, value: str, narrative: str = "") -> None:
        """Remember an edit to write at the next flush (typing is written after a pause)."""
        self._refuse_if_readonly()
        control, _ = self.question(question_id)
        with self._lock:
            self._pending[question_id] = Staged(control.id, question_id, value, narrative)

    def unstage(self, question_id: str) -> None:
        """Drop a staged edit (the field now holds something invalid or nothing)."""
        with self._lock:
            self._pending.pop(question_id, None)

    @property
    def has_pending(self) -> bool:
        return bool(self._pending)

    def flush(self) -> list[str]:
        """Write every staged edit in one transaction; returns the control ids that changed."""
        with self._lock:
            if not self._pending or self.readonly:
                self._pending.clear()
                return []
            pending = list(self._pending.values())
            answers = self.answers()
            now = self.now()
            fresh = []
            for s in pending:
                old = answers.get(s.question_id)
                if old is not None and (old.value, old.narrative) == (s.value, s.narrative):
                    continue
                if not s.value and old is None:
                    continue
                fresh.append(
                    Answer(
                        control_id=s.control_id,
                        question_id=s.question_id,
                        value=s.value,
                        narrative=s.narrative,
                        answered_by=self.actor,
                        answered_at=now,
                    )
                )
            self.engagement.record_answers(fresh)
            for s in pending:
                if self._pending.get(s.question_id) == s:
                    del self._pending[s.question_id]
            for a in fresh:
                answers[a.question_id] = a
            changed = sorted({a.control_id for a in fresh})
            for cid in changed:
                self._changed(cid)
            return changed

    def record_answer(self, question_id: str, value: str, narrative: str = "") -> bool:
        """Write one answer now (a choice, a status); returns False when nothing changed."""
        self.stage(question_id, value, narrative)
        return bool(self.flush())

    # --- attestation and exceptions -----------------------------------------------------

    def attest(self, control_id: str, reattest_days: int) -> Attestation:
        from auditprep.application.people import attest

        self._refuse_if_readonly()
        self.flush()
        att = attest(self.engagement, self.catalog, control_id, actor=self.actor, reattest_days=reattest_days)
        self.attestations()[control_id] = att
        self._changed(control_id)
        return att

    def attestation_due(self, control_id: str) -> tuple[Attestation | None, datetime | None, bool]:
        """The latest attestation, when it must be renewed, and whether that is already past."""
        att = self.attestations().get(control_id)
        if att is None:
            return None, None, False
        due = att.attested_at + timedelta(days=att.reattest_days)
        return att, due, due <= self.now()

    def add_exception(
        self, control_id: str, owner: str, rationale: str, expires: date, worksheet: dict[str, str] | None = None
    ) -> ControlException:
        self._refuse_if_readonly()
        owner, rationale = owner.strip(), rationale.strip()
        if not owner:
            raise InvalidInput("An exception needs an owner: the person who accepts the risk.")
        if not rationale:
            raise InvalidInput("An exception needs a rationale: why the control is not met and what mitigates it.")
        if end_of_day(expires) <= self.now():
            raise InvalidInput("An exception must expire in the future.")
        exc = ControlException(
            control_id=control_id,
            owner=owner,
            rationale=rationale,
            expires=end_of_day(expires),
            recorded_by=self.actor,
            recorded_at=self.now(),
        )
        exc = exc.model_copy(update={"id": self.engagement.add_exception(exc)})
        if worksheet:
            from auditprep.store.workpapers import record_worksheet

            record_worksheet(self.engagement, exc.id or 0, worksheet, self.actor)
        self.exceptions().append(exc)
        self._changed(control_id)
        return exc
