"""Prowler results in OCSF (``prowler aws -M json-ocsf``): a JSON array of Detection Findings.

Each record is one check on one resource: ``metadata.event_code`` is the Prowler check id,
``status_code`` PASS / FAIL / MANUAL, ``status`` says whether it was muted, ``resources[0]`` the
resource and ``cloud.account`` / ``cloud.region`` where it lives.
"""

from __future__ import annotations

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

FORMAT = "prowler-ocsf"
KIND = "import.prowler_finding"
COLLECTOR = "prowler"
MAX_RECORDS = 500_000  # a scan of a large organisation is tens of thousands; split bigger files by account


class _Loose(BaseModel):
    model_config = ConfigDict(extra="allow")


class _Product(_Loose):
    name: str
    version: str = ""


class _Metadata(_Loose):
    event_code: str = Field(min_length=1)
    product: _Product


class _Info(_Loose):
    uid: str = Field(min_length=1)
    title: str = ""
    created_time_dt: str | None = None


class _Resource(_Loose):
    uid: str = ""
    name: str = ""
    region: str = ""
    type: str = ""


class _Account(_Loose):
    uid: str = ""


class _Cloud(_Loose):
    account: _Account | None = None
    region: str = ""
    provider: str = ""


class OcsfFinding(_Loose):
    class_uid: Literal[2004]
    metadata: _Metadata
    finding_info: _Info
    status_code: Literal["PASS", "FAIL", "MANUAL"]
    severity: str = "Unknown"
    status: str = ""
    status_detail: str = ""
    resources: list[_Resource] = Field(min_length=1)
    cloud: _Cloud | None = None
    time_dt: str | None = None


def _where(i: int, record: Any) -> str:
    uid = (
        record.get("finding_info", {}).get("uid")
        if isinstance(record, dict) and isinstance(record.get("finding_info"), dict)
        else None
    )
    return f"record {i}" + (f" ({uid})" if isinstance(uid, str) and uid else "")


def parse(source: SourceFile, data: Any, now: datetime) -> Parsed:
    if not isinstance(data, list):
        raise bad_record(
            source,
            "the file",
            f"Prowler OCSF output is a JSON array of findings, but this looks like {looks_like(data)}",
        )
    if len(data) > MAX_RECORDS:
        raise bad_record(
            source, "the file", f"it holds {len(data)} findings, more than the {MAX_RECORDS} one import takes"
        )
    versions: set[str] = set()
    out = Parsed(tool="prowler", tool_version="", records=len(data))
    for i, record in enumerate(data):
        where = _where(i, record)
        if not isinstance(record, dict):
            raise bad_record(source, where, "it is not a JSON object")
        try:
            rec = OcsfFinding.model_validate(record)
        except ValidationError as exc:
            raise bad_record(source, where, validation_problem(exc)) from None
        if rec.metadata.product.name.lower() != "prowler":
            raise bad_record(source, where, f"it was written by '{rec.metadata.product.name}', not by Prowler")
        versions.add(rec.metadata.product.version)
        res = rec.resources[0]
        account = rec.cloud.account.uid if rec.cloud and rec.cloud.account else ""
        region = res.region or (rec.cloud.region if rec.cloud else "")
        scope = Scope(account=account or None, region=region or None)
        clean, redactions = scrub(record)
        out.evidence.append(
            Evidence(
                source=Source.IMPORT,
                collector=COLLECTOR,
                operation=f"prowler {rec.metadata.product.version} {rec.metadata.event_code}".replace("  ", " "),
                kind=KIND,
                scope=scope,
                resource=res.uid or rec.finding_info.uid,
                resource_name=res.name,
                collected_at=parse_time(rec.time_dt or rec.finding_info.created_time_dt, now),
                data={
                    "record": clean,
                    "import": provenance(source, FORMAT, "prowler", rec.metadata.product.version, str(i)),
                },
                redactions=tuple(redactions),
            )
        )
    out.tool_version = ", ".join(sorted(v for v in versions if v)) or "unknown"
    out.subjects = {(COLLECTOR, "")}
    return out


SEVERITY = {"critical": Severity.CRITICAL, "high": Severity.HIGH, "medium": Severity.MEDIUM, "low": Severity.LOW}


def severity_of(label: str) -> Severity:
    return SEVERITY.get(label.strip().lower(), Severity.INFO)


def status_of(status_code: str, muted: bool) -> FindingStatus:
    if status_code == "PASS":
        return FindingStatus.PASS
    if status_code == "FAIL":
        return FindingStatus.WARN if muted else FindingStatus.FAIL
    return FindingStatus.NOT_EVALUATED


def finding(ev: Evidence, check_id: str, controls: tuple[str, ...], rec: dict[str, Any], tool: str) -> Finding:
    status_code = str(rec.get("status_code", ""))
    muted = str(rec.get("status", "")).lower() == "suppressed"
    status = status_of(status_code, muted)
    info = rec.get("finding_info") or {}
    detail = str(rec.get("status_detail") or rec.get("message") or info.get("title") or check_id)
    note = {
        FindingStatus.WARN: " It fails, but was muted in Prowler.",
        FindingStatus.NOT_EVALUATED: " Prowler marks this check as manual: it needs a person to judge it.",
    }.get(status, "")
    version = ev.data.get("import", {}).get("tool_version", "")
    return Finding(
        check=f"prowler/{check_id}",
        title=str(info.get("title") or check_id),
        status=status,
        severity=severity_of(str(rec.get("severity", ""))),
        resource=ev.resource,
        scope=ev.scope,
        message=f"{detail.rstrip('.')}.{note} Imported from {f'{tool} {version}'.strip()}.",
        controls=controls,
        evidence=(ev.id,) if ev.id else (),
    )


_RANK = {
    FindingStatus.FAIL: 0,
    FindingStatus.WARN: 1,
    FindingStatus.NOT_EVALUATED: 2,
    FindingStatus.PASS: 3,
    FindingStatus.NOT_APPLICABLE: 4,
}


def findings(evidence: Iterable[Evidence], mappings: ImportMappings) -> list[Finding]:
    """One finding per check, scope and resource (a finding's identity), in one pass.

    A file may repeat a check on a resource (or, crafted, repeat it a million times); the repeats
    become one finding that keeps the worst status and rests on every record, so finding ids never
    collide and the work stays linear in the number of records."""
    out: dict[tuple[str, Any, str], Finding] = {}
    resting_on: dict[tuple[str, Any, str], dict[str, None]] = {}
    for ev in evidence:
        if ev.kind != KIND:
            continue
        rec = ev.data.get("record") or {}
        check_id = str((rec.get("metadata") or {}).get("event_code", ""))
        controls = mappings.prowler.checks.get(check_id)
        if not controls:
            continue
        new = finding(ev, check_id, controls, rec, "Prowler")
        key = (new.check, new.scope, new.resource)
        resting_on.setdefault(key, {}).update(dict.fromkeys(new.evidence))
        old = out.get(key)
        if old is None or _RANK.get(new.status, 5) < _RANK.get(old.status, 5):
            out[key] = new
    return [
        f if len(resting_on[key]) == len(f.evidence) else f.model_copy(update={"evidence": tuple(resting_on[key])})
        for key, f in out.items()
    ]
