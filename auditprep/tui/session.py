"""One open engagement as the terminal session sees it: cached reads and autosaved writes.

Plain Python (no textual), so it is tested and benchmarked without a terminal. Screens ask the
session, never the store directly; every write goes through here, bumps ``revision`` (screens
refresh when it moved) and keeps the cached posture current for the control that changed.

Typing is staged (``stage``) and written by ``flush``, which the UI calls after a short pause,
when a field loses focus, when another control is opened and on every way out of the program.
"""

from __future__ import annotations

import json
import mimetypes
import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from auditprep.catalog import Catalog
from auditprep.concepts import Environment
from auditprep.errors import AuditprepError, EngagementError, InvalidInput
from auditprep.evaluate.posture import ControlPosture, Posture, control_posture
from auditprep.models import (
    Answer,
    Attestation,
    CallStatus,
    Control,
    ControlException,
    Evidence,
    Finding,
)
from auditprep.store import Engagement
from auditprep.store.engagement import Attachment, Run
from auditprep.tui.review_notes import ReviewNotes
from auditprep.tui.session_answers import AnswerWork, Staged


@dataclass(frozen=True)
class CollectPlan:
    """What the user chose on the collect screen."""

    aws: bool = True
    profiles: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    role_arns: tuple[str, ...] = ()
    docker: bool = True
    docker_hosts: tuple[str, ...] = ()


@dataclass
class CollectionState:
    runs: list[Run]
    gaps: list[Evidence]
    gap_counts: Counter[str]
    evidence_items: int
    integrity: list[str] | None = None  # problems found by verification (review mode), [] = intact


ENDLESS = datetime(9999, 12, 31, tzinfo=UTC)


