"""The domain model: what the questionnaires, the evidence and the findings are.

These models know nothing about widgets, AWS or Docker. The questionnaire models are strict
(unknown keys are errors) because they are loaded from files people edit by hand; a typo must
fail loudly rather than silently drop a mapping an assessor relies on.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

FRAMEWORK_IDS = ("pci-dss", "hipaa", "hitrust", "fedramp-moderate")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


# --- questionnaires ---------------------------------------------------------------------------


class QuestionType(str, enum.Enum):
    """How a question is answered.

    ``status`` is the implementation question every control starts with: yes / partial / no /
    n-a, always with a narrative, because an assessor wants the how, not just the yes.
    """

    STATUS = "status"
    CHOICE = "choice"
    DATE = "date"
    NUMBER = "number"
    TEXT = "text"


STATUS_ANSWERS = ("yes", "partial", "no", "n-a")


class Question(Strict):
    id: str
    text: str
    type: QuestionType
    choices: tuple[str, ...] = ()
    help: str = ""
    # choice -> check: answering that choice claims the check passes, so evidence that it does not is a conflict
    claims: dict[str, str] = {}

    @field_validator("choices")
    @classmethod
    def _unique_choices(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        if len(set(v)) != len(v):
            raise ValueError("choices must be unique")
        return v


class Theme(Strict):
    key: str
    title: str
    summary: str


class Control(Strict):
    id: str = Field(pattern=r"^[A-Z]{2,4}-\d{2}$")
    title: str
    theme: str
    questions: tuple[Question, ...] = Field(min_length=1)
    guidance: str
    evidence: tuple[str, ...] = Field(min_length=1)
    checks: tuple[str, ...] = ()
    concepts: tuple[str, ...] = ()
    # Organisation controls may map requirements directly; built-in links come from the objectives.
    mappings: dict[str, tuple[str, ...]] = {}
    # evidence older than this many days is stale for this control (None: the default, 90 days)
    freshness_days: int | None = Field(default=None, ge=1, le=3660)

    @property
    def status_question(self) -> Question | None:
        return next((q for q in self.questions if q.type is QuestionType.STATUS), None)


class Section(Strict):
    id: str
    title: str


class Objective(Strict):
    """One thing an assessor must see for a requirement, bound to exactly what speaks to it.

    ``questions`` are the team's account (attestation), ``checks`` the automated evidence, and
    ``documents`` the kinds of document that verify an answer when attached to the question's control.
    ``limits`` says what the evidence cannot show, so a narrative never claims more than it has.
    """

    text: str
    questions: tuple[str, ...] = ()
    checks: tuple[str, ...] = ()
    documents: tuple[str, ...] = ()
    limits: str = ""


class Requirement(Strict):
    id: str
    title: str = Field(max_length=140)
    section: str
    # HIPAA implementation specifications are "required" or "addressable"; standards are "standard".
    designation: Literal["required", "addressable", "standard"] | None = None
    # An addressed requirement has objectives; one outside the tool's reach says where to look instead.
    objectives: tuple[Objective, ...] = Field(default=(), max_length=4)
    outside: str | None = None
    # Applicability: the requirement applies only when the engagement's answers match (all keys, any value).
    applies_when: dict[str, tuple[str, ...]] = {}
    not_applicable: str = ""
    note: str = ""
    # ids in another catalogue this requirement draws on (a FedRAMP 20x KSI's NIST SP 800-53 controls)
    related: tuple[str, ...] = ()

    @property
    def not_covered(self) -> str | None:
        """Why the tool does not address this requirement (``None`` when it does)."""
        return self.outside


class Framework(Strict):
    id: str
    name: str
    version: str
    publisher: str
    description: str
    # how the standard's own count of requirements is made (reports say "N of M requirements")
    total_note: str = ""
    # the framework's own words for requirement verdicts (in_place -> "Satisfied" for FedRAMP, ...)
    status_labels: dict[str, str] = {}
    # summaries (status, dashboard) show verdicts per section: the sections are the standard's themes
    summary_by_section: bool = False
    sections: tuple[Section, ...]
    requirements: tuple[Requirement, ...]


class ApplicabilityKey(Strict):
    """A fact about the engagement that decides whether some requirements apply (pci.entity, ...)."""

    key: str = Field(pattern=r"^[a-z]+\.[a-z][a-z-]*$")
    framework: str
    title: str
    help: str = ""
    values: tuple[str, ...] = ()  # empty: any value (e.g. AWS region names)
    multiple: bool = False


class DiagramNode(Strict):
    label: str
    detail: str = ""


class Diagram(Strict):
    """A small left-to-right or side-by-side diagram, drawn as text in the terminal and SVG in reports."""

    kind: Literal["flow", "columns"]
    title: str
    nodes: tuple[DiagramNode, ...] = ()
    # for "columns": each column is a heading and its rows (e.g. who is responsible for what)
    columns: tuple[dict[str, Any], ...] = ()


class Concept(Strict):
    key: str = Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")
    name: str
    aliases: tuple[str, ...] = ()
    explanation: str
    why_it_matters: str
    evidence: tuple[str, ...]
    requirements: dict[str, tuple[str, ...]] = {}
    related: tuple[str, ...] = ()
    diagram: Diagram | None = None


class Severity(str, enum.Enum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"


class BenchmarkRef(Strict):
    benchmark: str
    version: str
    id: str


class CheckMeta(Strict):
    """Metadata of an automated check; the function that evaluates it lives in ``auditprep.checks``."""

    id: str = Field(pattern=r"^(aws|docker)\.[a-z0-9_]+\.[a-z0-9_]+$")
    title: str
    severity: Severity
    description: str
    remediation: str
    references: tuple[BenchmarkRef, ...] = ()


# --- evidence and findings -------------------------------------------------------------------


class CallStatus(str, enum.Enum):
    COLLECTED = "collected"
    NOT_ENABLED = "not_enabled"
    ACCESS_DENIED = "access_denied"
    THROTTLED = "throttled"
    ERROR = "error"


class Source(str, enum.Enum):
    AWS = "aws"
    DOCKER = "docker"
    MANUAL = "manual"
    IMPORT = "import"


class Scope(BaseModel):
    """Where evidence came from: an AWS account and region, or a Docker host."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    account: str | None = None
    region: str | None = None
    host: str | None = None

    def label(self) -> str:
        if self.host:
            return self.host
        parts = [p for p in (self.account, self.region) if p]
        return "/".join(parts) or "global"


