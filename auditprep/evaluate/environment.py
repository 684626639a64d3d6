"""Which container platforms an engagement's evidence shows (Fargate, EC2 hosts, EKS, Docker, Swarm).

Used to tailor explanations and the shared-responsibility picture: on Fargate AWS runs the hosts;
on EC2 container instances, EKS nodes and Docker hosts the team does.
"""

from __future__ import annotations

from collections.abc import Iterable

from auditprep.concepts import Environment
from auditprep.models import CallStatus, Evidence


def _fargate(ev: Evidence) -> bool:
    d = ev.data
    if d.get("launchType") == "FARGATE":
        return True
    if "FARGATE" in (d.get("requiresCompatibilities") or []):
        return True
    return any(s.get("capacityProvider", "").startswith("FARGATE") for s in d.get("capacityProviderStrategy") or [])


def environment_of(evidence: Iterable[Evidence]) -> Environment:
    fargate = ec2 = eks = docker = swarm = False
    for ev in evidence:
        if ev.status is not CallStatus.COLLECTED or not ev.resource:
            continue
        kind = ev.kind
        if kind in ("aws.ecs.service", "aws.ecs.task_definition"):
            if _fargate(ev):
                fargate = True
            elif ev.data.get("launchType") == "EC2" or "EC2" in (ev.data.get("requiresCompatibilities") or []):
                ec2 = True
        elif kind in ("aws.ecs.container_instance", "aws.eks.nodegroup"):
            ec2 = True
        elif kind == "aws.eks.fargate_profile":
            fargate = True
        if kind == "aws.eks.cluster":
            eks = True
        elif kind == "docker.daemon":
            docker = True
        elif kind == "docker.swarm":
            swarm = True
    return Environment(fargate=fargate, ec2_container_instances=ec2, eks=eks, docker_hosts=docker, swarm=swarm)
