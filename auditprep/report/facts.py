"""The one evaluated fact set every deliverable is written from.

The framework report (PDF, HTML, JSON, CSV, OSCAL) and the incident-response playbook read the
store once, into this structure: the current evidence rows, the inventory built from them, the
findings the checks recorded, and the team's answers, exceptions, attestations and documents.
Whatever a deliverable says about a resource's state comes from here, so two deliverables cannot
tell two stories about the same resource.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from auditprep.catalog import Catalog
from auditprep.evaluate.posture import Posture
from auditprep.models import Answer, Attestation, ControlException, Evidence, Finding, FindingStatus
from auditprep.report.engagement import as_of, load_evidence
from auditprep.report.inventory import Inventory
from auditprep.store import Engagement
from auditprep.store.engagement import Attachment


@dataclass
class Facts:
    stamp: datetime
    evidence: list[Evidence]
    inventory: Inventory
    findings: list[Finding]
    answers: dict[str, Answer]
    exceptions: list[ControlException]
    attestations: dict[str, Attestation]
    attachments: list[Attachment]
    applicability: dict[str, tuple[str, ...]] = field(default_factory=dict)
    _by_check: dict[str, list[Finding]] = field(default_factory=dict, repr=False)
    _postures: dict[int, Posture] = field(default_factory=dict, repr=False)

    @classmethod
    def load(cls, eng: Engagement) -> Facts:
        """Read the store once: evidence, inventory, findings and the team's records."""
        evidence, inventory = load_evidence(eng)
        facts = cls(
            stamp=as_of(eng),
            evidence=evidence,
            inventory=inventory,
            findings=eng.findings(),
            answers=eng.answers(),
            exceptions=eng.exceptions(),
            attestations=eng.attestations(),
            attachments=eng.attachments(),
            applicability=eng.info().applicability,
        )
        by_check: dict[str, list[Finding]] = defaultdict(list)
        for f in facts.findings:
            by_check[f.check].append(f)
        facts._by_check = dict(by_check)
        return facts

    def posture(self, catalog: Catalog) -> Posture:
        """Controls and requirement verdicts from these facts (computed once per catalog)."""
        if id(catalog) not in self._postures:
            self._postures[id(catalog)] = Posture.compute(
                catalog,
                self.answers,
                self.findings,
                self.exceptions,
                self.stamp,
                attachments=self.attachments,
                applicability=self.applicability,
            )
        return self._postures[id(catalog)]

    def of_check(self, check: str, *, region: str | None = None, host: str | None = None) -> list[Finding]:
        """The findings of one check, optionally only those in one AWS region or on one Docker host."""
        out = []
        for f in self._by_check.get(check, []):
            if region is not None and f.scope.region != region:
                continue
            if host is not None and f.scope.host != host:
                continue
            out.append(f)
        return out

    def about(self, check: str, resource: str) -> Finding | None:
        """The finding of ``check`` about ``resource`` (an ARN, a container id), if the check judged it."""
        for f in self._by_check.get(check, []):
            if f.resource == resource:
                return f
        return None

    def failing(self, check: str) -> list[Finding]:
        return [f for f in self._by_check.get(check, []) if f.status is FindingStatus.FAIL]

    def names(self) -> dict[str, Any]:
        return {ev.resource: ev.resource_name for ev in self.evidence if ev.resource and ev.resource_name}