class Evidence(BaseModel):
    """One collected item or one recorded gap.

    ``kind`` is what checks select on (e.g. ``ecs.task_definition``). A gap is an Evidence whose
    status is not ``collected``: it says which kind could not be collected in which scope and why,
    so a check over that kind in that scope becomes ``not_evaluated`` instead of passing.

    Where it came from is kept with it: ``request_ids`` are the AWS request ids of the calls whose
    answers it holds (``ResponseMetadata.RequestId``), ``api_paths`` the Docker Engine API requests
    (method and path). ``content_hash`` is the SHA-256 of ``data``; ``record_hash`` is the hash of
    the whole stored record (operation, scope, resource, time, request ids, content hash, ...),
    the one reports publish, so that two identical answers from different calls stay two records.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = ""
    source: Source
    collector: str
    operation: str
    kind: str
    scope: Scope
    resource: str = ""
    resource_name: str = ""
    collected_at: datetime
    status: CallStatus = CallStatus.COLLECTED
    message: str = ""
    data: dict[str, Any] = {}
    redactions: tuple[str, ...] = ()
    request_ids: tuple[str, ...] = ()
    api_paths: tuple[str, ...] = ()
    content_hash: str = ""
    record_hash: str = ""


class FindingStatus(str, enum.Enum):
    PASS = "pass"
    FAIL = "fail"
    WARN = "warn"
    NOT_EVALUATED = "not_evaluated"
    NOT_APPLICABLE = "not_applicable"


class Finding(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    check: str
    title: str
    status: FindingStatus
    severity: Severity
    resource: str
    scope: Scope
    message: str
    controls: tuple[str, ...] = ()
    evidence: tuple[str, ...] = ()


# --- engagement records ----------------------------------------------------------------------


class Answer(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    control_id: str
    question_id: str
    value: str
    narrative: str = ""
    answered_by: str
    answered_at: datetime


class Attestation(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    control_id: str
    attested_by: str
    attested_at: datetime
    reattest_days: int = 365


class ControlException(BaseModel):
    """A recorded, owned and expiring exception to a control (a risk acceptance)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: int | None = None
    control_id: str
    owner: str
    rationale: str
    expires: datetime
    recorded_by: str
    recorded_at: datetime
