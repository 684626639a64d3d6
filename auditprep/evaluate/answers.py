"""Answers as a YAML file: export for review or for another engagement, import after editing.

An import is validated completely (every control, question and value) before anything is written,
and then written in one transaction: a bad file, or a process killed half-way, changes nothing.
Answers identical to the current ones are skipped, so an export imported back adds no history.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from auditprep.catalog import Catalog, yamlsource
from auditprep.errors import InvalidInput
from auditprep.models import STATUS_ANSWERS, Answer, Question, QuestionType
from auditprep.store import Engagement, iso, parse_iso

FORMAT = "auditprep-answers/1"


def normalise_value(question: Question, value: Any) -> str:
    """Return the stored form of ``value`` for ``question`` or raise ValueError saying why."""
    if isinstance(value, bool):  # YAML turns bare yes/no into booleans
        value = "yes" if value else "no"
    if question.type is QuestionType.STATUS:
        text = str(value).strip().lower()
        if text not in STATUS_ANSWERS:
            raise ValueError(f"must be one of {', '.join(STATUS_ANSWERS)}, not '{value}'")
        return text
    if question.type is QuestionType.CHOICE:
        text = str(value).strip()
        if text not in question.choices:
            raise ValueError(f"must be one of: {'; '.join(question.choices)}")
        return text
    if question.type is QuestionType.DATE:
        if isinstance(value, date):
            return value.isoformat()
        try:
            return date.fromisoformat(str(value).strip()).isoformat()
        except ValueError:
            raise ValueError(f"must be a date written YYYY-MM-DD, not '{value}'") from None
    if question.type is QuestionType.NUMBER:
        try:
            number = float(str(value).strip())
        except ValueError:
            raise ValueError(f"must be a number, not '{value}'") from None
        return str(int(number)) if number.is_integer() else str(number)
    return str(value)


def export_answers(eng: Engagement, catalog: Catalog, out: Path) -> int:
    current = eng.answers()
    controls: dict[str, dict[str, Any]] = {}
    for question_id, a in sorted(current.items()):
        controls.setdefault(a.control_id, {})[question_id] = {
            "value": a.value,
            "narrative": a.narrative,
            "answered_by": a.answered_by,
            "answered_at": iso(a.answered_at),
        }
    doc = {"format": FORMAT, "engagement": eng.info().name, "answers": controls}
    text = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100)
    import os
    import tempfile

    folder = out.parent if str(out.parent) else Path(".")
    try:  # a new file of our own (O_EXCL, a random name) in the target folder: nothing there is followed
        fd, tmp_name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".part", dir=folder)
    except OSError as exc:
        raise InvalidInput(f"cannot write {out}: {exc.strerror or exc}.", exit_code=1) from None
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, 0o644)
        tmp.replace(out)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise InvalidInput(f"cannot write {out}: {exc.strerror or exc}.", exit_code=1) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return len(current)


def parse_answers(path: Path, catalog: Catalog, actor: str, now: datetime) -> list[Answer]:
    """Read and validate a whole answers file; raise InvalidInput naming file and line on the first problem."""
    data, where = yamlsource.load(path)
    if not isinstance(data, dict) or "answers" not in data:
        raise InvalidInput(f"{where.where()}: not an auditprep answers file (no 'answers' mapping).")
    unknown = set(data) - {"format", "engagement", "answers"}
    if unknown:
        key = sorted(unknown)[0]
        raise InvalidInput(f"{where.where((key,))}: unknown key '{key}'.")
    if data.get("format", FORMAT) != FORMAT:
        raise InvalidInput(f"{where.where(('format',))}: unsupported format '{data.get('format')}'.")
    controls = data["answers"] or {}
    if not isinstance(controls, Mapping):
        raise InvalidInput(f"{where.where(('answers',))}: 'answers' must map control ids to their questions.")
    questions = {q.id: (c, q) for c in catalog.controls.values() for q in c.questions}
    out: list[Answer] = []
    for control_id, entries in controls.items():
        loc: tuple[Any, ...] = ("answers", control_id)
        if control_id not in catalog.controls:
            raise InvalidInput(f"{where.where(loc)}: unknown control '{control_id}'.")
        if not isinstance(entries, Mapping):
            raise InvalidInput(f"{where.where(loc)}: control {control_id} must map question ids to answers.")
        for question_id, entry in entries.items():
            qloc = loc + (question_id,)
            found = questions.get(question_id)
            if found is None or found[0].id != control_id:
                raise InvalidInput(f"{where.where(qloc)}: control {control_id} has no question '{question_id}'.")
            if not isinstance(entry, Mapping):
                entry = {"value": entry}
            extra = set(entry) - {"value", "narrative", "answered_by", "answered_at"}
            if extra:
                key = sorted(extra)[0]
                raise InvalidInput(f"{where.where(qloc + (key,))}: unknown key '{key}'.")
            if "value" not in entry:
                raise InvalidInput(f"{where.where(qloc)}: answer to {question_id} has no 'value'.")
            try:
                value = normalise_value(found[1], entry["value"])
            except ValueError as exc:
                raise InvalidInput(f"{where.where(qloc + ('value',))}: answer to {question_id} {exc}.") from None
            at = entry.get("answered_at")
            try:
                answered_at = parse_iso(str(at)) if at else now
                iso(answered_at)  # a date that cannot be written back (year 9999 with an offset) is refused here
            except (ValueError, OverflowError):
                raise InvalidInput(
                    f"{where.where(qloc + ('answered_at',))}: 'answered_at' is not a date-time."
                ) from None
            out.append(
                Answer(
                    control_id=control_id,
                    question_id=question_id,
                    value=value,
                    narrative=str(entry.get("narrative") or ""),
                    answered_by=_imported_by(actor, entry.get("answered_by"), at and answered_at),
                    answered_at=now,
                )
            )
    return out


def _imported_by(actor: str, claimed: Any, claimed_at: Any) -> str:
    """The person importing is the one recorded; what the file says about authorship is kept apart."""
    claim = str(claimed or "").strip()
    if not claim and not claimed_at:
        return actor
    said = f"the file attributes it to {claim}" if claim else "the file gives no author"
    if claimed_at:
        said += f", dated {iso(claimed_at)}"
    return f"{actor} (imported; {said})"


def import_answers(eng: Engagement, catalog: Catalog, path: Path, actor: str) -> tuple[int, int]:
    """Validate then record; returns (recorded, unchanged)."""
    parsed = parse_answers(path, catalog, actor, eng.clock())
    current = eng.answers()
    changed = [
        a for a in parsed if not (c := current.get(a.question_id)) or (c.value, c.narrative) != (a.value, a.narrative)
    ]
    eng.record_answers(changed)
    return len(changed), len(parsed) - len(changed)
