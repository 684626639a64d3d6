"""Who carries each layer of the platforms the evidence shows: AWS or the team.

Fargate leaves host patching and host intrusion detection to AWS; EC2 container instances, EKS
nodes and Docker hosts leave them with the team. The rows are the project's own summary.
"""

from __future__ import annotations

from typing import Any

from auditprep.concepts import Environment


def platform_summary(env: Environment) -> str:
    found = []
    if env.fargate:
        found.append("ECS tasks on AWS Fargate")
    if env.ec2_container_instances:
        found.append("ECS container instances or EKS nodes on EC2")
    if env.eks:
        found.append("Amazon EKS clusters")
    if env.swarm:
        found.append("a Docker Swarm")
    elif env.docker_hosts:
        found.append("Docker hosts")
    if not found:
        return "The collected evidence shows no container platform yet."
    if len(found) == 1:
        return f"The collected evidence shows {found[0]}."
    return f"The collected evidence shows {', '.join(found[:-1])} and {found[-1]}."


_LAYERS = (
    # (layer, Fargate, EC2 hosts (ECS/EKS), Docker hosts / Swarm)
    ("Data centre, hardware and hypervisor", "AWS", "AWS", "AWS (for hosts on EC2)"),
    ("Host operating system, kernel and container runtime patching", "AWS", "Team", "Team"),
    (
        "Host intrusion detection, anti-malware and file integrity",
        "AWS for the host; the team turns on runtime monitoring for each task",
        "Team",
        "Team",
    ),
    (
        "Orchestrator control plane",
        "AWS (ECS)",
        "AWS (ECS; EKS control plane, with the version chosen by the team)",
        "Team (Swarm managers), or none for standalone hosts",
    ),
    ("Image contents, base images and rebuilds", "Team", "Team", "Team"),
    ("Task, pod and container configuration", "Team", "Team", "Team"),
    ("Network controls (security groups, policies, overlay encryption)", "Team", "Team", "Team"),
    ("Identities, secrets and logging configuration", "Team", "Team", "Team"),
)


def shared_responsibility(env: Environment) -> dict[str, Any]:
    """Who carries each layer, for the platforms the evidence shows (all of them when none was found)."""
    columns = []
    if env.fargate:
        columns.append(("Fargate", 1))
    if env.ec2_container_instances or env.eks:
        columns.append(("ECS or EKS on EC2", 2))
    if env.docker_hosts or env.swarm:
        columns.append(("Swarm" if env.swarm else "Docker hosts", 3))
    shown_all = not columns
    if shown_all:
        columns = [("Fargate", 1), ("ECS or EKS on EC2", 2), ("Docker hosts or Swarm", 3)]
    return {
        "columns": [name for name, _ in columns],
        "rows": [{"layer": layer[0], "cells": [layer[i] for _, i in columns]} for layer in _LAYERS],
        "all_platforms": shown_all,
    }
