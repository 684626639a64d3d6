"""Facts one service's collection hands to another's, across regions and accounts.

Which images task definitions run, which log groups and KMS keys the services write to and
encrypt with, and which trails cover which regions are only known after the first phase; the
later phases read them here. Everything is keyed by (account, region) and guarded by one lock.
"""

from __future__ import annotations

import re
import threading
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

_ECR_HOST = re.compile(r"^(?P<account>\d{12})\.dkr\.ecr(?:-fips)?\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$")


@dataclass(frozen=True)
class ImageRef:
    """A container image reference split into its parts (``registry/repository:tag@digest``)."""

    raw: str
    registry: str
    repository: str
    tag: str | None
    digest: str | None

    @classmethod
    def parse(cls, raw: str) -> ImageRef:
        rest, _, found = raw.partition("@")
        digest = found or None
        registry = ""
        first, _, remainder = rest.partition("/")
        if remainder and ("." in first or ":" in first or first == "localhost"):
            registry, rest = first, remainder
        tag = None
        name, sep, maybe_tag = rest.rpartition(":")
        if sep and "/" not in maybe_tag:
            rest, tag = name, maybe_tag
        return cls(raw, registry, rest, tag, digest)

    @property
    def ecr(self) -> tuple[str, str] | None:
        """(account, region) when the image lives in an ECR private registry."""
        m = _ECR_HOST.match(self.registry)
        return (m.group("account"), m.group("region")) if m else None

    @property
    def key(self) -> str:
        """What names the image in its repository: the digest, else the tag (``latest`` when none)."""
        return self.digest or self.tag or "latest"

    def as_dict(self) -> dict[str, Any]:
        return {"registry": self.registry, "repository": self.repository, "tag": self.tag, "digest": self.digest}


def region_of_arn(arn: str) -> str | None:
    parts = arn.split(":")
    return parts[3] or None if arn.startswith("arn:") and len(parts) > 5 else None


@dataclass
class InUseFeed:
    """The images that one region's task definitions in use name, published by ECS while it reads
    them, so that ECR's early reads can fetch those images' scan summaries alongside ECS rather than
    after the first phase. It only warms a cache: the second phase records from what ECS recorded."""

    cond: threading.Condition = field(default_factory=threading.Condition)
    started: bool = False
    done: bool = False
    in_use: set[str] | None = None  # task definition ARNs the services run, once the services are read
    described: dict[str, list[str]] = field(default_factory=dict)  # read before the services were
    ready: list[str] = field(default_factory=list)  # images of task definitions in use, in order

    def begin(self) -> None:
        with self.cond:
            self.started = True
            self.cond.notify_all()

    def services_read(self, task_definitions: set[str]) -> None:
        with self.cond:
            self.in_use = set(task_definitions)
            for arn, images in self.described.items():
                if arn in self.in_use:
                    self.ready.extend(images)
            self.described.clear()
            self.cond.notify_all()

    def task_definition(self, td: dict[str, Any]) -> None:
        arn = str(td.get("taskDefinitionArn", ""))
        images = [str(c.get("image", "")) for c in td.get("containerDefinitions", []) if c.get("image")]
        with self.cond:
            if self.in_use is None:
                self.described[arn] = images
            elif arn in self.in_use:
                self.ready.extend(images)
            self.cond.notify_all()

    def finish(self) -> None:
        with self.cond:
            self.done = True
            self.cond.notify_all()

    def follow(self) -> Iterator[list[str]]:
        """The images of the task definitions in use, each once, in lists as they become known,
        until ECS is done; nothing when ECS has not started on the region (no waiting on work that
        may still be queued). One reader per feed."""
        sent: set[str] = set()
        read = 0
        while True:
            with self.cond:
                while read == len(self.ready) and self.started and not self.done:
                    self.cond.wait()
                fresh, read = self.ready[read:], len(self.ready)
                over = self.done or not self.started
            fresh = [i for i in dict.fromkeys(fresh) if i not in sent]
            if fresh:
                sent.update(fresh)
                yield fresh
            elif over:
                return


@dataclass
class Shared:
    lock: threading.Lock = field(default_factory=threading.Lock)
    # (account, region, repository) -> image reference (tag or digest) -> task definition ARNs
    images_in_use: dict[tuple[str, str, str], dict[str, set[str]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(set))
    )
    # (account, region) -> in-use image digest -> image resource id
    in_use_digests: dict[tuple[str, str], dict[str, str]] = field(default_factory=lambda: defaultdict(dict))
    # (account, region) -> log group name -> referring resources
    log_groups: dict[tuple[str, str], dict[str, set[str]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(set))
    )
    # (account, region) -> key id, alias or ARN -> referring resources
    kms_keys: dict[tuple[str, str], dict[str, set[str]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(set))
    )
    # account -> trail ARN -> {"trail": describe_trails object, "regions": [regions listing it]}
    trails: dict[str, dict[str, dict[str, Any]]] = field(default_factory=lambda: defaultdict(dict))
    # (account, region) -> whether Inspector scans ECR images there (None = unknown)
    inspector_ecr: dict[tuple[str, str], bool | None] = field(default_factory=dict)
    # (account, region) whose registry has been read; accounts whose images another account's
    # task definitions named after that (their registry is read again at the end)
    registries_read: set[tuple[str, str]] = field(default_factory=set)
    late: set[str] = field(default_factory=set)
    # (account, region) -> the images its task definitions in use name, as ECS reads them
    feeds: dict[tuple[str, str], InUseFeed] = field(default_factory=dict)

    def feed(self, account: str, region: str) -> InUseFeed:
        with self.lock:
            return self.feeds.setdefault((account, region), InUseFeed())

    def registry_read(self, account: str, regions: list[str]) -> None:
        with self.lock:
            self.registries_read.update((account, r) for r in regions)

    def forget(self, account: str) -> None:
        """Drop an account's own facts once its work is done. Image references into its registry
        stay: another account's task definitions may still name its images."""
        with self.lock:
            for table in (self.in_use_digests, self.log_groups, self.kms_keys, self.inspector_ecr, self.feeds):
                for key in [k for k in table if k[0] == account]:
                    del table[key]
            self.trails.pop(account, None)

    def use_image(self, image: str, referrer: str) -> ImageRef:
        ref = ImageRef.parse(image)
        where = ref.ecr
        if where is not None:
            referrer_account = referrer.split(":")[4] if referrer.count(":") >= 5 else ""
            with self.lock:
                bucket = self.images_in_use[(where[0], where[1], ref.repository)]
                bucket[ref.key].add(referrer)
                if referrer_account != where[0] and (where[0], where[1]) in self.registries_read:
                    self.late.add(where[0])
        return ref

    def use_log_group(self, account: str, region: str, name: str, referrer: str) -> None:
        with self.lock:
            self.log_groups[(account, region)][name].add(referrer)

    def use_key(self, account: str, region: str, key: str, referrer: str) -> None:
        if not key:
            return
        key_region = region_of_arn(key) or region
        with self.lock:
            self.kms_keys[(account, key_region)][key].add(referrer)
