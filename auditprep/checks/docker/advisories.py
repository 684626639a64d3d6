"""The bundled offline advisory list (``questionnaires/advisories.yaml``) and how to match it.

Loaded lazily, once, and strictly: a typo in the file is an error naming file and line. The
list is deliberately small (famous package versions, vulnerable runtime versions, OS end-of-life
dates); every message built from it says it is not a full vulnerability scan.
"""

from __future__ import annotations

import calendar
import functools
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from auditprep import paths
from auditprep.catalog import yamlsource
from auditprep.checks.docker import versions
from auditprep.errors import InvalidInput

NOT_A_SCANNER = (
    "This is a small bundled advisory list, not a full vulnerability scan: import Trivy or "
    "Amazon Inspector results for complete coverage."
)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class VersionRange(_Model):
    """Upstream versions: ``from`` (inclusive), then ``through`` (inclusive) or ``below`` (exclusive)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    from_: str | None = None
    through: str | None = None
    below: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _rename(cls, data: Any) -> Any:
        if isinstance(data, dict) and "from" in data:
            data = {**data, "from_": data["from"]}
            del data["from"]
        return data

    def contains(self, upstream: str) -> bool:
        cmp = versions.upstream_compare
        if self.from_ is not None and cmp(upstream, self.from_) < 0:
            return False
        if self.through is not None and cmp(upstream, self.through) > 0:
            return False
        if self.below is not None and cmp(upstream, self.below) >= 0:
            return False
        return True

    def describe(self) -> str:
        parts = []
        if self.from_:
            parts.append(f"from {self.from_}")
        if self.through:
            parts.append(f"through {self.through}")
        if self.below:
            parts.append(f"before {self.below}")
        return " ".join(parts)


class FixedBuild(_Model):
    manager: Literal["dpkg", "rpm", "apk"]
    os: str
    version: str
    advisory: str = ""


class PackageAdvisory(_Model):
    id: str
    name: str
    summary: str
    sources: tuple[str, ...] = ()
    names: tuple[str, ...] = ()
    affected: tuple[VersionRange, ...]
    fixed_builds: tuple[FixedBuild, ...] = ()
    # for patch deadlines (auditprep.evaluate.vulns): the vendor's rating and dates, where well known
    severity: Literal["critical", "high", "medium", "low"] | None = None
    published: date | None = None
    fix_released: date | None = None


class RuntimeAdvisory(_Model):
    id: str
    name: str
    component: str
    summary: str
    affected: tuple[VersionRange, ...]


class Release(_Model):
    version: str
    eol: date
    codename: str = ""
    note: str = ""


class Distribution(_Model):
    os: str
    name: str
    match: Literal["major", "major_minor", "full"]
    interim_support_months: int | None = None
    releases: tuple[Release, ...]


class Advisories(_Model):
    updated: str
    packages: tuple[PackageAdvisory, ...]
    runtime: tuple[RuntimeAdvisory, ...]
    end_of_life: tuple[Distribution, ...]


def load(path: Path | None = None) -> Advisories:
    path = path or paths.questionnaires_dir() / "advisories.yaml"
    data, locator = yamlsource.load(path)
    try:
        return Advisories.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = [p for p in err["loc"] if p != "from_"]
        raise InvalidInput(f"{locator.where(loc)}: {yamlsource.format_loc(loc)}: {err['msg'].rstrip('.')}.") from None


@functools.cache
def bundled() -> Advisories:
    return load()


# --- matching --------------------------------------------------------------------------------


@dataclass(frozen=True)
class PackageHit:
    advisory: PackageAdvisory
    package: dict[str, str]
    fixed_build: FixedBuild | None  # set when this build of an affected version is known to be fixed


def package_hits(inventory: dict[str, Any], advisories: Advisories) -> list[PackageHit]:
    os_id = ((inventory.get("os") or {}).get("ID") or "").lower()
    hits = []
    for pkg in inventory.get("packages") or []:
        manager, version = pkg.get("manager", ""), pkg.get("version", "")
        for adv in advisories.packages:
            if pkg.get("source") not in adv.sources and pkg.get("name") not in adv.names:
                continue
            upstream = versions.upstream_of(manager, version)
            if not any(r.contains(upstream) for r in adv.affected):
                continue
            fixed = next(
                (
                    fb
                    for fb in adv.fixed_builds
                    if fb.manager == manager
                    and fb.os == os_id
                    and versions.upstream_of(manager, fb.version) == upstream
                    and versions.compare(manager, version, fb.version) >= 0
                ),
                None,
            )
            hits.append(PackageHit(adv, pkg, fixed))
    return hits


def release_key(distribution: Distribution, version_id: str) -> str:
    parts = version_id.split(".")
    if distribution.match == "major":
        return parts[0]
    if distribution.match == "major_minor":
        return ".".join(parts[:2])
    return version_id


@dataclass(frozen=True)
class Support:
    distribution: Distribution | None
    release: str
    eol: date | None
    known: bool  # the release is in the list (or follows a listed rule)
    note: str = ""


def _add_months(year: int, month: int, months: int) -> date:
    index = year * 12 + (month - 1) + months
    y, m = divmod(index, 12)
    return date(y, m + 1, calendar.monthrange(y, m + 1)[1])


def support_of(os_release: dict[str, str], advisories: Advisories) -> Support:
    os_id = (os_release.get("ID") or "").lower()
    version_id = os_release.get("VERSION_ID") or ""
    dist = next((d for d in advisories.end_of_life if d.os == os_id), None)
    if dist is None or not version_id:
        return Support(dist, version_id, None, False)
    key = release_key(dist, version_id)
    for rel in dist.releases:
        if rel.version == key:
            return Support(dist, key, rel.eol, True, rel.note)
    lts = re.fullmatch(r"\d\d\.04", key) is not None and int(key[:2]) % 2 == 0
    if dist.interim_support_months and re.fullmatch(r"\d\d\.(04|10)", key) and not lts:
        year, month = int(key[:2]) + 2000, int(key[3:])
        return Support(dist, key, _add_months(year, month, dist.interim_support_months), True, "interim release")
    oldest = min(dist.releases, key=lambda r: versions.upstream_key(r.version))
    if versions.upstream_compare(key, oldest.version) < 0:
        return Support(dist, key, oldest.eol, True, f"older than {dist.name} {oldest.version}")
    return Support(dist, key, None, False)


def runtime_hits(component: str, version: str, advisories: Advisories) -> list[RuntimeAdvisory]:
    upstream = versions.runtime_upstream(version)
    return [
        adv
        for adv in advisories.runtime
        if adv.component == component and any(r.contains(upstream) for r in adv.affected)
    ]
