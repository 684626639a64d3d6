"""ECR: registry scanning configuration, repositories (tag immutability, encryption, lifecycle policy)
and their images, with which images the task definitions in use run.

The registry's scanning configuration is a region-level setting; it is recorded under the
identifier ``arn:<partition>:ecr:<region>:<account>:registry`` (ECR has no ARN for it). Images
are identified as ``<repositoryUri>@<digest>``.
"""

from __future__ import annotations

import threading
from typing import Any

from auditprep.collect.aws.runtime import FAN_OUT, ApiFailure, RegionContext, chunks, ids_of
from auditprep.collect.aws.shared import ImageRef, Shared

REGISTRY_SCANNING = "aws.ecr.registry_scanning"
REPOSITORY = "aws.ecr.repository"
LIFECYCLE = "aws.ecr.lifecycle_policy"
IMAGE = "aws.ecr.image"


def prefetch(ctx: RegionContext, shared: Shared) -> None:
    """The registry's reads, sent alongside the first phase (the same calls ``collect`` makes, in
    the same form, kept for it). Three streams at once, all under the region's ECR limit: the
    per-repository scanning configuration; each repository's lifecycle policy and images; and the
    scan summaries of the images in use, each as soon as ECS has read a task definition in use
    naming it and its repository's images are known."""
    repos = ctx.prefetch(
        "collect_all", "ecr", "DescribeRepositories", "repositories", PaginationConfig={"PageSize": 1000}
    )
    config = ctx.prefetch("call", "ecr", "GetRegistryScanningConfiguration")
    if isinstance(repos, ApiFailure):
        return
    images: dict[str, list[dict[str, Any]]] = {}
    all_read = threading.Event()

    def scanning_configuration() -> None:
        if isinstance(config, ApiFailure):
            return
        for batch in chunks([r["repositoryName"] for r in repos], 25):
            answer = ctx.prefetch("call", "ecr", "BatchGetRepositoryScanningConfiguration", repositoryNames=batch)
            if isinstance(answer, ApiFailure):
                break

    def per_repository(repo: dict[str, Any]) -> None:
        name = repo["repositoryName"]
        ctx.prefetch("call", "ecr", "GetLifecyclePolicy", repositoryName=name)
        found = ctx.prefetch(
            "collect_all",
            "ecr",
            "DescribeImages",
            "imageDetails",
            repositoryName=name,
            PaginationConfig={"PageSize": 1000},
        )
        if isinstance(found, list):
            images[name] = found

    def repositories() -> None:
        try:
            ctx.map(per_repository, repos, width=2 * FAN_OUT)
        finally:
            all_read.set()

    streams = (scanning_configuration, repositories, lambda: _prefetch_scans(ctx, shared, images, all_read))
    ctx.map(lambda stream: stream(), streams)


def _prefetch_scans(
    ctx: RegionContext, shared: Shared, images: dict[str, list[dict[str, Any]]], all_read: threading.Event
) -> None:
    """The scan summary of each image in use that DescribeImages did not summarise, requested as
    ``collect`` would request it, once both the task definition naming it and the repository's
    images have been read."""
    here = (ctx.account.account_id, ctx.region)
    asked: set[str] = set()
    pending: list[str] = []

    def resolve(raws: list[str]) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        waiting: list[str] = []
        for raw in raws:
            ref = ImageRef.parse(raw)
            if ref.ecr != here:
                continue
            found = images.get(ref.repository)
            if found is None:
                if not all_read.is_set():
                    waiting.append(raw)
                continue
            for image in found:
                digest = image.get("imageDigest", "")
                if ref.key in (digest, *image.get("imageTags", [])) and "imageScanStatus" not in image:
                    if digest not in asked:
                        asked.add(digest)
                        out.append((ref.repository, digest))
        pending[:] = waiting
        return out

    def scan(found: tuple[str, str]) -> None:
        repo, digest = found
        ctx.prefetch(
            "call",
            "ecr",
            "DescribeImageScanFindings",
            repositoryName=repo,
            imageId={"imageDigest": digest},
            maxResults=1,
        )

    for fresh in shared.feed(*here).follow():
        ctx.map(scan, resolve(pending + fresh))
    all_read.wait()
    ctx.map(scan, resolve(pending))


