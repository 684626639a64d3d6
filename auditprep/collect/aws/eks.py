"""EKS: clusters (endpoint access, control-plane logging, secrets encryption), their Kubernetes
version's support status, and managed node groups."""

from __future__ import annotations

from typing import Any

from auditprep.collect.aws import eks_calendar
from auditprep.collect.aws.runtime import ApiFailure, RegionContext, ids_of
from auditprep.collect.aws.shared import Shared
from auditprep.models import CallStatus

CLUSTER = "aws.eks.cluster"
VERSION = "aws.eks.cluster_version"
NODEGROUP = "aws.eks.nodegroup"
CALENDAR_OPERATION = f"EKS release calendar shipped with auditprep ({eks_calendar.CALENDAR_DATE})"


def collect(ctx: RegionContext, shared: Shared) -> None:
    acct, region = ctx.account.account_id, ctx.region
    try:
        names = ctx.collect_all("eks", "ListClusters", "clusters", PaginationConfig={"PageSize": 100})
    except ApiFailure as f:
        for kind in (CLUSTER, VERSION, NODEGROUP):
            ctx.attempt(kind, "eks:ListClusters", failure=f)
        return

    clusters: list[dict[str, Any]] = []
    for name in names:
        try:
            cluster = ctx.call("eks", "DescribeCluster", name=name).get("cluster", {})
        except ApiFailure as f:
            ctx.attempt(
                CLUSTER, "eks:DescribeCluster", failure=f, resource=ctx.arn("eks", f"cluster/{name}"), name=name
            )
            continue
        clusters.append(cluster)
        arn = cluster.get("arn") or ctx.arn("eks", f"cluster/{name}")
        shared.use_log_group(acct, region, f"/aws/eks/{name}/cluster", arn)
        for enc in cluster.get("encryptionConfig") or []:
            key = (enc.get("provider") or {}).get("keyArn")
            if key:
                shared.use_key(acct, region, key, arn)
        ctx.item(CLUSTER, "eks:DescribeCluster", arn, cluster, name=name)
    ctx.attempt(CLUSTER, "eks:ListClusters", count=len(clusters))

    versions = sorted({c["version"] for c in clusters if c.get("version")})
    if versions:
        try:
            found = ctx.collect_all(
                "eks", "DescribeClusterVersions", "clusterVersions", clusterVersions=versions, includeAll=True
            )
        except ApiFailure as f:
            if f.unsupported:
                _from_calendar(ctx, versions, f)
            else:  # refused or failed: a gap, never replaced by the table
                ctx.attempt(VERSION, "eks:DescribeClusterVersions", failure=f)
        else:
            for v in found:
                ver = v.get("clusterVersion", "")
                ctx.item(
                    VERSION, "eks:DescribeClusterVersions", f"kubernetes-version/{ver}", v, name=f"Kubernetes {ver}"
                )
            ctx.attempt(VERSION, "eks:DescribeClusterVersions", count=len(found))
    else:
        ctx.attempt(VERSION, "eks:DescribeClusterVersions", count=0, message="no clusters, so no versions to look up")

    count = 0
    for cluster in clusters:
        name = cluster.get("name", "")
        try:
            groups = ctx.collect_all(
                "eks", "ListNodegroups", "nodegroups", clusterName=name, PaginationConfig={"PageSize": 100}
            )
        except ApiFailure as f:
            ctx.attempt(NODEGROUP, "eks:ListNodegroups", failure=f, resource=cluster.get("arn", ""), name=name)
            continue
        for group in groups:
            try:
                ng = ctx.call("eks", "DescribeNodegroup", clusterName=name, nodegroupName=group).get("nodegroup", {})
            except ApiFailure as f:
                ctx.attempt(
                    NODEGROUP,
                    "eks:DescribeNodegroup",
                    failure=f,
                    resource=ctx.arn("eks", f"nodegroup/{name}/{group}"),
                    name=f"{name}/{group}",
                )
                continue
            ctx.item(NODEGROUP, "eks:DescribeNodegroup", ng.get("nodegroupArn", ""), ng, name=f"{name}/{group}")
            count += 1
    ctx.attempt(
        NODEGROUP, "eks:ListNodegroups", count=count, request_ids=ids_of(names) + ctx.calls("eks:ListNodegroups")
    )


def _from_calendar(ctx: RegionContext, versions: list[str], unsupported: ApiFailure) -> None:
    """Version support from the shipped calendar, where the endpoint does not offer the API at all."""
    at = ctx.recorder.clock()
    found = 0
    for ver in versions:
        entry = eks_calendar.version_support(ver, at)
        if entry is None:
            ctx.attempt(
                VERSION,
                CALENDAR_OPERATION,
                failure=ApiFailure(
                    CallStatus.ERROR,
                    CALENDAR_OPERATION,
                    f"Kubernetes {ver} is not in {eks_calendar.CALENDAR} (dated {eks_calendar.CALENDAR_DATE}) and "
                    "this endpoint does not offer eks:DescribeClusterVersions, so its support is not known",
                ),
                resource=f"kubernetes-version/{ver}",
                name=f"Kubernetes {ver}",
            )
            continue
        ctx.item(
            VERSION, CALENDAR_OPERATION, f"kubernetes-version/{ver}", entry, name=f"Kubernetes {ver}", request_ids=()
        )
        found += 1
    ctx.attempt(
        VERSION,
        CALENDAR_OPERATION,
        count=found,
        message=f"support dates from {eks_calendar.CALENDAR} (AWS's published dates as of "
        f"{eks_calendar.CALENDAR_DATE}): this endpoint does not offer eks:DescribeClusterVersions",
        request_ids=unsupported.request_ids,
    )
