"""ECR checks: registry scanning, tag immutability, lifecycle policies, KMS encryption, and the
scan results of the images that task definitions in use run."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from auditprep.checks.aws._common import failed, names, passed, unknown, warned, where
from auditprep.checks.engine import EvidenceView, Result, check
from auditprep.models import Evidence

REGISTRY = "aws.ecr.registry_scanning"
REPOSITORY = "aws.ecr.repository"
LIFECYCLE = "aws.ecr.lifecycle_policy"
IMAGE = "aws.ecr.image"
NO_REPO = "no ECR repository exists here"


def _repo(ev: Evidence) -> str:
    return f"ECR repository {ev.resource_name} {where(ev.scope)}"


def _own_scan_on_push(view: EvidenceView, ev: Evidence) -> dict[str, bool]:
    """Each repository's own scanOnPush setting, as DescribeRepositories reported it."""
    out = {}
    for repo in view.items(REPOSITORY, ev.scope):
        own = (repo.data.get("imageScanningConfiguration") or {}).get("scanOnPush")
        if own is not None:
            out[str(repo.data.get("repositoryName") or repo.resource_name)] = bool(own)
    return out


@check("aws.ecr.registry_scanning", requires=[REGISTRY], absent="the registry scanning configuration was not read")
def registry_scanning(view: EvidenceView) -> Iterator[Result]:
    for ev in view.items(REGISTRY):
        label = f"The ECR private registry {where(ev.scope)}"
        config = ev.data.get("scanningConfiguration") or {}
        scan_type = config.get("scanType", "BASIC")
        rules = config.get("rules") or []
        per_repo = ev.data.get("repositoryScanningConfigurations")
        if per_repo is not None:
            # Under basic scanning ECR still honours a repository's own scanOnPush; the registry-level
            # answer does not always show it, so the two are reconciled here. Enhanced scanning ignores it.
            own = _own_scan_on_push(view, ev) if scan_type == "BASIC" else {}
            manual, reconciled = [], []
            for r in per_repo:
                name = r.get("repositoryName", "?")
                if r.get("scanFrequency") not in (None, "MANUAL") or r.get("scanOnPush"):
                    continue
                if own.get(name):
                    reconciled.append(name)
                else:
                    manual.append(name)
            note = (
                f" Repository {names(reconciled)} scans on push by its own setting, which the registry-level "
                "answer did not show."
                if reconciled
                else ""
            )
            continuous = [r for r in per_repo if r.get("scanFrequency") == "CONTINUOUS_SCAN"]
            if manual:
                yield failed(
                    ev,
                    f"{label} leaves {len(manual)} repository(ies) unscanned unless someone starts a "
                    f"scan by hand: {names(manual)}.{note}",
                )
            elif per_repo and len(continuous) == len(per_repo):
                yield passed(
                    ev,
                    f"{label} uses {scan_type.lower()} scanning and rescans every repository "
                    "continuously as new vulnerabilities are published.",
                )
            elif per_repo:
                yield warned(
                    ev,
                    f"{label} uses {scan_type.lower()} scanning on push only; images are not rescanned "
                    f"as new vulnerabilities are published.{note}",
                )
            elif rules:
                yield from _by_rules(ev, label, scan_type, rules)
            else:
                yield failed(ev, f"{label} has no scanning rule, so new repositories will not be scanned.")
        else:
            yield from _by_rules(ev, label, scan_type, rules)


def _by_rules(ev: Evidence, label: str, scan_type: str, rules: list[dict[str, Any]]) -> Iterator[Result]:
    def covers_all(rule: dict[str, Any]) -> bool:
        return any(f.get("filter") == "*" for f in rule.get("repositoryFilters") or [])

    if any(r.get("scanFrequency") == "CONTINUOUS_SCAN" and covers_all(r) for r in rules):
        yield passed(ev, f"{label} scans every repository continuously ({scan_type.lower()} scanning).")
    elif rules:
        yield warned(
            ev, f"{label} has {scan_type.lower()} scanning rules, but not continuous scanning of every repository."
        )
    else:
        yield failed(ev, f"{label} has no scanning rule, so images are not scanned automatically.")


