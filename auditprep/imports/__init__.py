"""Import Prowler, Trivy and Security Hub (ASFF) results as evidence and findings.

``store_results`` reads and validates a whole file before storing anything, then stores it as
one collection run of ``import`` evidence with its provenance (tool, version, the file's name and
SHA-256 in the run identity and in every item), and re-evaluates. ``findings_from_evidence`` is
the pure function that turns stored import evidence into findings mapped onto the controls by
the tables in ``questionnaires/imports/``; re-evaluation calls it so imported findings sit beside
the automated ones.

A later import of the same tool for the same scope (and, for Trivy, the same image repository)
supersedes the earlier one; other imports in that scope are carried into the new run unchanged,
so the engagement's "latest run per scope" rule never hides them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from auditprep.catalog import Catalog
from auditprep.errors import InvalidInput
from auditprep.imports import asff, prowler, trivy
from auditprep.imports.common import ImportFileError, Parsed, SourceFile, read_source
from auditprep.imports.mappings import ImportMappings, load_mappings, mapping_problems
from auditprep.models import Evidence, Finding, Source
from auditprep.store import Engagement

Parser = Callable[[SourceFile, Any, datetime], Parsed]
FORMATS: dict[str, Parser] = {"prowler-ocsf": prowler.parse, "trivy": trivy.parse, "asff": asff.parse}
IMPORT_KINDS = (prowler.KIND, trivy.IMAGE_KIND, trivy.VULN_KIND, asff.KIND)


def findings_from_evidence(
    evidence: Iterable[Evidence], catalog: Catalog, mappings: ImportMappings | None = None
) -> list[Finding]:
    """Findings for the import evidence among ``evidence`` (pure; the tables load only when needed)."""
    everything = list(evidence)
    imported = [ev for ev in everything if ev.kind in IMPORT_KINDS]
    if not imported:
        return []
    mappings = mappings or load_mappings(catalog)
    return [
        *prowler.findings(imported, mappings),
        *trivy.findings(everything, mappings),  # all evidence: it tells which images are running
        *asff.findings(imported, mappings),
    ]


@dataclass(frozen=True)
class ImportSummary:
    format: str
    tool: str
    tool_version: str
    file: Path
    file_sha256: str
    records: int
    evidence_items: int
    carried_forward: int
    run_id: int
    evaluation_id: int | None = None  # set by the use case that evaluates after storing
    findings: dict[str, int] = field(default_factory=dict)
    unmapped: int = 0
    unmapped_ids: tuple[str, ...] = ()
    already_imported: bool = False

    def render(self) -> str:
        lines = [
            f"Imported {self.records} record(s) from {self.file.name} ({self.tool} {self.tool_version}, "
            f"sha256 {self.file_sha256}) as run {self.run_id}: {self.evidence_items} evidence item(s).",
        ]
        if self.findings:
            lines.append(
                "Findings from this file: "
                + ", ".join(f"{n} {s.replace('_', ' ')}" for s, n in sorted(self.findings.items()))
                + "."
            )
        if self.unmapped:
            ids = ", ".join(self.unmapped_ids[:10]) + (" …" if len(self.unmapped_ids) > 10 else "")
            lines.append(
                f"{self.unmapped} record(s) map to no control (or are archived) and are kept as evidence only"
                + (f": {ids}." if ids else ".")
            )
        if self.carried_forward:
            lines.append(f"{self.carried_forward} item(s) of earlier imports in the same scope were carried forward.")
        if self.already_imported:
            lines.append("This file had been imported before; its records are now current again.")
        return "\n".join(lines)


def _record_key(ev: Evidence) -> str:
    rec = ev.data.get("record") or {}
    if ev.kind == prowler.KIND:
        return str((rec.get("metadata") or {}).get("event_code", ""))
    if ev.kind == asff.KIND:
        return str((rec.get("Compliance") or {}).get("SecurityControlId") or rec.get("GeneratorId", ""))
    return ""


def store_results(
    eng: Engagement,
    catalog: Catalog,
    path: Path,
    fmt: str,
    actor: str,
    *,
    mappings: ImportMappings | None = None,
) -> ImportSummary:
    """Store one result file in ``eng`` as one run: all of it, or nothing. Evaluating it is the
    caller's next step (:func:`auditprep.application.importing.import_results` does both)."""
    parser = FORMATS.get(fmt)
    if parser is None:
        raise InvalidInput(f"'{fmt}' is not an import format; use one of {', '.join(FORMATS)}.")
    mappings = mappings or load_mappings(catalog)
    source, data = read_source(Path(path))
    started = eng.clock()
    parsed = parser(source, data, started)
    if not parsed.evidence:
        raise ImportFileError(f"{source.path} holds no findings; nothing was imported.")

    touched = {ev.scope for ev in parsed.evidence}
    carried = [
        ev.model_copy(update={"id": "", "content_hash": ""})
        for ev in eng.current_evidence()
        if ev.source is Source.IMPORT
        and ev.scope in touched
        and (ev.collector, str(ev.data.get("import", {}).get("subject", ""))) not in parsed.subjects
    ]
    already = any(r.source == Source.IMPORT.value and f"sha256:{source.sha256}" in r.targets for r in eng.runs())
    scopes = sorted({s.label() for s in touched})
    run_id, stored = eng.add_run(
        actor=actor,
        source=Source.IMPORT,
        started_at=started,
        evidence=[*parsed.evidence, *carried],
        identity=f"{parsed.tool} {parsed.tool_version}: {source.name} (sha256:{source.sha256})",
        targets=[f"file:{source.name}", f"sha256:{source.sha256}", *scopes],
    )
    mine = stored[: len(parsed.evidence)]
    found = findings_from_evidence(eng.current_evidence(), catalog, mappings)
    mine_ids = {ev.id for ev in mine}
    own = [f for f in found if set(f.evidence) & mine_ids]
    used = {e for f in own for e in f.evidence}
    unmapped = [ev for ev in mine if ev.kind in (prowler.KIND, asff.KIND) and ev.id not in used]
    return ImportSummary(
        format=fmt,
        tool=parsed.tool,
        tool_version=parsed.tool_version,
        file=source.path,
        file_sha256=source.sha256,
        records=parsed.records,
        evidence_items=len(mine),
        carried_forward=len(carried),
        run_id=run_id,
        findings=dict(Counter(f.status.value for f in own)),
        unmapped=len(unmapped),
        unmapped_ids=tuple(sorted({k for k in map(_record_key, unmapped) if k})),
        already_imported=already,
    )


__all__ = [
    "FORMATS",
    "ImportFileError",
    "ImportMappings",
    "ImportSummary",
    "findings_from_evidence",
    "store_results",
    "load_mappings",
    "mapping_problems",
]
