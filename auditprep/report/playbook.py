"""The container incident-response playbook: a draft tailored to what the evidence shows.

The playbook's steps are written in the template; this module decides which platforms they cover
(Fargate, ECS on EC2, EKS, Docker hosts, Swarm), names the clusters, services and hosts they apply
to, lists the detection sources that were found switched on, and gives each framework of the
engagement its notification duties. The team edits the draft, attests it as control IR-01 in the
questionnaire, and the framework report cites that answer.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from auditprep import __version__
from auditprep.catalog import Catalog
from auditprep.models import CallStatus, Evidence
from auditprep.posture import Posture
from auditprep.report.engagement import as_of, engagement_part, load_evidence
from auditprep.store import Engagement

SCHEMA = "auditprep.playbook/1"
IR_CONTROLS = ("IR-01", "IR-02", "IR-03", "IR-05")

# Notification duties per framework, in the project's own words. The team confirms each deadline
# against its contracts and counsel; the draft says so.
NOTIFICATIONS: dict[str, list[dict[str, str]]] = {
    "pci-dss": [
        {
            "who": "Acquiring bank (acquirer) and each affected payment brand",
            "when": "As soon as a compromise of account data is suspected, within the deadline the acquirer agreement "
            "and each brand's rules set (record it here)",
            "basis": "PCI DSS 12.10.1 (the plan must cover notifying the payment brands and acquirers)",
        },
        {
            "who": "PCI Forensic Investigator (PFI)",
            "when": "When the acquirer or a brand requires a forensic investigation",
            "basis": "Payment brand rules",
        },
    ],
    "hipaa": [
        {
            "who": "Covered entity (when the organisation is a business associate)",
            "when": "Without unreasonable delay and no later than 60 days after discovering a breach of unsecured PHI, "
            "or sooner if the business associate agreement says so",
            "basis": "45 CFR 164.410",
        },
        {
            "who": "Affected individuals (the covered entity notifies them)",
            "when": "Without unreasonable delay and no later than 60 calendar days after discovery",
            "basis": "45 CFR 164.404",
        },
        {
            "who": "Secretary of HHS",
            "when": "Breaches affecting 500 or more individuals: at the same time as the individuals. Fewer than 500: "
            "within 60 days after the end of the calendar year",
            "basis": "45 CFR 164.408",
        },
        {
            "who": "Prominent media outlets in the state or jurisdiction",
            "when": "Breaches affecting more than 500 residents of one state or jurisdiction: within 60 days of discovery",
            "basis": "45 CFR 164.406",
        },
    ],
    "hitrust": [
        {
            "who": "Management, through the organisation's reporting channels",
            "when": "As quickly as possible after an event is observed",
            "basis": "HITRUST CSF 11.a",
        },
        {
            "who": "Regulators, customers and individuals named by the laws and contracts that apply",
            "when": "HITRUST sets no deadline of its own: use the strictest one that applies (for PHI, the HIPAA "
            "breach notification rule) and record it here",
            "basis": "HITRUST CSF 11.a, 11.c",
        },
    ],
    "fedramp-moderate": [
        {
            "who": "CISA (US-CERT), the authorising agency and the FedRAMP PMO",
            "when": "Within one hour of identifying an incident, as the FedRAMP incident communications procedure "
            "sets for cloud service providers (confirm against the current procedure)",
            "basis": "NIST SP 800-53 IR-6 with FedRAMP parameters",
        },
        {
            "who": "Agency incident response contacts named in the authorisation package",
            "when": "Ongoing status updates until the incident is closed, at the cadence the agency sets",
            "basis": "IR-6, IR-7, IR-8",
        },
    ],
}

REQUIREMENTS: dict[str, str] = {
    "pci-dss": "12.10.1, 12.10.2, 12.10.5, 10.5.1",
    "hipaa": "164.308(a)(6)(i), 164.308(a)(6)(ii), 164.404 to 164.410",
    "hitrust": "11.a, 11.c, 11.d, 11.e",
    "fedramp-moderate": "IR-4, IR-4(1), IR-5, IR-6, IR-8, AU-11",
}


def _names(rows: Iterable[dict[str, Any]], key: str = "name") -> list[str]:
    return sorted({str(r[key]) for r in rows if r.get(key)})


def _detection(eng: Engagement, evidence: list[Evidence]) -> list[dict[str, str]]:
    """Detection and logging sources the evidence shows switched on, one line each."""
    found: list[dict[str, str]] = []
    for ev in evidence:
        if ev.status is not CallStatus.COLLECTED or not ev.resource:
            continue
        if ev.kind not in ("aws.guardduty.detector", "aws.cloudtrail.trail", "aws.securityhub.hub"):
            continue
        full = eng.evidence_item(ev.id)
        if full is None:
            continue
        d = full.data
        where = ev.scope.label()
        if ev.kind == "aws.guardduty.detector":
            if str(d.get("Status", "")).upper() != "ENABLED":
                continue
            runtime = any(
                f.get("Name") == "RUNTIME_MONITORING" and f.get("Status") == "ENABLED"
                for f in d.get("Features") or []
                if isinstance(f, dict)
            )
            found.append(
                {
                    "source": "GuardDuty",
                    "where": where,
                    "detail": "runtime monitoring on" if runtime else "runtime monitoring off",
                }
            )
        elif ev.kind == "aws.cloudtrail.trail":
            name = d.get("Name") or ev.resource_name
            detail = "multi-region" if d.get("IsMultiRegionTrail") else "single region"
            if d.get("CloudWatchLogsLogGroupArn"):
                detail += ", delivered to CloudWatch Logs"
            found.append({"source": f"CloudTrail trail {name}", "where": where, "detail": detail})
        else:
            found.append({"source": "Security Hub CSPM", "where": where, "detail": "enabled"})
    found.sort(key=lambda r: (r["source"], r["where"]))
    return found


def build_playbook(eng: Engagement, catalog: Catalog, *, package_hash: str | None = None) -> dict[str, Any]:
    stamp = as_of(eng)
    evidence, inventory = load_evidence(eng)
    inv = inventory.as_dict()
    env = inventory.environment
    info = eng.info()
    platforms = inv["platforms"]
    nothing = env.empty
    fargate_services = _names(s for s in inv["ecs_services"] if "FARGATE" in s["launch"])
    ec2_services = _names(s for s in inv["ecs_services"] if "FARGATE" not in s["launch"])
    on_ec2 = [s for s in inv["ecs_services"] if "FARGATE" not in s["launch"]]
    ecs_clusters = _names(on_ec2, "cluster") or _names(c for c in inv["ecs_clusters"] if c["container_instances"])
    show = {
        "fargate": platforms["fargate"] or nothing,
        "ecs_ec2": (platforms["ec2_container_instances"] and bool(ecs_clusters)) or nothing,
        "eks": platforms["eks"] or nothing,
        "docker": (platforms["docker_hosts"] and not platforms["swarm"]) or nothing,
        "swarm": platforms["swarm"] or nothing,
    }
    posture = Posture.compute(catalog, eng.answers(), eng.findings(), eng.exceptions(), stamp)
    controls = [
        {
            "id": cid,
            "title": catalog.controls[cid].title,
            "status": posture.controls[cid].status.value,
            "status_label": posture.controls[cid].status.label,
        }
        for cid in IR_CONTROLS
        if cid in catalog.controls and cid in posture.controls
    ]
    frameworks = []
    for fid in info.frameworks:
        fw = catalog.frameworks.get(fid)
        frameworks.append(
            {
                "id": fid,
                "name": f"{fw.name} {fw.version}" if fw else fid,
                "requirements": REQUIREMENTS.get(fid, ""),
                "notifications": NOTIFICATIONS.get(fid, []),
            }
        )
    return {
        "schema": SCHEMA,
        "kind": "playbook",
        "tool": {"name": "auditprep", "version": __version__},
        "engagement": engagement_part(eng, evidence, stamp, package_hash),
        "environment": inv,
        "show": show,
        "nothing_found": nothing,
        "names": {
            "ecs_clusters": ecs_clusters,
            "all_ecs_clusters": _names(inv["ecs_clusters"]),
            "fargate_services": fargate_services,
            "ec2_services": ec2_services,
            "eks_clusters": _names(inv["eks_clusters"]),
            "eks_nodegroups": _names(inv["eks_nodegroups"]),
            "docker_hosts": _names(inv["docker_hosts"], "host"),
            "containers": len(inv["containers"]),
        },
        "detection": _detection(eng, evidence),
        "frameworks": frameworks,
        "controls": controls,
    }
