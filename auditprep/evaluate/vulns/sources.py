"""Reading vulnerability records out of each source's evidence, for :mod:`auditprep.evaluate.vulns`.

One reader per source: Amazon Inspector findings (which name the ECR image in use), Trivy image
scans and ASFF findings imported into the engagement, and the Docker image inventory matched
against the bundled advisory list (with the containers and swarm services that run each image).
Each returns ``VulnerabilityAge`` records without deadlines; :func:`auditprep.evaluate.vulns.age` merges
them and adds the deadlines.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from auditprep.evaluate.vulns.records import VulnerabilityAge, parse_time, severity_of
from auditprep.models import CallStatus, Evidence, Source


def _fix_flag(value: Any) -> bool | None:
    text = str(value or "").upper()
    return {"YES": True, "PARTIAL": True, "NO": False}.get(text)


def inspector_records(ev: Evidence, ecr_names: Mapping[str, str]) -> Iterable[VulnerabilityAge]:
    data = ev.data
    vuln = data.get("packageVulnerabilityDetails") or {}
    pkgs = vuln.get("vulnerablePackages") or [{}]
    for res in data.get("resources") or [{}]:
        image_ref = res.get("in_use_image") or res.get("id") or ev.resource
        tags = res.get("imageTags") or []
        name = f"{res.get('repositoryName')}:{tags[0]}" if res.get("repositoryName") and tags else ""
        for pkg in pkgs:
            yield VulnerabilityAge(
                vulnerability_id=str(vuln.get("vulnerabilityId") or data.get("title") or ev.resource),
                severity=severity_of(data.get("severity")),
                image=name or ecr_names.get(image_ref, "") or str(res.get("imageHash") or image_ref),
                image_ref=str(image_ref),
                package=str(pkg.get("name") or ""),
                installed_version=str(pkg.get("version") or ""),
                fixed_version=str(pkg.get("fixedInVersion") or ""),
                source="Amazon Inspector",
                scope=ev.scope,
                in_use=True if res.get("in_use_image") else None,
                in_use_where=("a task definition in use",) if res.get("in_use_image") else (),
                published=parse_time(vuln.get("vendorCreatedAt")),
                first_seen=parse_time(data.get("firstObservedAt")),
                fix_available=_fix_flag(data.get("fixAvailable")),
                fix_available_since=parse_time(data.get("fixAvailableSince")),
                evidence=(ev.id,),
                title=str(data.get("title") or ""),
            )


def trivy_record(
    ev: Evidence, images: Mapping[tuple[str, str], Evidence], runs_in: Mapping[str, list[str]], seen: bool
) -> VulnerabilityAge:
    v = ev.data.get("vulnerability") or {}
    prov = ev.data.get("import") or {}
    image = images.get((prov.get("file_sha256", ""), ev.resource))
    meta = (image.data.get("metadata") if image else None) or {}
    digests = {str(meta.get("ImageID", "")), *map(str, meta.get("RepoDigests") or [])}
    digests = {d.rsplit("@", 1)[-1] for d in digests if d}
    where = tuple(sorted({p for d in digests for p in runs_in.get(d, [])}))
    fixed = str(v.get("FixedVersion") or "")
    return VulnerabilityAge(
        vulnerability_id=str(v.get("VulnerabilityID") or ""),
        severity=severity_of(v.get("Severity")),
        image=ev.resource_name or ev.resource,
        image_ref=ev.resource,
        package=str(v.get("PkgName") or ""),
        installed_version=str(v.get("InstalledVersion") or ""),
        fixed_version=fixed,
        source=f"Trivy {prov.get('tool_version', '')}".strip(),
        scope=ev.scope,
        in_use=True if where else (False if seen else None),
        in_use_where=where,
        published=parse_time(v.get("PublishedDate")),
        first_seen=ev.collected_at,
        fix_available=bool(fixed) or str(v.get("Status", "")).lower() == "fixed",
        fix_available_since=None,  # Trivy reports when a vulnerability was published, not when it was fixed
        evidence=tuple(e for e in (ev.id, image.id if image else "") if e),
        title=str(v.get("Title") or ""),
    )


def asff_records(ev: Evidence) -> Iterable[VulnerabilityAge]:
    rec = ev.data.get("record") or {}
    if str(rec.get("RecordState", "ACTIVE")).upper() == "ARCHIVED":
        return
    if str((rec.get("Workflow") or {}).get("Status", "")).upper() == "RESOLVED":
        return
    image_ref, image_name = ev.resource, ""
    for res in rec.get("Resources") or []:
        details = ((res or {}).get("Details") or {}).get("AwsEcrContainerImage") or {}
        if details:
            image_ref = str(details.get("ImageDigest") or res.get("Id") or ev.resource)
            tags = details.get("ImageTags") or []
            if details.get("RepositoryName"):
                image_name = details["RepositoryName"] + (f":{tags[0]}" if tags else "")
            break
    for v in rec.get("Vulnerabilities") or []:
        if not isinstance(v, dict) or not v.get("Id"):
            continue
        vendor = v.get("Vendor") or {}
        for pkg in v.get("VulnerablePackages") or [{}]:
            yield VulnerabilityAge(
                vulnerability_id=str(v["Id"]),
                severity=severity_of((rec.get("Severity") or {}).get("Label")),
                image=image_name or image_ref,
                image_ref=image_ref,
                package=str(pkg.get("Name") or ""),
                installed_version=str(pkg.get("Version") or ""),
                fixed_version=str(pkg.get("FixedInVersion") or ""),
                source=f"ASFF ({(rec.get('ProductFields') or {}).get('aws/securityhub/ProductName') or 'imported'})",
                scope=ev.scope,
                in_use=None,
                in_use_where=(),
                published=parse_time(vendor.get("VendorCreatedAt")),
                first_seen=parse_time(rec.get("FirstObservedAt") or rec.get("CreatedAt")),
                fix_available=_fix_flag(v.get("FixAvailable")),
                fix_available_since=None,
                evidence=(ev.id,),
                title=str(rec.get("Title") or ""),
            )


def docker_use(evidence: Sequence[Evidence]) -> tuple[dict[tuple[str, str], list[str]], set[str]]:
    """(host, image id or name) -> containers and services running it; hosts whose containers were listed."""
    where: dict[tuple[str, str], list[str]] = {}
    hosts = set()
    for ev in evidence:
        if ev.status is not CallStatus.COLLECTED or ev.source is not Source.DOCKER:
            continue
        host = ev.scope.host or ""
        if ev.kind == "docker.container":
            hosts.add(host)
            if ev.resource:
                state = ((ev.data.get("State") or {}).get("Status")) or "unknown state"
                label = f"container {ev.resource_name or ev.resource[:12]} ({state})"
                where.setdefault((host, str(ev.data.get("Image") or "")), []).append(label)
        elif ev.kind == "docker.swarm_service" and ev.resource:
            spec = ((ev.data.get("Spec") or {}).get("TaskTemplate") or {}).get("ContainerSpec") or {}
            image = str(spec.get("Image") or "").split("@", 1)[0]
            where.setdefault((host, image), []).append(f"swarm service {ev.resource_name or ev.resource}")
    return where, hosts


def inventory_records(
    ev: Evidence, use: Mapping[tuple[str, str], list[str]], hosts: set[str], first: Mapping[str, datetime]
) -> Iterable[VulnerabilityAge]:
    from auditprep.checks.docker import advisories

    host = ev.scope.host or ""
    names = [ev.resource_name] if ev.resource_name else []
    places = tuple(sorted({p for key in (ev.resource, *names) for p in use.get((host, key), [])}))
    for hit in advisories.package_hits(ev.data, advisories.bundled()):
        if hit.fixed_build is not None:
            continue
        adv = hit.advisory
        yield VulnerabilityAge(
            vulnerability_id=adv.id,
            severity=adv.severity or "unknown",
            image=ev.resource_name or ev.resource,
            image_ref=ev.resource,
            package=str(hit.package.get("name") or ""),
            installed_version=str(hit.package.get("version") or ""),
            fixed_version="",
            source="bundled advisory list",
            scope=ev.scope,
            in_use=True if places else (False if host in hosts else None),
            in_use_where=places,
            published=parse_time(adv.published),
            first_seen=first.get(ev.resource, ev.collected_at),
            fix_available=True if adv.fix_released else None,
            fix_available_since=parse_time(adv.fix_released),
            evidence=(ev.id,),
            title=adv.name,
        )