@dataclass
class Session(AnswerWork):
    engagement: Engagement
    catalog: Catalog
    actor: str
    review: ReviewNotes | None = None
    label: str = ""
    package: Any = None  # an opened evidence package, kept (and its folder) while reviewing it
    revision: int = 0  # moves on every write
    evidence_revision: int = 0  # moves only when evidence or attachments change
    _posture: Posture | None = field(default=None, repr=False)
    _answers: dict[str, Answer] | None = field(default=None, repr=False)
    _findings: list[Finding] | None = field(default=None, repr=False)
    _by_control: dict[str, list[Finding]] | None = field(default=None, repr=False)
    _exceptions: list[ControlException] | None = field(default=None, repr=False)
    _attestations: dict[str, Attestation] | None = field(default=None, repr=False)
    _attachments: list[Attachment] | None = field(default=None, repr=False)
    _environment: Environment | None = field(default=None, repr=False)
    _evidence: list[Evidence] | None = field(default=None, repr=False)
    _in_scope: list[Control] | None = field(default=None, repr=False)
    _pending: dict[str, Staged] = field(default_factory=dict, repr=False)
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    def __post_init__(self) -> None:
        self.info = self.engagement.info()

    # --- basics -------------------------------------------------------------------------

    @property
    def readonly(self) -> bool:
        return self.engagement.readonly or self.review is not None

    @property
    def reviewing(self) -> bool:
        return self.review is not None

    def now(self) -> datetime:
        return self.engagement.clock()

    @property
    def frameworks(self) -> tuple[str, ...]:
        return tuple(f for f in self.info.frameworks if f in self.catalog.frameworks)

    def framework_label(self, fid: str) -> str:
        fw = self.catalog.frameworks.get(fid)
        return f"{fw.name} {fw.version}" if fw else fid

    def controls_in_scope(self) -> list[Control]:
        """The controls mapped to any framework of this engagement, in theme order."""
        if self._in_scope is None:
            fws = set(self.frameworks)
            self._in_scope = [
                control
                for theme in self.catalog.themes
                for control in self.catalog.controls_by_theme.get(theme.key, [])
                if not fws or fws & set(control.mappings)
            ]
        return self._in_scope

    def close(self) -> None:
        try:
            self.flush()
        finally:
            self.engagement.close()
            if self.package is not None:
                self.package.close()

    # --- cached reads -------------------------------------------------------------------

    def answers(self) -> dict[str, Answer]:
        if self._answers is None:
            self._answers = self.engagement.answers()
        return self._answers

    def findings(self) -> list[Finding]:
        if self._findings is None:
            self._findings = self.engagement.findings()
            by: dict[str, list[Finding]] = {}
            for f in self._findings:
                for cid in f.controls:
                    by.setdefault(cid, []).append(f)
            self._by_control = by
        return self._findings

    def findings_for(self, control_id: str) -> list[Finding]:
        self.findings()
        assert self._by_control is not None
        return self._by_control.get(control_id, [])

    def exceptions(self) -> list[ControlException]:
        if self._exceptions is None:
            self._exceptions = self.engagement.exceptions()
        return self._exceptions

    def attestations(self) -> dict[str, Attestation]:
        if self._attestations is None:
            self._attestations = self.engagement.attestations()
        return self._attestations

    def attachments(self, control_id: str | None = None) -> list[Attachment]:
        if self._attachments is None:
            self._attachments = self.engagement.attachments()
        if control_id is None:
            return list(self._attachments)
        return [a for a in self._attachments if a.control_id == control_id]

    def posture(self) -> Posture:
        with self._lock:
            if self._posture is None:
                self._posture = Posture.compute(
                    self.catalog,
                    self.answers(),
                    self.findings(),
                    self.exceptions(),
                    self.now(),
                    attachments=self.attachments(),
                    applicability=self.info.applicability,
                )
            return self._posture

    def verdict_line(self, fid: str) -> str:
        """Requirement verdicts of one framework, against the standard's own count."""
        from collections import Counter

        from auditprep.evaluate.summary import verdict_sentence

        return verdict_sentence(Counter(r.status.value for r in self.posture().requirements(fid)))

    def scope_text(self) -> str:
        info = self.info
        period = f"{info.period_start} to {info.period_end}" if info.period_start else "not set"
        lines = [f"Assessment period: {period}"]
        facts = info.applicability
        keys = [k for k, spec in sorted(self.catalog.applicability.items()) if spec.framework in self.frameworks]
        for key in keys:
            lines.append(f"{key} = {', '.join(facts.get(key, ())) or 'not set'}")
        if any(k not in facts for k in keys):
            lines.append("Set facts with: auditprep applicability ENGAGEMENT KEY=VALUE")
        return "\n".join(lines)

    def control_posture(self, control_id: str) -> ControlPosture:
        return self.posture().controls[control_id]

    def warm(self) -> None:
        """Load what the first screens need (run in a thread worker)."""
        self.posture()
        self.attestations()
        self.attachments()

    def _changed(self, control_id: str | None = None) -> None:
        """Refresh the cached posture after a write and tell screens something moved."""
        with self._lock:
            if self._posture is not None and control_id is not None:
                control = self.catalog.controls[control_id]
                self._posture.controls[control_id] = control_posture(
                    control, self.answers(), self.findings_for(control_id), self.exceptions(), self.now()
                )
            elif control_id is None:
                self._posture = None
            self.revision += 1

    def reload(self) -> None:
        """Forget every cache (after a collection: new findings and evidence)."""
        with self._lock:
            self._posture = None
            self._findings = None
            self._by_control = None
            self._attachments = None
            self._environment = None
            self._evidence = None
            self.revision += 1
            self.evidence_revision += 1

    # --- evidence -----------------------------------------------------------------------

    def evidence(self) -> list[Evidence]:
        """Every current evidence item, without its content, read once until ``reload`` (the
        dashboard's suggestions and the evidence browser both need it; 20,000 items take a second)."""
        with self._lock:
            found, revision = self._evidence, self.evidence_revision
        if found is None:  # read outside the lock: the UI thread must not wait on a worker's read
            found = self.engagement.current_evidence(with_data=False)
            with self._lock:
                if revision == self.evidence_revision:  # no collection since: keep it
                    self._evidence = found
        return found

    def evidence_document(self, evidence_id: str) -> str:
        """The stored (already redacted) item as pretty JSON, for the raw evidence view."""
        ev = self.engagement.evidence_item(evidence_id)
        if ev is None:
            raise EngagementError(f"There is no evidence item {evidence_id} in this engagement.")
        doc: dict[str, Any] = ev.model_dump(mode="json")
        return json.dumps(doc, indent=2, sort_keys=False, ensure_ascii=False)

    def attachment_document(self, attachment_id: int) -> str:
        att = next((a for a in self.attachments() if a.id == attachment_id), None)
        if att is None:
            raise EngagementError(f"There is no attachment {attachment_id} in this engagement.")
        doc = {
            "id": f"A{att.id}",
            "source": "manual",
            "filename": att.filename,
            "media_type": att.media_type,
            "sha256": att.sha256,
            "size": att.size,
            "control_id": att.control_id,
            "description": att.description,
            "added_by": att.added_by,
            "added_at": att.added_at.isoformat(),
        }
        return json.dumps(doc, indent=2, ensure_ascii=False)

    def attach(self, path: Path, *, control_id: str | None, description: str) -> Attachment:
        self._refuse_if_readonly()
        path = Path(path).expanduser()
        if control_id is not None and control_id not in self.catalog.controls:
            raise InvalidInput(f"There is no control {control_id}.")
        try:
            data = path.read_bytes()
        except IsADirectoryError:
            raise InvalidInput(f"{path} is a folder; attach a file.") from None
        except OSError as exc:
            raise InvalidInput(f"Cannot read {path}: {exc.strerror or exc}.") from None
        media = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        att = self.engagement.attach(
            data,
            filename=path.name,
            media_type=media,
            actor=self.actor,
            control_id=control_id,
            description=description.strip(),
        )
        self.attachments()
        assert self._attachments is not None
        self._attachments.append(att)
        self.revision += 1
        self.evidence_revision += 1
        return att

    def environment(self) -> Environment:
        """The platforms the evidence shows (reads every item's content: call from a worker)."""
        if self._environment is None:
            from auditprep.evaluate.environment import environment_of

            self._environment = environment_of(self.engagement.current_evidence())
        return self._environment

    def cached_environment(self) -> Environment | None:
        return self._environment

    # --- what the dashboard says --------------------------------------------------------

    def collection_state(self) -> CollectionState:
        """The runs, the current gaps and (when reviewing) whether the file verifies; call from a worker."""
        runs = self.engagement.runs()
        gaps = [ev for ev in self.evidence() if ev.status not in (CallStatus.COLLECTED, CallStatus.NOT_ENABLED)]
        counts = Counter(ev.status.value for ev in gaps)
        integrity = None
        if self.reviewing:
            from auditprep.store.verify import verify_engagement

            integrity = verify_engagement(self.engagement)
        return CollectionState(runs, gaps, counts, self.engagement.evidence_count(), integrity)

    def requirements_of(self, control: Control) -> list[tuple[str, str, str]]:
        """(framework id, requirement id, requirement title) the control addresses, this engagement's first."""
        order = list(self.frameworks) + [f for f in control.mappings if f not in self.frameworks]
        out = []
        for fid in order:
            for rid in control.mappings.get(fid, ()):
                req = self.catalog.requirement(fid, rid)
                out.append((fid, rid, req.title if req else ""))
        return out

    # --- review notes -------------------------------------------------------------------

    def _notes(self) -> ReviewNotes:
        if self.review is None:
            raise AuditprepError(
                "Reviewer comments and flags are available in review mode ('auditprep review').",
                title="Not in review mode",
            )
        return self.review

    def add_comment(self, target: str, text: str) -> bool:
        text = text.strip()
        if not text:
            raise InvalidInput("A comment cannot be empty.")
        self._notes().add_comment(target, text, author=self.actor, at=self.now())
        self.revision += 1
        return True

    def set_flag(self, target: str, flagged: bool, reason: str = "") -> bool:
        self._notes().set_flag(target, flagged, author=self.actor, at=self.now(), reason=reason.strip())
        self.revision += 1
        return True


def parse_day(text: str) -> date:
    """A YYYY-MM-DD date or InvalidInput."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(f"'{text.strip()}' is not a date written YYYY-MM-DD.") from None
