"""The container incident-response playbook: a draft tailored to what the evidence shows.

The playbook's steps are written in the template; this module decides which platforms they cover
(Fargate, ECS on EC2, EKS, Docker hosts, Swarm), names the clusters, services, task definitions,
hosts and containers they apply to, states each detection source as the checks judged it (and the
regions without GuardDuty), picks out the riskiest containers to capture first, and gives each
framework of the engagement its notification duties. It reads the same evaluated fact set as the
framework reports (:mod:`.facts`), so the two never disagree about a resource. The team edits the draft, attests it as control IR-01 in the
questionnaire, and the framework report cites that answer.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from auditprep import __version__
from auditprep.catalog import Catalog
from auditprep.evaluate.applicability import is_region
from auditprep.models import Finding, FindingStatus
from auditprep.report.engagement import engagement_part
from auditprep.report.facts import Facts
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


def _short(arn: str) -> str:
    return arn.rsplit("/", 1)[-1] if arn else ""


# What the playbook says about a detection source, from the finding of the check that judged it.
# The words are chosen so that a reader (and the cross-deliverable test) can tell them apart:
# "enabled" only ever stands for a passing check.
_ON_OFF = {
    FindingStatus.PASS: "enabled",
    FindingStatus.FAIL: "not enabled",
    FindingStatus.WARN: "enabled with a weakness (see the report)",
    FindingStatus.NOT_EVALUATED: "not known (not evaluated)",
    FindingStatus.NOT_APPLICABLE: "not applicable",
}


def _worst(found: list[Finding]) -> Finding | None:
    order = (
        FindingStatus.FAIL,
        FindingStatus.NOT_EVALUATED,
        FindingStatus.WARN,
        FindingStatus.PASS,
        FindingStatus.NOT_APPLICABLE,
    )
    for status in order:
        for f in found:
            if f.status is status:
                return f
    return None


def _detection(facts: Facts, regions: list[str]) -> list[dict[str, str]]:
    """GuardDuty, Security Hub CSPM and CloudTrail in each region, as the checks judged them."""
    rows: list[dict[str, str]] = []
    account = {f.scope.region: f.scope.account or "" for f in facts.findings if f.scope.region}
    for region in regions:
        where = f"{account.get(region, '')}/{region}".lstrip("/")
        gd = _worst(facts.of_check("aws.guardduty.enabled", region=region))
        if gd is not None:
            state = _ON_OFF[gd.status]
            if gd.status is FindingStatus.FAIL:
                state = "not enabled: no detector, so GuardDuty raises no finding here"
            elif gd.status is FindingStatus.PASS:
                detector = _short(gd.resource)
                rt = _worst(facts.of_check("aws.guardduty.runtime_monitoring", region=region))
                runtime = {
                    FindingStatus.PASS: "runtime monitoring on",
                    FindingStatus.FAIL: "runtime monitoring off",
                }.get(rt.status if rt else FindingStatus.NOT_EVALUATED, "runtime monitoring not known")
                state = f"enabled (detector {detector}), {runtime}"
            rows.append({"source": "GuardDuty", "where": where, "state": state, "status": gd.status.value})
        hub = _worst(facts.of_check("aws.securityhub.enabled", region=region))
        if hub is not None:
            rows.append(
                {
                    "source": "Security Hub CSPM",
                    "where": where,
                    "state": _ON_OFF[hub.status],
                    "status": hub.status.value,
                }
            )
    trails: dict[str, dict[str, str]] = {}
    for f in facts.of_check("aws.cloudtrail.multi_region"):
        if not f.resource or f.resource in trails:
            continue
        home = f.resource.split(":")[3] if f.resource.count(":") >= 5 else ""
        state = {
            FindingStatus.PASS: "logging management events in every region",
            FindingStatus.FAIL: "not logging every region's management events",
        }.get(f.status, _ON_OFF[f.status])
        cw = facts.about("aws.cloudtrail.cloudwatch", f.resource)
        if cw is not None and cw.status is FindingStatus.PASS:
            state += ", delivered to CloudWatch Logs"
        elif cw is not None and cw.status is FindingStatus.FAIL:
            state += ", not delivered to CloudWatch Logs (no alarm can act on it)"
        trails[f.resource] = {
            "source": f"CloudTrail trail {_short(f.resource)}",
            "where": f"{f.scope.account or ''}/{home}".lstrip("/") if home else f.scope.label(),
            "state": state,
            "status": f.status.value,
        }
    rows.extend(trails.values())
    rows.sort(key=lambda r: (r["source"], r["where"]))
    return rows


def _without_guardduty(facts: Facts, regions: list[str]) -> list[dict[str, str]]:
    """Regions where the evidence shows no enabled GuardDuty detector, or could not tell."""
    out = []
    for region in regions:
        gd = _worst(facts.of_check("aws.guardduty.enabled", region=region))
        if gd is None or gd.status is FindingStatus.PASS:
            continue
        reason = "no detector" if gd.status is FindingStatus.FAIL else "not evaluated: " + gd.message
        out.append({"region": region, "reason": reason})
    return out


# Container settings that make a compromise reach the host: captured first, and the host with them.
RISKY_CHECKS = {
    "docker.container.privileged": "privileged (every capability and every host device)",
    "docker.container.docker_socket": "mounts the Docker socket (controls the host's engine)",
    "docker.container.host_namespaces": "shares a namespace with the host",
    "docker.container.sensitive_mounts": "mounts a sensitive host directory",
}


def _risky_containers(facts: Facts) -> list[dict[str, Any]]:
    rows: dict[str, dict[str, Any]] = {}
    by_id = {c["id"]: c for c in facts.inventory.containers}
    for check, why in RISKY_CHECKS.items():
        for f in facts.failing(check):
            c = by_id.get(f.resource, {})
            row = rows.setdefault(
                f.resource,
                {
                    "id": f.resource,
                    "short_id": f.resource[:12],
                    "name": c.get("name") or f.resource[:12],
                    "host": f.scope.host or f.scope.label(),
                    "image": c.get("image", ""),
                    "state": c.get("state", "unknown"),
                    "reasons": [],
                    "checks": [],
                    "socket": False,
                    "privileged": False,
                    "secrets_in_env": False,
                },
            )
            row["reasons"].append(why)
            row["checks"].append(check)
            row["socket"] |= check == "docker.container.docker_socket"
            row["privileged"] |= check == "docker.container.privileged"
    for row in rows.values():
        env = facts.about("docker.container.env_secrets", row["id"])
        row["secrets_in_env"] = env is not None and env.status is FindingStatus.FAIL
    return sorted(rows.values(), key=lambda r: (r["host"], r["name"]))


def _risky_tasks(facts: Facts) -> list[dict[str, str]]:
    out = []
    for f in facts.failing("aws.ecs.task_privileged"):
        out.append({"name": _short(f.resource), "where": f.scope.label(), "message": f.message})
    return sorted(out, key=lambda r: (r["where"], r["name"]))


def _ecs_services(facts: Facts) -> list[dict[str, Any]]:
    """Each ECS service with what a responder types: cluster, region, task definition, log groups."""
    tds = {t["name"]: t for t in facts.inventory.task_definitions}
    out = []
    for s in facts.inventory.ecs_services:
        td = tds.get(s["task_definition"], {})
        containers = td.get("containers", [])
        out.append(
            {
                "name": s["name"],
                "cluster": s["cluster"],
                "region": s["region"],
                "where": s["where"],
                "fargate": "FARGATE" in s["launch"],
                "task_definition": s["task_definition"],
                "containers": [c["name"] for c in containers],
                "log_groups": sorted({c["log_group"] for c in containers if c.get("log_group")}),
                "subnets": s["subnets"],
                "security_groups": s["security_groups"],
                "exec": s["exec"],
                "secrets_in_env": (
                    (f := facts.about("aws.ecs.task_env_secrets", td.get("arn", ""))) is not None
                    and f.status is FindingStatus.FAIL
                ),
            }
        )
    return out


def _eks_clusters(facts: Facts) -> list[dict[str, Any]]:
    out = []
    for c in facts.inventory.eks_clusters:
        audit = "audit" in [t.strip() for t in c["logging"].split(",")]
        out.append(
            {"name": c["name"], "region": c["arn"].split(":")[3] if c["arn"].count(":") >= 5 else "", "audit": audit}
        )
    return out


def build_playbook(
    eng: Engagement, catalog: Catalog, *, package_hash: str | None = None, facts: Facts | None = None
) -> dict[str, Any]:
    """The playbook as plain data, stated from the engagement's evaluated fact set.

    ``facts``: the fact set the framework reports are rendered from, when the caller already read
    it; read from the store otherwise. Every state the playbook gives (a detection source on or
    off, a risky container) comes from the findings in it, never from a second reading of the raw
    evidence.
    """
    facts = facts or Facts.load(eng)
    stamp = facts.stamp
    evidence, inventory = facts.evidence, facts.inventory
    inv = inventory.as_dict()
    env = inventory.environment
    info = eng.info()
    platforms = inv["platforms"]
    nothing = env.empty
    fargate_services = _names(s for s in inv["ecs_services"] if "FARGATE" in s["launch"])
    ec2_services = _names(s for s in inv["ecs_services"] if "FARGATE" not in s["launch"])
    on_ec2 = [s for s in inv["ecs_services"] if "FARGATE" not in s["launch"]]
    ecs_clusters = _names(on_ec2, "cluster") or _names(c for c in inv["ecs_clusters"] if c["container_instances"])
    docker = bool(platforms["docker_hosts"] or platforms["swarm"])
    show = {
        "fargate": platforms["fargate"] or nothing,
        "ecs_ec2": (platforms["ec2_container_instances"] and bool(ecs_clusters)) or nothing,
        "eks": platforms["eks"] or nothing,
        # every Docker host, a swarm node or not, gets the host capture section
        "docker": docker or nothing,
        "swarm": platforms["swarm"] or nothing,
    }
    posture = facts.posture(catalog)
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
    regions = [r for r in inv["regions"] if is_region(r)]
    detectors = {
        f.scope.region: _short(f.resource)
        for f in facts.of_check("aws.guardduty.enabled")
        if f.status is FindingStatus.PASS and f.resource and f.scope.region
    }
    hosts = []
    for h in inv["docker_hosts"]:
        containers = [c for c in inv["containers"] if c["host"] == h["host"]]
        hosts.append({**h, "container_names": [c["name"] for c in containers]})
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
        "ecs_services": _ecs_services(facts),
        "eks": _eks_clusters(facts),
        "hosts": hosts,
        "swarm_services": inv.get("swarm_services", []),
        "risky_containers": _risky_containers(facts),
        "risky_tasks": _risky_tasks(facts),
        "detection": _detection(facts, regions),
        "without_guardduty": _without_guardduty(facts, regions),
        "detectors": detectors,
        "regions": regions,
        "frameworks": frameworks,
        "controls": controls,
    }
