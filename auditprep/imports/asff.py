"""AWS Security Finding Format: ``aws securityhub get-findings`` output (an object with
``Findings``) or a JSON array of findings (as Prowler's ``-M json-asff`` writes).

A finding is mapped, in this order, by ``Compliance.SecurityControlId`` (Security Hub CSPM
control checks), by ``GeneratorId`` (``security-control/ECS.4``, a standard's
``.../v/1.0.0/ECS.4``, or ``prowler-<check id>``), then by ``ProductName`` (GuardDuty and
Inspector findings, which are threats and vulnerabilities rather than control checks).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from auditprep.imports.common import (
    Parsed,
    SourceFile,
    bad_record,
    looks_like,
    parse_time,
    provenance,
    scrub,
    validation_problem,
)
from auditprep.imports.mappings import ImportMappings
from auditprep.models import Evidence, Finding, FindingStatus, Scope, Severity, Source

FORMAT = "asff"
KIND = "import.asff_finding"
COLLECTOR = "asff"
_STANDARD_RULE = re.compile(r"/v/[^/]+/(?:rule/)?([^/]+)$")


class _Loose(BaseModel):
    model_config = ConfigDict(extra="allow")


class _Severity(_Loose):
    Label: Literal["INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL"] | None = None
    Normalized: int | None = Field(default=None, ge=0, le=100)


class _Resource(_Loose):
    Type: str = Field(min_length=1)
    Id: str = Field(min_length=1)
    Region: str = ""


class _Compliance(_Loose):
    Status: Literal["PASSED", "WARNING", "FAILED", "NOT_AVAILABLE"] | None = None
    RelatedRequirements: list[str] = []
    SecurityControlId: str | None = None


class _Workflow(_Loose):
    Status: str = ""


class AsffFinding(_Loose):
    SchemaVersion: str
    Id: str = Field(min_length=1)
    ProductArn: str = Field(min_length=1)
    GeneratorId: str = Field(min_length=1)
    AwsAccountId: str
    CreatedAt: str
    UpdatedAt: str
    Severity: _Severity
    Title: str
    Description: str
    Resources: list[_Resource] = Field(min_length=1)
    Types: list[str] = []
    Compliance: _Compliance | None = None
    ProductName: str = ""
    Region: str = ""
    RecordState: str = "ACTIVE"
    Workflow: _Workflow | None = None
    ProductFields: dict[str, Any] = {}


def product_name(rec: dict[str, Any]) -> str:
    fields = rec.get("ProductFields") or {}
    name = rec.get("ProductName") or fields.get("aws/securityhub/ProductName") or fields.get("ProviderName")
    if name:
        return str(name)
    return str(rec.get("ProductArn", "")).rsplit("/", 1)[-1] or "unknown"


def parse(source: SourceFile, data: Any, now: datetime) -> Parsed:
    if isinstance(data, dict) and isinstance(data.get("Findings"), list):
        records = data["Findings"]
    elif isinstance(data, list) and all(isinstance(r, dict) and "ProductArn" in r for r in data[:1]) and data:
        records = data
    else:
        raise bad_record(
            source,
            "the file",
            f"ASFF is an object with 'Findings' (or an array of findings), but this looks like {looks_like(data)}",
        )
    out = Parsed(tool="asff", tool_version="", records=len(records))
    products: set[str] = set()
    for i, record in enumerate(records):
        where = f"Findings[{i}]"
        if isinstance(record, dict) and isinstance(record.get("Id"), str):
            where += f" ({record['Id']})"
        if not isinstance(record, dict):
            raise bad_record(source, where, "it is not a JSON object")
        try:
            rec = AsffFinding.model_validate(record)
        except ValidationError as exc:
            raise bad_record(source, where, validation_problem(exc)) from None
        if rec.Severity.Label is None and rec.Severity.Normalized is None:
            raise bad_record(source, where, "Severity has neither Label nor Normalized")
        product = product_name(record)
        version = str(rec.ProductFields.get("ProviderVersion", ""))
        products.add(f"{product} {version}".strip())
        res = rec.Resources[0]
        clean, redactions = scrub(record)
        out.evidence.append(
            Evidence(
                source=Source.IMPORT,
                collector=COLLECTOR,
                operation=f"asff {product} {rec.GeneratorId}",
                kind=KIND,
                scope=Scope(account=rec.AwsAccountId or None, region=(res.Region or rec.Region) or None),
                resource=res.Id,
                resource_name=res.Type,
                collected_at=parse_time(rec.UpdatedAt, now),
                data={"record": clean, "import": provenance(source, FORMAT, product, version, where.split(" ")[0])},
                redactions=tuple(redactions),
            )
        )
    out.tool_version = "from " + ", ".join(sorted(products))
    out.subjects = {(COLLECTOR, "")}
    return out


_LABELS = {"CRITICAL": Severity.CRITICAL, "HIGH": Severity.HIGH, "MEDIUM": Severity.MEDIUM, "LOW": Severity.LOW}


def severity_of(sev: dict[str, Any]) -> Severity:
    label = sev.get("Label")
    if label:
        return _LABELS.get(str(label), Severity.INFO)
    n = int(sev.get("Normalized") or 0)
    if n >= 90:
        return Severity.CRITICAL
    if n >= 70:
        return Severity.HIGH
    if n >= 40:
        return Severity.MEDIUM
    return Severity.LOW if n >= 1 else Severity.INFO


def resolve(rec: dict[str, Any], mappings: ImportMappings) -> tuple[str, tuple[str, ...]] | None:
    """(finding check id, controls) for a record, or None when no table maps it."""
    table = mappings.asff.security_controls
    control_id = (rec.get("Compliance") or {}).get("SecurityControlId")
    if control_id and control_id in table:
        return f"securityhub/{control_id}", table[control_id]
    generator = str(rec.get("GeneratorId", ""))
    if generator.startswith("prowler-"):
        check = generator[len("prowler-") :]
        controls = mappings.prowler.checks.get(check)
        return (f"prowler/{check}", controls) if controls else None
    if generator.startswith("security-control/"):
        candidate = generator.split("/", 1)[1]
    else:
        m = _STANDARD_RULE.search(generator)
        candidate = m.group(1) if m else ""
    if candidate in table:
        return f"securityhub/{candidate}", table[candidate]
    product = product_name(rec)
    if product in mappings.asff.products:
        return f"{re.sub(r'[^a-z0-9]+', '-', product.lower()).strip('-')}/finding", mappings.asff.products[product]
    return None


def status_of(rec: dict[str, Any]) -> FindingStatus | None:
    """The finding status, or None for a finding that is archived or resolved (kept as evidence only)."""
    if str(rec.get("RecordState", "ACTIVE")).upper() == "ARCHIVED":
        return None
    workflow = str((rec.get("Workflow") or {}).get("Status", "")).upper()
    compliance = (rec.get("Compliance") or {}).get("Status")
    if compliance:
        status = {
            "PASSED": FindingStatus.PASS,
            "FAILED": FindingStatus.FAIL,
            "WARNING": FindingStatus.WARN,
            "NOT_AVAILABLE": FindingStatus.NOT_EVALUATED,
        }[compliance]
        return FindingStatus.WARN if status is FindingStatus.FAIL and workflow == "SUPPRESSED" else status
    if workflow == "RESOLVED":
        return None
    return FindingStatus.WARN if workflow == "SUPPRESSED" else FindingStatus.FAIL


def _vulnerabilities(rec: dict[str, Any]) -> str:
    parts = []
    for v in (rec.get("Vulnerabilities") or [])[:5]:
        if isinstance(v, dict) and v.get("Id"):
            fix = {"YES": "fix available", "NO": "no fix yet", "PARTIAL": "partial fix"}.get(
                str(v.get("FixAvailable")), ""
            )
            parts.append(f"{v['Id']}" + (f" ({fix})" if fix else ""))
    return f" Vulnerabilities: {', '.join(parts)}." if parts else ""


def findings(evidence: Iterable[Evidence], mappings: ImportMappings) -> list[Finding]:
    out = []
    for ev in evidence:
        if ev.kind != KIND:
            continue
        rec = ev.data.get("record") or {}
        resolved = resolve(rec, mappings)
        status = status_of(rec)
        if resolved is None or status is None:
            continue
        check, controls = resolved
        product = product_name(rec)
        compliance = rec.get("Compliance") or {}
        said = f"reports {compliance['Status']}" if compliance.get("Status") else "reports an active finding"
        if str((rec.get("Workflow") or {}).get("Status", "")).upper() == "SUPPRESSED":
            said += " (suppressed in its workflow)"
        reqs = [str(r) for r in compliance.get("RelatedRequirements") or []]
        related = f" Related requirements: {', '.join(reqs[:8])}{' …' if len(reqs) > 8 else ''}." if reqs else ""
        out.append(
            Finding(
                check=check,
                title=str(rec.get("Title") or check),
                status=status,
                severity=severity_of(rec.get("Severity") or {}),
                resource=ev.resource,
                scope=ev.scope,
                message=f"{product} {said} for {ev.resource}: {str(rec.get('Title', '')).rstrip('.')}."
                f"{_vulnerabilities(rec)}{related} Imported from ASFF.",
                controls=controls,
                evidence=(ev.id,) if ev.id else (),
            )
        )
    return out
