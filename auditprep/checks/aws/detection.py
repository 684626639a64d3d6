"""Detection service checks: GuardDuty (detector, runtime monitoring, EKS audit logs), Security Hub
CSPM and AWS Config. A region without the service is a failure of its own, not an absence."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from auditprep.checks.aws._common import failed, names, passed, resource_gaps, scope_result, warned, where
from auditprep.checks.engine import EvidenceView, Result, check
from auditprep.models import Evidence, FindingStatus

DETECTOR = "aws.guardduty.detector"
HUB = "aws.securityhub.hub"
RECORDER = "aws.config.recorder"
EKS = "aws.eks.cluster"


def _features(ev: Evidence) -> dict[str, dict[str, Any]]:
    return {f.get("Name", ""): f for f in ev.data.get("Features") or []}


def _on(feature: dict[str, Any] | None) -> bool:
    return feature is not None and feature.get("Status") == "ENABLED"


def _detectors(view: EvidenceView) -> Iterator[tuple[Any, list[Evidence]]]:
    for scope in view.scopes(DETECTOR):
        if resource_gaps(view, [DETECTOR], scope):
            continue
        yield scope, view.items(DETECTOR, scope)


@check("aws.guardduty.enabled", requires=[DETECTOR], absent="GuardDuty was not read here")
def guardduty_enabled(view: EvidenceView) -> Iterator[Result]:
    for scope, detectors in _detectors(view):
        if not detectors:
            yield scope_result(FindingStatus.FAIL, scope, f"GuardDuty has no detector {where(scope)}.")
        for ev in detectors:
            if ev.data.get("Status") == "ENABLED":
                yield passed(ev, f"GuardDuty detector {ev.resource_name} is enabled {where(scope)}.")
            else:
                yield failed(ev, f"GuardDuty detector {ev.resource_name} {where(scope)} is suspended.")


@check("aws.guardduty.runtime_monitoring", requires=[DETECTOR], absent="GuardDuty was not read here")
def guardduty_runtime_monitoring(view: EvidenceView) -> Iterator[Result]:
    for scope, detectors in _detectors(view):
        if not detectors:
            yield scope_result(
                FindingStatus.FAIL,
                scope,
                f"GuardDuty has no detector {where(scope)}, so no container runtime is monitored.",
            )
        for ev in detectors:
            label = f"GuardDuty detector {ev.resource_name} {where(scope)}"
            features = _features(ev)
            runtime = features.get("RUNTIME_MONITORING")
            legacy_eks = features.get("EKS_RUNTIME_MONITORING")
            if ev.data.get("Status") != "ENABLED" or not (_on(runtime) or _on(legacy_eks)):
                yield failed(ev, f"{label} does not run Runtime Monitoring, so nothing watches container processes.")
                continue
            extra = {
                c.get("Name"): c.get("Status")
                for c in (runtime or legacy_eks or {}).get("AdditionalConfiguration") or []
            }
            if not _on(runtime):
                yield warned(
                    ev, f"{label} runs only the legacy EKS Runtime Monitoring, which covers neither ECS nor EC2 hosts."
                )
            elif extra.get("ECS_FARGATE_AGENT_MANAGEMENT") != "ENABLED":
                yield warned(
                    ev,
                    f"{label} runs Runtime Monitoring but does not manage the agent for ECS Fargate "
                    "tasks, so Fargate tasks are covered only if the agent is added another way.",
                )
            else:
                managed = [n for n, s in sorted(extra.items()) if s == "ENABLED"]
                yield passed(ev, f"{label} runs Runtime Monitoring with agent management for {names(managed)}.")


@check("aws.guardduty.eks_audit_logs", requires=[DETECTOR, EKS], absent="no EKS cluster exists here")
def guardduty_eks_audit_logs(view: EvidenceView) -> Iterator[Result]:
    for scope, detectors in _detectors(view):
        if not view.items(EKS, scope):
            continue
        if not detectors:
            yield scope_result(
                FindingStatus.FAIL,
                scope,
                f"GuardDuty has no detector {where(scope)}, so EKS audit logs are not analysed.",
            )
        for ev in detectors:
            label = f"GuardDuty detector {ev.resource_name} {where(scope)}"
            if ev.data.get("Status") == "ENABLED" and _on(_features(ev).get("EKS_AUDIT_LOGS")):
                yield passed(ev, f"{label} analyses the EKS clusters' Kubernetes audit logs.")
            else:
                yield failed(ev, f"{label} does not analyse the EKS clusters' Kubernetes audit logs.")


@check("aws.securityhub.enabled", requires=[HUB], absent="Security Hub CSPM was not read here")
def securityhub_enabled(view: EvidenceView) -> Iterator[Result]:
    for ev in view.items(HUB):
        label = f"Security Hub CSPM {where(ev.scope)}"
        if not ev.data.get("enabled"):
            yield failed(ev, f"{label} is not enabled.")
            continue
        standards = ev.data.get("EnabledStandards")
        if standards is None:
            continue  # the failed GetEnabledStandards call is reported by the engine
        ready = [
            s.get("StandardsArn", "").split(":standards/", 1)[-1].split(":ruleset/", 1)[-1]
            for s in standards
            if s.get("StandardsStatus") == "READY"
        ]
        if ready:
            yield passed(ev, f"{label} is enabled with standards {names(ready)}.")
        else:
            yield warned(ev, f"{label} is enabled but subscribes to no ready standard, so controls are not assessed.")


def _records_everything(group: dict[str, Any]) -> bool:
    strategy = (group.get("recordingStrategy") or {}).get("useOnly")
    return bool(group.get("allSupported")) or strategy == "ALL_SUPPORTED_RESOURCE_TYPES"


@check("aws.config.recorder", requires=[RECORDER], absent="AWS Config was not read here")
def config_recorder(view: EvidenceView) -> Iterator[Result]:
    for scope in view.scopes(RECORDER):
        recorders = view.items(RECORDER, scope)
        if not recorders:
            yield scope_result(FindingStatus.FAIL, scope, f"AWS Config has no configuration recorder {where(scope)}.")
        for ev in recorders:
            label = f"AWS Config recorder {ev.resource_name} {where(scope)}"
            status = ev.data.get("Status") or {}
            group = ev.data.get("recordingGroup") or {}
            if not status.get("recording"):
                yield failed(ev, f"{label} is not recording.")
            elif status.get("lastStatus") == "FAILURE":
                yield failed(
                    ev, f"{label} is recording but its last delivery failed ({status.get('lastErrorCode', 'no code')})."
                )
            elif not _records_everything(group):
                count = len(group.get("resourceTypes") or [])
                yield failed(ev, f"{label} records only {count} selected resource type(s), not all supported types.")
            else:
                yield passed(ev, f"{label} is recording all supported resource types.")
