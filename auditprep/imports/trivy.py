"""Trivy image reports (``trivy image -f json``, SchemaVersion 2).

One report is one image: ``ArtifactName``, ``Metadata.ImageID`` and ``Metadata.RepoDigests`` say
which image, ``Results[].Vulnerabilities[]`` what was found, with ``Severity`` and, when the
distribution has one, ``FixedVersion``. The import stores one evidence item for the image and one
per vulnerability; the findings answer the patching question precisely: which images carry
critical vulnerabilities that already have a fix, and whether those images are running according
to the container and task evidence collected.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
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
from auditprep.imports.mappings import ImportMappings, TrivyRule
from auditprep.models import CallStatus, Evidence, Finding, FindingStatus, Scope, Source

FORMAT = "trivy"
IMAGE_KIND = "import.trivy_image"
VULN_KIND = "import.trivy_vulnerability"
COLLECTOR = "trivy"
_ECR = re.compile(r"^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/")
_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")
_IMAGE_KEYS = {"image", "imageid", "image_id", "imagedigest", "image_digest"}


class _Loose(BaseModel):
    model_config = ConfigDict(extra="allow")


class Vulnerability(_Loose):
    VulnerabilityID: str = Field(min_length=1)
    PkgName: str = Field(min_length=1)
    InstalledVersion: str = ""
    FixedVersion: str = ""
    Status: str = ""
    Severity: Literal["CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN"]


class _Result(_Loose):
    Target: str
    Class: str = ""
    Type: str = ""
    Vulnerabilities: list[Any] | None = None


class _Metadata(_Loose):
    ImageID: str = ""
    RepoDigests: list[str] | None = None
    RepoTags: list[str] | None = None


class _TrivyInfo(_Loose):
    Version: str = ""


class TrivyReport(_Loose):
    SchemaVersion: Literal[2]
    ArtifactName: str = Field(min_length=1)
    ArtifactType: str
    CreatedAt: str | None = None
    Metadata: _Metadata = _Metadata()
    Results: list[Any] | None = None
    Trivy: _TrivyInfo | None = None


def repository(artifact: str) -> str:
    """The image name without its tag or digest: what a newer scan of the same image replaces."""
    name = artifact.split("@", 1)[0]
    slash, colon = name.rfind("/"), name.rfind(":")
    return name[:colon] if colon > slash else name


def scope_of(artifact: str) -> Scope:
    m = _ECR.match(artifact)
    return Scope(account=m.group(1), region=m.group(2)) if m else Scope()


def fix_available(v: dict[str, Any]) -> bool:
    return bool(v.get("FixedVersion")) or str(v.get("Status", "")).lower() == "fixed"


def parse(source: SourceFile, data: Any, now: datetime) -> Parsed:
    if not isinstance(data, dict) or "SchemaVersion" not in data:
        raise bad_record(
            source,
            "the file",
            f"a Trivy report is a JSON object with SchemaVersion 2, but this looks like {looks_like(data)}",
        )
    try:
        report = TrivyReport.model_validate(data)
    except ValidationError as exc:
        raise bad_record(source, "the report", validation_problem(exc)) from None
    if report.ArtifactType != "container_image":
        raise bad_record(
            source,
            "the report",
            f"it scans a {report.ArtifactType or 'non-image'} artifact; only container image reports are imported",
        )
    version = report.Trivy.Version if report.Trivy and report.Trivy.Version else "unknown"
    meta = report.Metadata
    digests = list(meta.RepoDigests or [])
    resource = (
        digests[0] if digests else (f"{report.ArtifactName}@{meta.ImageID}" if meta.ImageID else report.ArtifactName)
    )
    subject = repository(report.ArtifactName)
    scope = scope_of(report.ArtifactName)
    when = parse_time(report.CreatedAt, now)

    items: list[Evidence] = []
    results_summary = []
    counts: dict[str, int] = defaultdict(int)
    for i, result_raw in enumerate(report.Results or []):
        try:
            result = _Result.model_validate(result_raw)
        except ValidationError as exc:
            raise bad_record(source, f"Results[{i}]", validation_problem(exc)) from None
        vulns = result.Vulnerabilities or []
        results_summary.append(
            {"target": result.Target, "class": result.Class, "type": result.Type, "vulnerabilities": len(vulns)}
        )
        for j, raw in enumerate(vulns):
            where = f"Results[{i}].Vulnerabilities[{j}]"
            if isinstance(raw, dict) and isinstance(raw.get("VulnerabilityID"), str):
                where += f" ({raw['VulnerabilityID']})"
            if not isinstance(raw, dict):
                raise bad_record(source, where, "it is not a JSON object")
            try:
                v = Vulnerability.model_validate(raw)
            except ValidationError as exc:
                raise bad_record(source, where, validation_problem(exc)) from None
            counts[v.Severity] += 1
            clean, redactions = scrub(raw)
            items.append(
                Evidence(
                    source=Source.IMPORT,
                    collector=COLLECTOR,
                    operation=f"trivy {version} image scan",
                    kind=VULN_KIND,
                    scope=scope,
                    resource=resource,
                    resource_name=report.ArtifactName,
                    collected_at=when,
                    data={
                        "vulnerability": clean,
                        "target": result.Target,
                        "class": result.Class,
                        "type": result.Type,
                        "import": provenance(
                            source, FORMAT, "trivy", version, f"Results[{i}].Vulnerabilities[{j}]", subject
                        ),
                    },
                    redactions=tuple(redactions),
                )
            )
    image_meta = (
        {k: v for k, v in data.get("Metadata", {}).items() if k != "ImageConfig"}
        if isinstance(data.get("Metadata"), dict)
        else {}
    )
    clean_meta, redactions = scrub(image_meta)
    image = Evidence(
        source=Source.IMPORT,
        collector=COLLECTOR,
        operation=f"trivy {version} image scan",
        kind=IMAGE_KIND,
        scope=scope,
        resource=resource,
        resource_name=report.ArtifactName,
        collected_at=when,
        data={
            "artifact": report.ArtifactName,
            "metadata": clean_meta,
            "results": results_summary,
            "counts": dict(sorted(counts.items())),
            "created_at": report.CreatedAt,
            "import": provenance(source, FORMAT, "trivy", version, "report", subject),
        },
        redactions=tuple(redactions),
    )
    out = Parsed(tool="trivy", tool_version=version, records=1 + len(items), evidence=[image, *items])
    out.subjects = {(COLLECTOR, subject)}
    return out


# --- findings ------------------------------------------------------------------------------


def _digests_in(value: Any, under_image_key: bool = False) -> Iterable[str]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _digests_in(v, str(k).lower() in _IMAGE_KEYS)
    elif isinstance(value, list):
        for v in value:
            yield from _digests_in(v, under_image_key)
    elif isinstance(value, str) and under_image_key:
        yield from _DIGEST.findall(value)


def _is_runtime(ev: Evidence) -> bool:
    kind = ev.kind.lower()
    return ev.source in (Source.AWS, Source.DOCKER) and ("container" in kind or kind.endswith(".task"))


def running_index(evidence: Sequence[Evidence]) -> tuple[dict[str, list[str]], bool]:
    """image digest -> where it runs (containers and tasks), and whether any such evidence exists."""
    where: dict[str, list[str]] = defaultdict(list)
    seen_runtime = False
    for ev in evidence:
        if not _is_runtime(ev) or ev.status is not CallStatus.COLLECTED:
            continue
        seen_runtime = True
        if not ev.resource:
            continue
        label = f"{ev.scope.label()}/{ev.resource_name or ev.resource}"
        for digest in set(_digests_in(ev.data)):
            where[digest].append(label)
    return where, seen_runtime


def _matches(rule: TrivyRule, v: dict[str, Any]) -> bool:
    if v.get("Severity") not in rule.severities:
        return False
    if rule.fix == "available":
        return fix_available(v)
    if rule.fix == "unavailable":
        return not fix_available(v)
    return True


def _describe(rule: TrivyRule, n: int) -> str:
    sev = " or ".join(s.lower() for s in rule.severities)
    fix = {"available": " with a fix available", "unavailable": " with no fix available yet", "any": ""}[rule.fix]
    return f"{sev} {'vulnerability' if n <= 1 else 'vulnerabilities'}{fix}"


def _vuln_phrase(v: dict[str, Any]) -> str:
    fixed = f", fixed in {v['FixedVersion']}" if v.get("FixedVersion") else ""
    return f"{v.get('VulnerabilityID')} in {v.get('PkgName')} {v.get('InstalledVersion', '')}".rstrip() + fixed


def findings(evidence: Sequence[Evidence], mappings: ImportMappings) -> list[Finding]:
    images = [ev for ev in evidence if ev.kind == IMAGE_KIND]
    if not images:
        return []
    vulns: dict[tuple[str, str], list[Evidence]] = defaultdict(list)
    for ev in evidence:
        if ev.kind == VULN_KIND:
            vulns[(ev.data.get("import", {}).get("file_sha256", ""), ev.resource)].append(ev)
    runs_in, runtime_seen = running_index(evidence)
    out: list[Finding] = []
    for image in images:
        prov = image.data.get("import", {})
        mine = vulns.get((prov.get("file_sha256", ""), image.resource), [])
        meta = image.data.get("metadata") or {}
        digests = set(
            _DIGEST.findall(" ".join([str(meta.get("ImageID", "")), *map(str, meta.get("RepoDigests") or [])]))
        )
        places = sorted({p for d in digests for p in runs_in.get(d, [])})
        if places:
            shown = ", ".join(places[:5]) + (f" and {len(places) - 5} more" if len(places) > 5 else "")
            running = f"It runs in {len(places)} container(s) or task(s) in the collected evidence: {shown}."
        elif runtime_seen:
            running = "No running container or task in the collected evidence uses it."
        else:
            running = "No container or task evidence was collected, so whether it runs is not known."
        scanned = f"Scanned by Trivy {prov.get('tool_version', 'unknown')}"
        if image.data.get("created_at"):
            scanned += f" on {str(image.data['created_at'])[:10]}"
        name = image.resource_name or image.resource
        for rule in mappings.trivy.rules:
            hits = [ev for ev in mine if _matches(rule, ev.data.get("vulnerability") or {})]
            what = _describe(rule, len(hits))
            if hits:
                phrases = [_vuln_phrase(ev.data["vulnerability"]) for ev in hits]
                listed = "; ".join(phrases[:10]) + (f"; and {len(phrases) - 10} more" if len(phrases) > 10 else "")
                status, message = (
                    rule.finding_status,
                    (f"Image {name} carries {len(hits)} {what}: {listed}. {running} {scanned}."),
                )
            else:
                status, message = (
                    FindingStatus.PASS,
                    (
                        f"Image {name} carries no {what} ({len(mine)} vulnerabilities found in all). {running} {scanned}."
                    ),
                )
            out.append(
                Finding(
                    check=f"trivy/{rule.id}",
                    title=rule.title,
                    status=status,
                    severity=rule.severity,
                    resource=image.resource,
                    scope=image.scope,
                    message=message,
                    controls=rule.controls,
                    evidence=tuple(e for e in (image.id, *(ev.id for ev in hits[:50])) if e),
                )
            )
    return out
