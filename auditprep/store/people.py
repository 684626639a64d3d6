"""What people record in an engagement: answers (with their whole history), attestations,
exceptions and attached documents."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from auditprep.errors import EngagementError
from auditprep.models import (
    Answer,
    Attestation,
    ControlException,
)
from auditprep.store.core import StoreCore
from auditprep.store.records import Attachment, _parsed, iso, parse_iso, same_person


class PeopleRecords(StoreCore):
    # --- answers, attestations, exceptions --------------------------------------------------

    @staticmethod
    def _answer_record(a: Answer) -> dict[str, Any]:
        return {
            "control_id": a.control_id,
            "question_id": a.question_id,
            "value": a.value,
            "narrative": a.narrative,
            "answered_by": a.answered_by,
            "answered_at": iso(a.answered_at),
        }

    def record_answers(self, answers: Iterable[Answer]) -> int:
        """Record several answers in one transaction: all of them, or none."""
        count = 0
        with self._tx() as cur:
            for a in answers:
                rec = self._answer_record(a)
                seq = self._event(cur, a.answered_by, "answer.set", a.question_id, rec)
                cur.execute(
                    "INSERT INTO answers (control_id, question_id, value, narrative, answered_by, answered_at, event_seq)"
                    " VALUES (?,?,?,?,?,?,?)",
                    (a.control_id, a.question_id, a.value, a.narrative, a.answered_by, rec["answered_at"], seq),
                )
                count += 1
        return count

    def record_answer(self, answer: Answer) -> None:
        self.record_answers([answer])

    @_parsed("an answer")
    def _answers(self, where: str = "", params: Sequence[Any] = ()) -> list[Answer]:
        rows = self._query(
            "SELECT control_id, question_id, value, narrative, answered_by, answered_at FROM answers "
            f"{where} ORDER BY event_seq, id",
            params,
        )
        return [
            Answer(
                control_id=r[0],
                question_id=r[1],
                value=r[2],
                narrative=r[3],
                answered_by=r[4],
                answered_at=parse_iso(r[5]),
            )
            for r in rows
        ]

    def answers(self) -> dict[str, Answer]:
        """The current answer to each question (the latest one recorded)."""
        current: dict[str, Answer] = {}
        for a in self._answers():
            current[a.question_id] = a
        return current

    def answer_history(self, control_id: str | None = None) -> list[Answer]:
        if control_id is None:
            return self._answers()
        return self._answers("WHERE control_id = ?", (control_id,))

    def attest(self, att: Attestation) -> None:
        rec = {
            "control_id": att.control_id,
            "attested_by": att.attested_by,
            "attested_at": iso(att.attested_at),
            "reattest_days": att.reattest_days,
        }
        answered_by = {
            r[0]
            for r in self._query(
                "SELECT answered_by FROM answers WHERE event_seq IN (SELECT MAX(event_seq) FROM answers WHERE control_id = ? "
                "GROUP BY question_id)",
                (att.control_id,),
            )
        }
        if any(same_person(att.attested_by, who) for who in answered_by):
            raise EngagementError(
                f"{att.attested_by} answered {att.control_id} and cannot also attest it; another person must attest "
                "(segregation of duties)."
            )
        with self._tx() as cur:
            seq = self._event(cur, att.attested_by, "attestation.add", att.control_id, rec)
            cur.execute(
                "INSERT INTO attestations (control_id, attested_by, attested_at, reattest_days, event_seq) VALUES (?,?,?,?,?)",
                (att.control_id, att.attested_by, rec["attested_at"], att.reattest_days, seq),
            )

    @_parsed("an attestation")
    def attestations(self) -> dict[str, Attestation]:
        """The latest attestation of each control."""
        out: dict[str, Attestation] = {}
        for r in self._query(
            "SELECT control_id, attested_by, attested_at, reattest_days FROM attestations ORDER BY event_seq, id"
        ):
            out[r[0]] = Attestation(control_id=r[0], attested_by=r[1], attested_at=parse_iso(r[2]), reattest_days=r[3])
        return out

    def add_exception(self, exc: ControlException) -> int:
        rec = {
            "control_id": exc.control_id,
            "owner": exc.owner,
            "rationale": exc.rationale,
            "expires": iso(exc.expires),
            "recorded_by": exc.recorded_by,
            "recorded_at": iso(exc.recorded_at),
        }
        with self._tx() as cur:
            seq = self._event(cur, exc.recorded_by, "exception.add", exc.control_id, rec)
            cur.execute(
                "INSERT INTO exceptions (control_id, owner, rationale, expires, recorded_by, recorded_at, event_seq)"
                " VALUES (?,?,?,?,?,?,?)",
                (exc.control_id, exc.owner, exc.rationale, rec["expires"], exc.recorded_by, rec["recorded_at"], seq),
            )
            return int(cur.lastrowid or 0)

    @_parsed("an exception")
    def exceptions(self) -> list[ControlException]:
        rows = self._query(
            "SELECT id, control_id, owner, rationale, expires, recorded_by, recorded_at FROM exceptions ORDER BY event_seq, id"
        )
        return [
            ControlException(
                id=r[0],
                control_id=r[1],
                owner=r[2],
                rationale=r[3],
                expires=parse_iso(r[4]),
                recorded_by=r[5],
                recorded_at=parse_iso(r[6]),
            )
            for r in rows
        ]

    # --- attachments (manual evidence) ------------------------------------------------------

    def attach(
        self,
        data: bytes,
        *,
        filename: str,
        media_type: str,
        actor: str,
        control_id: str | None = None,
        description: str = "",
    ) -> Attachment:
        added_at = iso(self.clock())
        with self._tx() as cur:
            digest = self._put_blob(cur, data)
            rec = {
                "control_id": control_id,
                "filename": filename,
                "media_type": media_type,
                "sha256": digest,
                "size": len(data),
                "description": description,
                "added_by": actor,
                "added_at": added_at,
            }
            seq = self._event(cur, actor, "attachment.add", filename, rec)
            cur.execute(
                "INSERT INTO attachments (control_id, filename, media_type, sha256, size, description, added_by, added_at, event_seq)"
                " VALUES (?,?,?,?,?,?,?,?,?)",
                (control_id, filename, media_type, digest, len(data), description, actor, added_at, seq),
            )
            aid = int(cur.lastrowid or 0)
        return Attachment(
            aid, control_id, filename, media_type, digest, len(data), description, actor, parse_iso(added_at)
        )

    @_parsed("an attachment")
    def attachments(self) -> list[Attachment]:
        rows = self._query(
            "SELECT id, control_id, filename, media_type, sha256, size, description, added_by, added_at FROM attachments ORDER BY event_seq, id"
        )
        return [Attachment(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], parse_iso(r[8])) for r in rows]

    def blob(self, digest: str) -> bytes:
        rows = self._query("SELECT data FROM blobs WHERE sha256 = ?", (digest,))
        if not rows:
            raise EngagementError(f"{self.path} has no stored content with hash {digest}.")
        return bytes(rows[0][0])
