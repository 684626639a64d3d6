"""Tailoring an explanation to what the evidence found (who carries the host layer)."""

from __future__ import annotations

from dataclasses import dataclass

from auditprep.models import Concept


@dataclass(frozen=True)
class Environment:
    """Which container platforms the collected evidence shows.

    ``fargate``: ECS tasks on Fargate or EKS Fargate profiles. ``ec2_container_instances``: ECS
    container instances or EKS nodes on EC2. ``eks``: at least one EKS cluster. ``docker_hosts``:
    Docker Engine hosts reached directly. ``swarm``: a Docker host that is part of a swarm.
    """

    fargate: bool = False
    ec2_container_instances: bool = False
    eks: bool = False
    docker_hosts: bool = False
    swarm: bool = False

    @property
    def team_hosts(self) -> bool:
        """The team runs at least some of the machines its containers run on."""
        return self.ec2_container_instances or self.docker_hosts or self.swarm

    @property
    def fargate_only(self) -> bool:
        return self.fargate and not self.team_hosts

    @property
    def empty(self) -> bool:
        return not (self.fargate or self.team_hosts or self.eks)

    def host_platforms(self) -> list[str]:
        names = []
        if self.ec2_container_instances:
            names.append("ECS or EKS hosts on EC2")
        if self.docker_hosts or self.swarm:
            names.append("Docker Swarm hosts" if self.swarm else "Docker hosts")
        return names


TAILORED = frozenset(
    {
        "shared-responsibility",
        "fargate",
        "host-node",
        "container-runtime",
        "runtime-monitoring",
        "ephemeral-forensics",
        "patching-by-rebuild",
        "docker-daemon-api",
        "docker-swarm",
        "eks-control-plane",
    }
)

_AWS_CARRIES = (
    "The evidence shows containers on Fargate only, so no host in scope is the team's to run. "
    "AWS patches the host operating system, kernel and container runtime (the host side of "
    "PCI DSS 6.3.3 and of SI-2), and intrusion detection and file-integrity monitoring on those "
    "hosts (the host side of PCI DSS 11.5.1 and 11.5.2, SI-4(23) and SC-7(12)) are AWS's, shown "
    "through its attestations rather than by anything the team collects."
)
_TEAM_KEEPS_ON_FARGATE = (
    "The team still owns the contents and patching of every image, the task definitions and pod "
    "specs, turning on runtime monitoring (GuardDuty adds a sidecar to ECS tasks on Fargate but "
    "does not cover EKS pods on Fargate), shipping logs out of each task, and keeping the platform "
    "version current."
)


def _team_hosts_sentence(env: Environment) -> str:
    platforms = " and ".join(env.host_platforms())
    return (
        f"The evidence shows {platforms}, which the team runs. On those machines, host OS and kernel "
        "patching and runtime updates (PCI DSS 6.3.3, SI-2), host intrusion detection and "
        "anti-malware (PCI DSS 11.5.1 and 5.2.1, SI-4(23), SC-7(12)) and file-integrity monitoring "
        "(PCI DSS 11.5.2) are the team's requirements, and the assessor will test them on the hosts."
    )


def _host_split(env: Environment) -> list[str]:
    if env.fargate_only:
        return [_AWS_CARRIES, _TEAM_KEEPS_ON_FARGATE]
    parts = [_team_hosts_sentence(env)]
    if env.fargate:
        parts.append(
            "Fargate tasks found alongside them inherit the host layer from AWS; the hosts above do "
            "not, so a host control is met only when those hosts are covered."
        )
    if env.swarm:
        parts.append(
            "With Docker Swarm the orchestrator is the team's too: the managers, their certificates "
            "and the encrypted Raft store."
        )
    return parts


def tailored_note(concept: Concept, env: Environment) -> str | None:
    """A paragraph saying how ``concept`` applies to the platforms the evidence found.

    Returns ``None`` for concepts that read the same everywhere, and when nothing was found.
    """
    if concept.key not in TAILORED or env.empty:
        return None
    key = concept.key
    parts: list[str] = []
    if key in ("shared-responsibility", "fargate", "host-node", "container-runtime"):
        if not (env.fargate or env.team_hosts):
            return None
        parts = _host_split(env)
    elif key == "runtime-monitoring":
        if env.fargate:
            parts.append(
                "For Fargate tasks there is no host to install an agent on: coverage means the "
                "GuardDuty sidecar, or a vendor sidecar, in every task."
            )
            if env.eks:
                parts.append(
                    "GuardDuty Runtime Monitoring does not cover EKS pods on Fargate, so those need "
                    "another sensor or a documented compensating control."
                )
        if env.team_hosts:
            parts.append(
                f"On the {' and '.join(env.host_platforms())}, coverage means an agent on every "
                "host, reported healthy; this is the team's host IDS requirement (PCI DSS 11.5.1, "
                "SI-4(23), SC-7(12))."
            )
    elif key == "ephemeral-forensics":
        if env.fargate:
            parts.append(
                "For Fargate tasks there is no host to snapshot: the playbook relies on logs already "
                "shipped, runtime findings, and ECS Exec only if it was enabled before the incident."
            )
        if env.team_hosts:
            parts.append(
                "On the team's own hosts the playbook can also isolate the instance, snapshot its "
                "volumes and capture docker diff or export output before anything is replaced."
            )
    elif key == "patching-by-rebuild":
        if env.fargate_only:
            parts.append(
                "On Fargate only, rebuilding images is the whole patching job the team owns; host "
                "fixes arrive as new platform versions, which tasks pick up when they are replaced."
            )
        elif env.team_hosts:
            parts.append(
                f"Besides rebuilding images, the team patches the {' and '.join(env.host_platforms())}: "
                "operating system, kernel and runtime, with their own evidence and deadlines "
                "(PCI DSS 6.3.3, SI-2)."
            )
    elif key == "docker-daemon-api":
        if env.docker_hosts or env.swarm:
            parts.append(
                "Docker hosts were reached: the daemon socket, any TCP listener and docker group "
                "membership on each of them are the team's to control and evidence."
            )
        if env.ec2_container_instances:
            parts.append(
                "On ECS container instances the Docker daemon still runs beside the ECS agent, so "
                "root access to an instance is access to every container on it."
            )
        if env.fargate_only:
            parts.append(
                "No Docker daemon is reachable on Fargate; interactive access goes through ECS Exec, "
                "whose logging is the control to test instead."
            )
    elif key == "docker-swarm":
        if env.swarm:
            parts.append(
                "A swarm was found: AWS operates none of it, so managers, certificate rotation, "
                "autolock and overlay encryption are all the team's controls."
            )
        elif env.docker_hosts:
            parts.append(
                "Docker hosts were found but no swarm, so containers there are started directly and "
                "their settings come from whoever runs them."
            )
    elif key == "eks-control-plane":
        if env.eks:
            parts.append(
                "EKS clusters were found: AWS operates their control planes, and the version, endpoint "
                "exposure, audit logging, secrets encryption and access entries are the team's settings."
            )
    return " ".join(parts) or None
