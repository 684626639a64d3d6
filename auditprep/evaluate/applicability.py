"""Applicability facts of an engagement (pci.entity=service-provider, fedramp.regions=us-east-1,...).

Parsed from ``KEY=VALUE`` arguments and checked against ``questionnaires/applicability.yaml``, so a
typo is one clear error instead of a requirement silently treated as applicable.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from auditprep.catalog import Catalog
from auditprep.errors import InvalidInput

_REGION = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$")


def parse(items: Iterable[str], catalog: Catalog) -> dict[str, tuple[str, ...]]:
    """KEY=VALUE[,VALUE] items -> facts; an empty VALUE clears the key."""
    out: dict[str, tuple[str, ...]] = {}
    known = catalog.applicability
    for item in items:
        key, sep, raw = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise InvalidInput(f"'{item}' is not KEY=VALUE (for example pci.entity=service-provider).")
        spec = known.get(key)
        if spec is None:
            raise InvalidInput(f"unknown applicability key '{key}'; the keys are: {', '.join(sorted(known))}.")
        values = tuple(v.strip() for v in raw.split(",") if v.strip()) if spec.multiple else (raw.strip(),)
        values = tuple(v for v in values if v)
        if len(values) > 1 and not spec.multiple:
            raise InvalidInput(f"{key} takes one value.")
        for v in values:
            if spec.values and v not in spec.values:
                raise InvalidInput(f"'{v}' is not a value of {key}; choose one of: {', '.join(spec.values)}.")
            if key.endswith(".regions") and not _REGION.match(v):
                raise InvalidInput(f"'{v}' is not an AWS region name (such as us-east-1).")
        out[key] = values
    return out


def merge(current: Mapping[str, Sequence[str]], changes: Mapping[str, tuple[str, ...]]) -> dict[str, list[str]]:
    merged = {k: list(v) for k, v in current.items()}
    for key, values in changes.items():
        if values:
            merged[key] = list(values)
        else:
            merged.pop(key, None)
    return dict(sorted(merged.items()))


def describe(
    facts: Mapping[str, Sequence[str]], catalog: Catalog, frameworks: Sequence[str]
) -> list[tuple[str, str, str]]:
    """(key, value, title) for every key of the engagement's frameworks, set or not."""
    rows = []
    for key, spec in sorted(catalog.applicability.items()):
        if spec.framework not in frameworks and key not in facts:
            continue
        rows.append((key, ", ".join(facts.get(key, ())) or "(not set)", spec.title))
    return rows


def parse_period(text: str) -> tuple[str, str]:
    """'2026-01-01..2026-12-31' -> the two dates, checked."""
    from datetime import date

    start, sep, end = text.partition("..")
    if not sep:
        raise InvalidInput(f"'{text}' is not a period; write it as START..END, such as 2026-01-01..2026-12-31.")
    try:
        a, b = date.fromisoformat(start.strip()), date.fromisoformat(end.strip())
    except ValueError:
        raise InvalidInput(f"'{text}' is not a period of two dates written YYYY-MM-DD..YYYY-MM-DD.") from None
    if b < a:
        raise InvalidInput(f"the period {text} ends before it starts.")
    return a.isoformat(), b.isoformat()


# AWS regions inside AWS's own FedRAMP authorisations (AWS's "services in scope" list, checked
# 2026-12): the US commercial regions at Moderate and the GovCloud regions at High. Inheritance from
# AWS is claimed only for these.
AWS_FEDRAMP_REGIONS = {
    "us-east-1": "AWS US East/West (FedRAMP Moderate)",
    "us-east-2": "AWS US East/West (FedRAMP Moderate)",
    "us-west-1": "AWS US East/West (FedRAMP Moderate)",
    "us-west-2": "AWS US East/West (FedRAMP Moderate)",
    "us-gov-west-1": "AWS GovCloud (US) (FedRAMP High)",
    "us-gov-east-1": "AWS GovCloud (US) (FedRAMP High)",
}


def boundary(facts: Mapping[str, Sequence[str]], regions_in_use: Iterable[str]) -> dict[str, object]:
    """The FedRAMP boundary against the regions where resources were found."""
    authorised = sorted(facts.get("fedramp.regions", ()))
    found = sorted(set(regions_in_use))
    return {
        "set": bool(authorised),
        "authorised": authorised,
        "found": found,
        "outside": [r for r in found if authorised and r not in authorised],
        "inherited": [r for r in authorised if r in AWS_FEDRAMP_REGIONS],
        "not_inherited": [r for r in authorised if r not in AWS_FEDRAMP_REGIONS],
        "aws_authorisation": {r: AWS_FEDRAMP_REGIONS[r] for r in authorised if r in AWS_FEDRAMP_REGIONS},
    }


def is_region(name: str | None) -> bool:
    return bool(name and _REGION.match(name))