def collect(ctx: RegionContext, shared: Shared) -> None:
    acct, region = ctx.account.account_id, ctx.region
    try:
        repos = ctx.collect_all("ecr", "DescribeRepositories", "repositories", PaginationConfig={"PageSize": 1000})
    except ApiFailure as f:
        for kind in (REPOSITORY, LIFECYCLE, IMAGE):
            ctx.attempt(kind, "ecr:DescribeRepositories", failure=f)
        repos = None
    _registry_scanning(ctx, repos)
    if repos is None:
        return

    def lifecycle(repo: dict[str, Any]) -> Any:
        try:
            return ctx.call("ecr", "GetLifecyclePolicy", repositoryName=repo["repositoryName"])
        except ApiFailure as f:
            return f

    for repo, policy in zip(repos, ctx.map(lifecycle, repos), strict=True):
        key = (repo.get("encryptionConfiguration") or {}).get("kmsKey")
        if key:
            shared.use_key(acct, region, key, repo["repositoryArn"])
        if isinstance(policy, ApiFailure):
            if policy.code == "LifecyclePolicyNotFoundException":
                repo["lifecyclePolicy"] = None
            else:
                ctx.attempt(
                    LIFECYCLE,
                    "ecr:GetLifecyclePolicy",
                    failure=policy,
                    resource=repo["repositoryArn"],
                    name=repo["repositoryName"],
                )
        else:
            repo["lifecyclePolicy"] = {k: policy.get(k) for k in ("lifecyclePolicyText", "lastEvaluatedAt")}
        ctx.item(
            REPOSITORY,
            "ecr:DescribeRepositories",
            repo["repositoryArn"],
            repo,
            name=repo["repositoryName"],
            request_ids=ids_of(repo, policy),
        )
    ctx.attempt(REPOSITORY, "ecr:DescribeRepositories", count=len(repos))
    ctx.attempt(
        LIFECYCLE,
        "ecr:GetLifecyclePolicy",
        count=sum(1 for r in repos if r.get("lifecyclePolicy")),
        request_ids=ids_of(repos) + ctx.calls("ecr:GetLifecyclePolicy"),
    )

    def images_of(repo: dict[str, Any]) -> Any:
        """One repository's images, with scan summaries fetched for the in-use ones that lack them."""
        name = repo["repositoryName"]
        used = shared.images_in_use.get((acct, region, name), {})
        try:
            images = ctx.collect_all(
                "ecr", "DescribeImages", "imageDetails", repositoryName=name, PaginationConfig={"PageSize": 1000}
            )
        except ApiFailure as f:
            return f
        out = []
        for image in images:
            digest = image.get("imageDigest", "")
            resource = f"{repo['repositoryUri']}@{digest}"
            refs = [digest, *image.get("imageTags", [])]
            in_use_by = sorted({td for ref in refs for td in used.get(ref, ())})
            scan: Any = None
            if in_use_by and "imageScanStatus" not in image:
                scan = _scan_summary(ctx, name, digest, resource)
            out.append((image, resource, in_use_by, scan))
        return out

    count = 0
    for repo, fetched in zip(repos, ctx.map(images_of, repos), strict=True):
        name = repo["repositoryName"]
        if isinstance(fetched, ApiFailure):
            ctx.attempt(IMAGE, "ecr:DescribeImages", failure=fetched, resource=repo["repositoryArn"], name=name)
            continue
        for image, resource, in_use_by, scan in fetched:
            digest = image.get("imageDigest", "")
            derived: dict[str, Any] = {"in_use_by_task_definitions": in_use_by}
            if in_use_by:
                with shared.lock:
                    shared.in_use_digests[(acct, region)][digest] = resource
                if "imageScanStatus" not in image:
                    if isinstance(scan, ApiFailure):
                        ctx.attempt(IMAGE, "ecr:DescribeImageScanFindings", failure=scan, resource=resource, name=name)
                        continue
                    derived["scan"] = scan
            image["auditprep_derived"] = derived
            label = f"{name}:{image['imageTags'][0]}" if image.get("imageTags") else f"{name}@{digest[:19]}"
            ctx.item(IMAGE, "ecr:DescribeImages", resource, image, name=label, request_ids=ids_of(image, scan))
            count += 1
    ctx.attempt(IMAGE, "ecr:DescribeImages", count=count, request_ids=ids_of(repos) + ctx.calls("ecr:DescribeImages"))


def _scan_summary(ctx: RegionContext, repo: str, digest: str, resource: str) -> dict[str, Any] | ApiFailure:
    """Scan status and severity counts of one image, for images in use that DescribeImages did not summarise.

    A failure is returned, not recorded: this runs on a fan-out thread and the caller records in order."""
    try:
        resp = ctx.call(
            "ecr", "DescribeImageScanFindings", repositoryName=repo, imageId={"imageDigest": digest}, maxResults=1
        )
    except ApiFailure as f:
        if f.code == "ScanNotFoundException":
            return {"imageScanStatus": {"status": "NOT_SCANNED", "description": "no scan exists for this image"}}
        return f
    findings = resp.get("imageScanFindings") or {}
    return {
        "imageScanStatus": resp.get("imageScanStatus"),
        "imageScanCompletedAt": findings.get("imageScanCompletedAt"),
        "vulnerabilitySourceUpdatedAt": findings.get("vulnerabilitySourceUpdatedAt"),
        "findingSeverityCounts": findings.get("findingSeverityCounts", {}),
    }


def _registry_scanning(ctx: RegionContext, repos: list[dict[str, Any]] | None) -> None:
    resource = ctx.arn("ecr", "registry")
    try:
        config = ctx.call("ecr", "GetRegistryScanningConfiguration")
    except ApiFailure as f:
        ctx.attempt(REGISTRY_SCANNING, "ecr:GetRegistryScanningConfiguration", failure=f)
        return
    per_repo: list[dict[str, Any]] = []
    failure: ApiFailure | None = None
    names = [r["repositoryName"] for r in repos or []]
    for batch in chunks(names, 25):
        try:
            resp = ctx.call("ecr", "BatchGetRepositoryScanningConfiguration", repositoryNames=batch)
        except ApiFailure as f:
            failure = f
            break
        per_repo.extend(resp.get("scanningConfigurations", []))
    if repos is not None and failure is None:
        config["repositoryScanningConfigurations"] = per_repo
    ctx.item(
        REGISTRY_SCANNING,
        "ecr:GetRegistryScanningConfiguration",
        resource,
        config,
        name="private registry",
        request_ids=ids_of(config) + ctx.calls("ecr:BatchGetRepositoryScanningConfiguration"),
    )
    ctx.attempt(REGISTRY_SCANNING, "ecr:GetRegistryScanningConfiguration", count=1, failure=failure)
