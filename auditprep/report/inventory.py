"""The environment an assessor can follow: clusters, services, task definitions, images, hosts, containers.

Built in one pass over the current evidence. Only the kinds an inventory table needs are read with
their stored content, one item at a time, and each is reduced to the few fields the report shows,
so memory stays proportional to the rows printed, not to the size of the evidence.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from auditprep.concepts import Environment
from auditprep.evaluate.environment import environment_of
from auditprep.models import CallStatus, Evidence
from auditprep.report.inventory_rows import _ENV_KEYS, DATA_KINDS, _DockerRows, _get, _image_label, _short_arn, _yes_no
from auditprep.report.responsibility import platform_summary, shared_responsibility


@dataclass
class Inventory:
    environment: Environment = field(default_factory=Environment)
    accounts: list[str] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)
    hosts: list[str] = field(default_factory=list)
    ecs_clusters: list[dict[str, Any]] = field(default_factory=list)
    ecs_services: list[dict[str, Any]] = field(default_factory=list)
    task_definitions: list[dict[str, Any]] = field(default_factory=list)
    other_task_definitions: int = 0
    eks_clusters: list[dict[str, Any]] = field(default_factory=list)
    eks_nodegroups: list[dict[str, Any]] = field(default_factory=list)
    images: list[dict[str, Any]] = field(default_factory=list)
    docker_hosts: list[dict[str, Any]] = field(default_factory=list)
    containers: list[dict[str, Any]] = field(default_factory=list)
    swarm_services: list[dict[str, Any]] = field(default_factory=list)
    kinds: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        env = self.environment
        return {
            "platforms": {
                "fargate": env.fargate,
                "ec2_container_instances": env.ec2_container_instances,
                "eks": env.eks,
                "docker_hosts": env.docker_hosts,
                "swarm": env.swarm,
            },
            "platform_summary": platform_summary(env),
            "accounts": self.accounts,
            "regions": self.regions,
            "hosts": self.hosts,
            "counts": self.counts(),
            "ecs_clusters": self.ecs_clusters,
            "ecs_services": self.ecs_services,
            "task_definitions": self.task_definitions,
            "other_task_definitions": self.other_task_definitions,
            "eks_clusters": self.eks_clusters,
            "eks_nodegroups": self.eks_nodegroups,
            "images": self.images,
            "docker_hosts": self.docker_hosts,
            "containers": self.containers,
            "swarm_services": self.swarm_services,
            "evidence_by_kind": self.kinds,
            "shared_responsibility": shared_responsibility(env),
        }

    def counts(self) -> list[dict[str, Any]]:
        rows = [
            ("AWS accounts", len(self.accounts)),
            ("AWS regions", len(self.regions)),
            ("ECS clusters", len(self.ecs_clusters)),
            ("ECS services", len(self.ecs_services)),
            ("Task definitions in use", len(self.task_definitions)),
            ("EKS clusters", len(self.eks_clusters)),
            ("EKS node groups", len(self.eks_nodegroups)),
            ("Images in use (by digest or tag)", len(self.images)),
            ("Docker hosts", len(self.docker_hosts)),
            ("Containers on Docker hosts", len(self.containers)),
        ]
        return [{"label": label, "count": n} for label, n in rows]


class _Builder(_DockerRows):
    def __init__(self) -> None:
        self.inv = Inventory()
        self.env_items: list[Evidence] = []
        self.accounts: set[str] = set()
        self.regions: set[str] = set()
        self.hosts: set[str] = set()
        self.kinds: Counter[tuple[str, str]] = Counter()
        self.service_names: dict[str, str] = {}
        self.images: dict[tuple[str, str], dict[str, Any]] = {}
        self.ecr_images: dict[str, dict[str, Any]] = {}
        self.handlers: dict[str, Callable[[Evidence], None]] = {
            "aws.ecs.cluster": self.ecs_cluster,
            "aws.ecs.service": self.ecs_service,
            "aws.ecs.task_definition": self.task_definition,
            "aws.eks.cluster": self.eks_cluster,
            "aws.eks.nodegroup": self.eks_nodegroup,
            "aws.ecr.image": self.ecr_image,
            "docker.daemon": self.docker_daemon,
            "docker.swarm": self.docker_swarm,
            "docker.container": self.docker_container,
            "docker.image": self.docker_image,
        }
        self.repo_digests: dict[str, str] = {}
        self.host_rows: dict[str, dict[str, Any]] = {}

    # --- every row (no content) -----------------------------------------------------------

    def note(self, ev: Evidence) -> None:
        if ev.scope.account:
            self.accounts.add(ev.scope.account)
        if ev.scope.region:
            self.regions.add(ev.scope.region)
        if ev.scope.host:
            self.hosts.add(ev.scope.host)
        if ev.status is CallStatus.COLLECTED and ev.resource:
            self.kinds[(ev.source.value, ev.kind)] += 1
            if ev.kind == "docker.swarm_service":
                self.inv.swarm_services.append(
                    {"name": ev.resource_name or ev.resource[:12], "id": ev.resource, "host": ev.scope.label()}
                )

    # --- items with content -----------------------------------------------------------------

    def item(self, ev: Evidence) -> None:
        if ev.kind in (
            "aws.ecs.service",
            "aws.ecs.task_definition",
            "aws.ecs.container_instance",
            "aws.eks.cluster",
            "aws.eks.nodegroup",
            "aws.eks.fargate_profile",
            "docker.daemon",
            "docker.swarm",
        ):
            trimmed = {k: ev.data[k] for k in _ENV_KEYS if k in ev.data}
            self.env_items.append(ev.model_copy(update={"data": trimmed}))
        handler = self.handlers.get(ev.kind)
        if handler is not None:
            handler(ev)

    def ecs_cluster(self, ev: Evidence) -> None:
        d = ev.data
        settings = {s.get("name"): s.get("value") for s in d.get("settings") or [] if isinstance(s, dict)}
        exec_logging = _get(d, "configuration", "executeCommandConfiguration", "logging", default="DEFAULT")
        self.inv.ecs_clusters.append(
            {
                "name": ev.resource_name or _short_arn(ev.resource),
                "arn": ev.resource,
                "where": ev.scope.label(),
                "status": d.get("status", ""),
                # counted again in finish() from the services collected in this cluster
                "services": d.get("activeServicesCount", 0) or 0,
                "service_names": [],
                "running_tasks": d.get("runningTasksCount", 0) or 0,
                "container_instances": d.get("registeredContainerInstancesCount", 0),
                "insights": settings.get("containerInsights", "disabled") or "disabled",
                "exec_logging": exec_logging,
                "evidence": ev.id,
            }
        )

    def ecs_service(self, ev: Evidence) -> None:
        d = ev.data
        providers = [
            s.get("capacityProvider", "") for s in d.get("capacityProviderStrategy") or [] if isinstance(s, dict)
        ]
        launch = d.get("launchType") or ", ".join(p for p in providers if p) or "unknown"
        name = ev.resource_name or d.get("serviceName") or _short_arn(ev.resource)
        self.service_names[ev.resource] = name
        vpc = _get(d, "networkConfiguration", "awsvpcConfiguration", default={}) or {}
        self.inv.ecs_services.append(
            {
                "name": name,
                "arn": ev.resource,
                "cluster": _short_arn(d.get("clusterArn", "")),
                "cluster_arn": d.get("clusterArn", ""),
                "region": ev.scope.region or "",
                "where": ev.scope.label(),
                "launch": launch,
                "platform_version": d.get("platformVersion") or "",
                "desired": d.get("desiredCount", 0),
                "running": d.get("runningCount", 0),
                "task_definition": _short_arn(d.get("taskDefinition", "")),
                "public_ip": vpc.get("assignPublicIp", "") or "",
                "subnets": sorted(str(x) for x in vpc.get("subnets") or []),
                "security_groups": sorted(str(x) for x in vpc.get("securityGroups") or []),
                "exec": _yes_no(d.get("enableExecuteCommand")),
                "evidence": ev.id,
            }
        )

    def task_definition(self, ev: Evidence) -> None:
        d = ev.data
        derived = d.get("auditprep_derived") or {}
        services = derived.get("in_use_by_services") or []
        if not services:
            self.inv.other_task_definitions += 1
            return
        containers = []
        for c in d.get("containerDefinitions") or []:
            image = c.get("image", "")
            ref, digest = _image_label(image)
            containers.append(
                {
                    "name": c.get("name", ""),
                    "image": ref,
                    "digest": digest,
                    "user": c.get("user") or "image default",
                    # ECS treats an absent setting as false: a writable root, not privileged
                    "read_only": _yes_no(c.get("readonlyRootFilesystem"))
                    if "readonlyRootFilesystem" in c
                    else "no (default)",
                    "privileged": _yes_no(c.get("privileged")) if "privileged" in c else "no (default)",
                    "log_group": _get(c, "logConfiguration", "options", "awslogs-group", default="")
                    if _get(c, "logConfiguration", "logDriver") == "awslogs"
                    else "",
                }
            )
            key = (ref, digest)
            row = self.images.setdefault(
                key,
                {
                    "image": ref,
                    "digest": digest,
                    "source": "task definition",
                    "used_by": [],
                    "where": ev.scope.label(),
                    "pushed": "",
                    "scan": "",
                },
            )
            row["used_by"].append(ev.resource_name or _short_arn(ev.resource))
        self.inv.task_definitions.append(
            {
                "name": ev.resource_name or _short_arn(ev.resource),
                "arn": ev.resource,
                "where": ev.scope.label(),
                "compatibilities": ", ".join(d.get("requiresCompatibilities") or []) or "EC2",
                "network_mode": d.get("networkMode") or "bridge",
                "services": [_short_arn(s) for s in services],
                "task_role": _short_arn(d.get("taskRoleArn") or ""),
                "containers": containers,
                "evidence": ev.id,
            }
        )

    def eks_cluster(self, ev: Evidence) -> None:
        d = ev.data
        logging = [
            t
            for entry in _get(d, "logging", "clusterLogging", default=[]) or []
            if isinstance(entry, dict) and entry.get("enabled")
            for t in entry.get("types") or []
        ]
        vpc = d.get("resourcesVpcConfig") or {}
        self.inv.eks_clusters.append(
            {
                "name": ev.resource_name or d.get("name", ""),
                "arn": ev.resource,
                "where": ev.scope.label(),
                "version": d.get("version", ""),
                "endpoint": ("public" if vpc.get("endpointPublicAccess") else "private")
                + (" and private" if vpc.get("endpointPublicAccess") and vpc.get("endpointPrivateAccess") else ""),
                "logging": ", ".join(sorted(logging)) or "none",
                "secrets_encryption": "yes" if d.get("encryptionConfig") else "no",
                "evidence": ev.id,
            }
        )

    def eks_nodegroup(self, ev: Evidence) -> None:
        d = ev.data
        scaling = d.get("scalingConfig") or {}
        self.inv.eks_nodegroups.append(
            {
                "name": ev.resource_name or d.get("nodegroupName", ""),
                "where": ev.scope.label(),
                "ami": d.get("amiType", ""),
                "version": d.get("version", ""),
                "release": d.get("releaseVersion", ""),
                "size": scaling.get("desiredSize", ""),
                "evidence": ev.id,
            }
        )

    def ecr_image(self, ev: Evidence) -> None:
        d = ev.data
        derived = d.get("auditprep_derived") or {}
        if not derived.get("in_use_by_task_definitions"):
            return
        scan = derived.get("scan") or d.get("imageScanFindingsSummary") or {}
        counts = scan.get("findingSeverityCounts") or scan.get("counts") or {}
        self.ecr_images[d.get("imageDigest", "")] = {
            "pushed": str(d.get("imagePushedAt", ""))[:19].replace("T", " "),
            "scan": ", ".join(f"{n} {sev.lower()}" for sev, n in sorted(counts.items()))
            or (scan.get("status") or _get(d, "imageScanStatus", "status", default="") or "").lower().replace("_", " "),
        }

    def finish(self) -> Inventory:
        inv = self.inv
        # A cluster's services are the services collected in it. ECS's own counter
        # (activeServicesCount) can lag or be missing; the table must never say "0 services" above
        # a list of the cluster's services, so the larger of the two is shown.
        for cluster in inv.ecs_clusters:
            mine = [s for s in inv.ecs_services if s["cluster_arn"] == cluster["arn"]]
            cluster["service_names"] = sorted(s["name"] for s in mine)
            cluster["services"] = max(int(cluster["services"] or 0), len(mine))
            cluster["running_tasks"] = max(
                int(cluster["running_tasks"] or 0), sum(int(s["running"] or 0) for s in mine)
            )
        inv.environment = environment_of(self.env_items)
        inv.accounts = sorted(self.accounts)
        inv.regions = sorted(self.regions)
        inv.hosts = sorted(self.hosts)
        inv.docker_hosts = [self.host_rows[h] for h in sorted(self.host_rows)]
        for (_ref, digest), row in self.images.items():
            if digest in self.ecr_images:
                row.update(self.ecr_images[digest])
            if digest in self.repo_digests:  # a Docker image id with a registry digest
                row["image_id"], row["digest"] = digest, self.repo_digests[digest]
            row["used_by"] = sorted(set(row["used_by"]))
        inv.images = sorted(self.images.values(), key=lambda r: (r["image"], r["digest"]))
        for rows, key in (
            (inv.ecs_clusters, "name"),
            (inv.ecs_services, "name"),
            (inv.task_definitions, "name"),
            (inv.eks_clusters, "name"),
            (inv.eks_nodegroups, "name"),
            (inv.containers, "name"),
        ):
            rows.sort(key=lambda r, k=key: (r.get("where", r.get("host", "")), r[k]))
        inv.swarm_services.sort(key=lambda r: (r["host"], r["name"]))
        inv.kinds = [{"source": source, "kind": kind, "count": n} for (source, kind), n in sorted(self.kinds.items())]
        return inv


def build_inventory(rows: Iterable[Evidence], load: Callable[[str], Evidence | None]) -> Inventory:
    """Inventory from evidence rows (without content); ``load(id)`` fetches one item's content."""
    builder = _Builder()
    for ev in rows:
        builder.note(ev)
        if ev.kind in DATA_KINDS and ev.status is CallStatus.COLLECTED and ev.resource:
            full = load(ev.id)
            if full is not None:
                builder.item(full)
    return builder.finish()
