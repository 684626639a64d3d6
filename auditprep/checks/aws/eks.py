"""EKS checks: Kubernetes version support, API endpoint exposure, control-plane logging, secrets encryption."""

from __future__ import annotations

from collections.abc import Iterator

from auditprep.checks.aws._common import age_days, failed, passed, unknown, warned, where
from auditprep.checks.engine import EvidenceView, Result, check
from auditprep.models import Evidence

CLUSTER = "aws.eks.cluster"
VERSION = "aws.eks.cluster_version"
NO_CLUSTER = "no EKS cluster exists here"
REQUIRED_LOGS = ("audit", "authenticator")
ALL_LOGS = ("api", "audit", "authenticator", "controllerManager", "scheduler")
# EKS envelope-encrypts all Kubernetes API data with an AWS-owned key from this version on.
DEFAULT_ENCRYPTION_FROM = (1, 28)


def _label(ev: Evidence) -> str:
    return f"EKS cluster {ev.resource_name} {where(ev.scope)}"


@check("aws.eks.version_supported", requires=[CLUSTER, VERSION], absent=NO_CLUSTER)
def version_supported(view: EvidenceView) -> Iterator[Result]:
    for ev in view.items(CLUSTER):
        version = ev.data.get("version", "")
        info = next((v for v in view.items(VERSION, ev.scope) if v.data.get("clusterVersion") == version), None)
        if info is None:
            yield failed(ev, f"{_label(ev)} runs Kubernetes {version}, which EKS does not list among its versions.")
            continue
        status = info.data.get("versionStatus") or info.data.get("status")
        end = info.data.get("endOfStandardSupportDate")
        derived = info.data.get("auditprep_derived") or {}
        # say where the dates came from when they are not the API's
        source = (
            f" (support dates from AWS's published EKS release calendar as of {derived.get('calendar_date')})"
            if derived.get("source") == "calendar"
            else ""
        )
        if status == "STANDARD_SUPPORT":
            past = age_days(ev, end)
            left = -past if past is not None else None
            if left is not None and left <= 60:
                yield warned(
                    ev,
                    f"{_label(ev)} runs Kubernetes {version}, whose standard support ends in {left} "
                    f"days{source}; plan the upgrade.",
                )
            else:
                yield passed(ev, f"{_label(ev)} runs Kubernetes {version}, which is in standard support{source}.")
        elif status == "EXTENDED_SUPPORT":
            yield warned(
                ev,
                f"{_label(ev)} runs Kubernetes {version}, which is past standard support and only in "
                f"paid extended support{source}.",
            )
        else:
            yield failed(
                ev, f"{_label(ev)} runs Kubernetes {version}, which is no longer supported ({status}){source}."
            )


@check("aws.eks.endpoint_public", requires=[CLUSTER], absent=NO_CLUSTER)
def endpoint_public(view: EvidenceView) -> Iterator[Result]:
    for ev in view.items(CLUSTER):
        vpc = ev.data.get("resourcesVpcConfig") or {}
        if vpc.get("endpointPublicAccess") is None:
            yield unknown(ev, f"{_label(ev)}: whether its Kubernetes API endpoint is public was not reported.")
            continue
        if not vpc["endpointPublicAccess"]:
            yield passed(ev, f"{_label(ev)} serves its Kubernetes API on a private endpoint only.")
            continue
        cidrs = vpc.get("publicAccessCidrs") or ["0.0.0.0/0"]
        if any(c in ("0.0.0.0/0", "::/0") for c in cidrs):
            yield failed(ev, f"{_label(ev)} exposes its Kubernetes API endpoint to the whole internet.")
        else:
            yield warned(
                ev, f"{_label(ev)} exposes its Kubernetes API endpoint publicly, limited to {', '.join(cidrs)}."
            )


@check("aws.eks.control_plane_logging", requires=[CLUSTER], absent=NO_CLUSTER)
def control_plane_logging(view: EvidenceView) -> Iterator[Result]:
    for ev in view.items(CLUSTER):
        enabled = {
            t
            for entry in (ev.data.get("logging") or {}).get("clusterLogging") or []
            if entry.get("enabled")
            for t in entry.get("types") or []
        }
        missing = [t for t in REQUIRED_LOGS if t not in enabled]
        on = ", ".join(t for t in ALL_LOGS if t in enabled) or "none"
        if "audit" in missing:
            yield failed(ev, f"{_label(ev)} does not send Kubernetes audit logs to CloudWatch (enabled: {on}).")
        elif missing:
            yield warned(ev, f"{_label(ev)} sends audit logs but not {', '.join(missing)} logs (enabled: {on}).")
        else:
            yield passed(ev, f"{_label(ev)} sends its control-plane logs to CloudWatch (enabled: {on}).")


@check("aws.eks.secrets_encryption", requires=[CLUSTER], absent=NO_CLUSTER)
def secrets_encryption(view: EvidenceView) -> Iterator[Result]:
    for ev in view.items(CLUSTER):
        key = next(
            (
                (e.get("provider") or {}).get("keyArn")
                for e in ev.data.get("encryptionConfig") or []
                if "secrets" in (e.get("resources") or [])
            ),
            None,
        )
        if key:
            yield passed(ev, f"{_label(ev)} encrypts Kubernetes secrets with the customer-managed KMS key {key}.")
            continue
        version = _minor(ev.data.get("version"))
        if version is None:
            yield unknown(
                ev,
                f"{_label(ev)} names no customer-managed KMS key for Kubernetes secrets, and its Kubernetes "
                "version was not reported, so whether EKS's default envelope encryption applies is not shown.",
            )
        elif version >= DEFAULT_ENCRYPTION_FROM:
            yield failed(
                ev,
                f"{_label(ev)} uses no customer-managed KMS key for Kubernetes secrets: EKS envelope-encrypts "
                f"them with a key AWS owns (the default since Kubernetes 1.28), whose use is neither logged in "
                "this account nor governed by its key policy.",
            )
        else:
            yield failed(
                ev,
                f"{_label(ev)} uses no customer-managed KMS key for Kubernetes secrets, and on Kubernetes "
                f"{ev.data.get('version')} EKS's default envelope encryption (from 1.28) does not apply, so "
                "secrets are protected only by the encryption of the storage under etcd.",
            )


def _minor(version: object) -> tuple[int, int] | None:
    parts = str(version or "").split(".")
    try:
        return int(parts[0]), int(parts[1])
    except (IndexError, ValueError):
        return None