@check("aws.ecr.tag_immutability", requires=[REPOSITORY], absent=NO_REPO)
def tag_immutability(view: EvidenceView) -> Iterator[Result]:
    for ev in view.items(REPOSITORY):
        mode = ev.data.get("imageTagMutability", "MUTABLE")
        if mode == "IMMUTABLE":
            yield passed(ev, f"{_repo(ev)} makes image tags immutable.")
        elif mode == "IMMUTABLE_WITH_EXCLUSION":
            yield warned(ev, f"{_repo(ev)} makes tags immutable except those matching its exclusion filters.")
        else:
            yield failed(ev, f"{_repo(ev)} lets a tag be moved to different image content ({mode}).")


@check("aws.ecr.lifecycle_policy", requires=[REPOSITORY, LIFECYCLE], absent=NO_REPO)
def lifecycle_policy(view: EvidenceView) -> Iterator[Result]:
    for ev in view.items(REPOSITORY):
        if "lifecyclePolicy" not in ev.data:
            yield unknown(ev, f"{_repo(ev)}: its lifecycle policy could not be read.")
        elif ev.data["lifecyclePolicy"]:
            yield passed(ev, f"{_repo(ev)} has a lifecycle policy that expires old images.")
        else:
            yield failed(ev, f"{_repo(ev)} has no lifecycle policy, so stale and vulnerable images accumulate.")


@check("aws.ecr.kms_encryption", requires=[REPOSITORY], absent=NO_REPO)
def kms_encryption(view: EvidenceView) -> Iterator[Result]:
    for ev in view.items(REPOSITORY):
        enc = ev.data.get("encryptionConfiguration") or {}
        kind = enc.get("encryptionType", "AES256")
        if kind in ("KMS", "KMS_DSSE"):
            yield passed(ev, f"{_repo(ev)} encrypts images with KMS key {enc.get('kmsKey', '(AWS managed)')}.")
        else:
            yield warned(
                ev,
                f"{_repo(ev)} encrypts images with ECR-managed AES-256 keys, not a KMS key whose use "
                "is logged and controlled by key policy.",
            )


_SCANNED = {"COMPLETE", "ACTIVE"}
_PENDING = {"IN_PROGRESS", "PENDING"}


def _scan(ev: Evidence) -> tuple[str | None, dict[str, int]]:
    derived = (ev.data.get("auditprep_derived") or {}).get("scan") or {}
    status = (ev.data.get("imageScanStatus") or derived.get("imageScanStatus") or {}).get("status")
    counts = (
        (ev.data.get("imageScanFindingsSummary") or {}).get("findingSeverityCounts")
        or derived.get("findingSeverityCounts")
        or {}
    )
    return status, {k.upper(): int(v) for k, v in counts.items()}


@check("aws.ecr.image_findings", requires=[IMAGE], absent="no ECR image here is run by a task definition in use")
def image_findings(view: EvidenceView) -> Iterator[Result]:
    for ev in view.items(IMAGE):
        users = (ev.data.get("auditprep_derived") or {}).get("in_use_by_task_definitions") or []
        if not users:
            continue
        label = f"Image {ev.resource_name} (run by {len(users)} task definition(s) in use) {where(ev.scope)}"
        status, counts = _scan(ev)
        serious = {k: counts[k] for k in ("CRITICAL", "HIGH") if counts.get(k)}
        if status in _SCANNED:
            if serious:
                text = ", ".join(f"{n} {k.lower()}" for k, n in serious.items())
                yield failed(ev, f"{label} has {text} vulnerabilities in its latest scan.")
            else:
                summary = ", ".join(f"{n} {k.lower()}" for k, n in sorted(counts.items())) or "no findings"
                yield passed(ev, f"{label} has no critical or high vulnerabilities in its latest scan ({summary}).")
        elif status in _PENDING:
            yield warned(ev, f"{label} is still being scanned ({status}).")
        else:
            yield failed(ev, f"{label} has no usable scan ({status or 'never scanned'}).")
