"""The loaded catalog and the links derived from it."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from auditprep.models import (
    ApplicabilityKey,
    CheckMeta,
    Concept,
    Control,
    Framework,
    Objective,
    Requirement,
    Theme,
)


@dataclass(frozen=True)
class Catalog:
    themes: tuple[Theme, ...]
    controls: dict[str, Control]
    frameworks: dict[str, Framework]
    concepts: dict[str, Concept]
    checks: dict[str, CheckMeta]
    applicability: dict[str, ApplicabilityKey] = field(default_factory=dict)

    @cached_property
    def question_controls(self) -> dict[str, str]:
        """question id -> id of the control that asks it."""
        return {q.id: c.id for c in self.controls.values() for q in c.questions}

    def objective_controls(self, objective: Objective) -> tuple[str, ...]:
        """The controls an objective rests on: those asking its questions and those listing its checks."""
        out: dict[str, None] = {}
        for qid in objective.questions:
            if qid in self.question_controls:
                out.setdefault(self.question_controls[qid], None)
        for check in objective.checks:
            for cid in self.check_controls.get(check, ()):
                out.setdefault(cid, None)
        return tuple(out)

    @cached_property
    def controls_by_theme(self) -> dict[str, list[Control]]:
        out: dict[str, list[Control]] = {t.key: [] for t in self.themes}
        for control in self.controls.values():
            out[control.theme].append(control)
        return out

    @cached_property
    def requirement_controls(self) -> dict[str, dict[str, tuple[str, ...]]]:
        """framework id -> requirement id -> ids of the controls that address it."""
        out: dict[str, dict[str, tuple[str, ...]]] = {fid: {} for fid in self.frameworks}
        for fid, fw in self.frameworks.items():
            for req in fw.requirements:
                ids: dict[str, None] = {}
                for obj in req.objectives:
                    for cid in self.objective_controls(obj):
                        ids.setdefault(cid, None)
                if ids:
                    out[fid][req.id] = tuple(ids)
        return out

    @cached_property
    def control_requirements(self) -> dict[str, dict[str, tuple[str, ...]]]:
        """control id -> framework id -> the requirements whose objectives rest on the control."""
        out: dict[str, dict[str, list[str]]] = {}
        for fid, reqs in self.requirement_controls.items():
            for rid, cids in reqs.items():
                for cid in cids:
                    out.setdefault(cid, {}).setdefault(fid, []).append(rid)
        return {cid: {fid: tuple(r) for fid, r in fws.items()} for cid, fws in out.items()}

    def requirements_of(self, control_id: str, framework_id: str) -> tuple[str, ...]:
        return self.control_requirements.get(control_id, {}).get(framework_id, ())

    def requirement_total(self, framework_id: str) -> int:
        return len(self.frameworks[framework_id].requirements)

    @cached_property
    def check_controls(self) -> dict[str, tuple[str, ...]]:
        """check id -> ids of the controls it informs."""
        out: dict[str, list[str]] = {}
        for control in self.controls.values():
            for cid in control.checks:
                out.setdefault(cid, []).append(control.id)
        return {k: tuple(v) for k, v in out.items()}

    def requirement(self, framework_id: str, requirement_id: str) -> Requirement | None:
        fw = self.frameworks.get(framework_id)
        if fw is None:
            return None
        return next((r for r in fw.requirements if r.id == requirement_id), None)

    def theme_title(self, key: str) -> str:
        return next((t.title for t in self.themes if t.key == key), key)
