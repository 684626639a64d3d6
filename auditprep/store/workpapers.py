"""The team's working-paper records: compensating-control worksheets and HIPAA addressable decisions.

An exception with an owner, an expiry and a rationale is a risk acceptance; a PCI DSS assessor needs
more before a compensating control can be accepted (ROC Appendix C): the constraint that prevents
meeting the requirement as written, the requirement's original objective, the risk the gap creates,
the compensating controls, how they were validated and how they are maintained, who approved it and
the risk analysis behind it. The worksheet is recorded against an exception; each record keeps the
earlier fields it does not change, and the latest record is the worksheet (the history stays).

HIPAA lets an addressable implementation specification be implemented, replaced by an equivalent
alternative measure, or not implemented where it is not reasonable and appropriate, provided the
decision and its reasons are documented (164.306(d)(3)). Each decision is recorded with who made
it and when; the latest one per specification counts.

Both are bound to the event chain like every other record, so an edit outside auditprep is found
by ``auditprep verify``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from auditprep.errors import InvalidInput
from auditprep.store.engagement import _parsed, iso, parse_iso

if TYPE_CHECKING:
    from auditprep.store import Engagement

# key, label (the worksheet's own headings, in the project's words), and what the team writes there
WORKSHEET_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("constraints", "Constraints", "Why the requirement cannot be met as written (a legitimate technical or business constraint)."),
    ("objective", "Original objective", "What the requirement is there to achieve."),
    ("risk", "Identified risk", "The risk that not meeting the requirement as written creates."),
    ("compensating_controls", "Compensating controls", "What is done instead, and how it meets the objective and answers the risk."),
    ("validation", "Validation", "How the compensating controls were tested and shown to work."),
    ("maintenance", "Maintenance", "How they are kept in place, monitored and reviewed."),
    ("approver", "Approved by", "Who approved the compensating control, and their role."),
    ("risk_analysis", "Risk analysis", "The risk analysis the approval rests on (reference or summary)."),
)  # fmt: skip
FIELD_KEYS = tuple(k for k, _, _ in WORKSHEET_FIELDS)
FIELD_LABELS = {k: label for k, label, _ in WORKSHEET_FIELDS}

DECISIONS = {
    "implemented": "Implemented as specified",
    "alternative": "An equivalent alternative measure is implemented",
    "not-reasonable": "Not reasonable and appropriate here (reasons documented)",
}
NEEDS_RATIONALE = ("alternative", "not-reasonable")


@dataclass(frozen=True)
class Worksheet:
    exception_id: int
    fields: dict[str, str]
    recorded_by: str
    recorded_at: datetime

    def missing(self) -> list[str]:
        """The labels of the fields still empty: a worksheet is complete only with all of them."""
        return [FIELD_LABELS[k] for k in FIELD_KEYS if not self.fields.get(k, "").strip()]

    @property
    def complete(self) -> bool:
        return not self.missing()


@dataclass(frozen=True)
class Decision:
    specification: str
    decision: str
    rationale: str
    decided_by: str
    decided_at: datetime

    @property
    def label(self) -> str:
        return DECISIONS.get(self.decision, self.decision)


def _has(eng: Engagement, table: str) -> bool:
    """A file opened read-only may predate these tables (schema 2): it then simply has no records."""
    return bool(eng._query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)))  # noqa: SLF001


def worksheet_record(exception_id: int, fields: str, recorded_by: str, recorded_at: str) -> dict[str, object]:
    return {"exception_id": exception_id, "fields": fields, "recorded_by": recorded_by, "recorded_at": recorded_at}


def decision_record(spec: str, decision: str, rationale: str, by: str, at: str) -> dict[str, object]:
    return {"specification": spec, "decision": decision, "rationale": rationale, "decided_by": by, "decided_at": at}


def record_worksheet(eng: Engagement, exception_id: int, fields: Mapping[str, str], actor: str) -> Worksheet:
    """Record worksheet fields for an exception; fields not given keep their earlier value."""
    unknown = sorted(set(fields) - set(FIELD_KEYS))
    if unknown:
        raise InvalidInput(f"unknown worksheet field(s) {', '.join(unknown)}; the fields are {', '.join(FIELD_KEYS)}.")
    known = {e.id: e for e in eng.exceptions()}
    if exception_id not in known:
        listed = ", ".join(f"{i} ({e.control_id})" for i, e in known.items()) or "none recorded"
        raise InvalidInput(f"there is no exception {exception_id} in {eng.path} (exceptions: {listed}).")
    before = worksheets(eng).get(exception_id)
    merged = dict(before.fields) if before else {}
    merged.update({k: v.strip() for k, v in fields.items() if v is not None and v.strip()})
    body = json.dumps({k: merged[k] for k in FIELD_KEYS if k in merged}, sort_keys=True, ensure_ascii=False)
    at = iso(eng.clock())
    rec = worksheet_record(exception_id, body, actor, at)
    with eng._tx() as cur:  # noqa: SLF001 - a store module writing through the engagement's transaction
        seq = eng._event(cur, actor, "worksheet.set", f"exception {exception_id}", rec)  # noqa: SLF001
        cur.execute(
            "INSERT INTO exception_worksheets (exception_id, fields, recorded_by, recorded_at, event_seq)"
            " VALUES (?,?,?,?,?)",
            (exception_id, body, actor, at, seq),
        )
    return Worksheet(exception_id, json.loads(body), actor, parse_iso(at))


@_parsed("a compensating-control worksheet")
def worksheets(eng: Engagement) -> dict[int, Worksheet]:
    """exception id -> its current worksheet (exceptions with none are absent)."""
    if not _has(eng, "exception_worksheets"):
        return {}
    out = {}
    for r in eng._query(  # noqa: SLF001
        "SELECT exception_id, fields, recorded_by, recorded_at FROM exception_worksheets ORDER BY event_seq, id"
    ):
        fields = json.loads(r[1])
        if not isinstance(fields, dict):
            raise ValueError("worksheet fields are not an object")
        out[int(r[0])] = Worksheet(int(r[0]), {str(k): str(v) for k, v in fields.items()}, r[2], parse_iso(r[3]))
    return out


def record_decision(
    eng: Engagement, spec: str, decision: str, rationale: str, actor: str, addressable: Iterable[str]
) -> Decision:
    """Record the team's decision on one addressable specification (``addressable``: the known ones)."""
    known = list(addressable)
    if spec not in known:
        raise InvalidInput(
            f"{spec} is not an addressable HIPAA implementation specification; the addressable ones are "
            f"{', '.join(known)}."
        )
    if decision not in DECISIONS:
        raise InvalidInput(f"unknown decision '{decision}'; choose one of: {', '.join(DECISIONS)}.")
    rationale = rationale.strip()
    if decision in NEEDS_RATIONALE and not rationale:
        raise InvalidInput(
            f"a decision of '{decision}' needs its reasons written down (164.306(d)(3)); give --rationale."
        )
    at = iso(eng.clock())
    rec = decision_record(spec, decision, rationale, actor, at)
    with eng._tx() as cur:  # noqa: SLF001
        seq = eng._event(cur, actor, "decision.set", spec, rec)  # noqa: SLF001
        cur.execute(
            "INSERT INTO addressable_decisions (specification, decision, rationale, decided_by, decided_at, event_seq)"
            " VALUES (?,?,?,?,?,?)",
            (spec, decision, rationale, actor, at, seq),
        )
    return Decision(spec, decision, rationale, actor, parse_iso(at))


@_parsed("an addressable-specification decision")
def decisions(eng: Engagement) -> dict[str, Decision]:
    """specification -> the latest decision recorded on it."""
    if not _has(eng, "addressable_decisions"):
        return {}
    out = {}
    for r in eng._query(  # noqa: SLF001
        "SELECT specification, decision, rationale, decided_by, decided_at FROM addressable_decisions"
        " ORDER BY event_seq, id"
    ):
        if r[1] not in DECISIONS:
            raise ValueError(f"unknown decision {r[1]!r}")
        out[r[0]] = Decision(r[0], r[1], r[2], r[3], parse_iso(r[4]))
    return out
