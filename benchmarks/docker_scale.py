"""How the Docker collector scales: wall time, Engine API requests per object, memory.

Builds a host with N containers and M images on the daemon at DOCKER_HOST (created, never
started; the images are tiny ``docker load`` archives with an os-release and a dpkg database),
collects it, and prints figures. It measures at a smaller size first and then at the full size,
so growth can be compared, and once more with the first run's inventories passed back in
(nothing is exported again). Finally it streams the export of one large image to show that
reading an image's packages does not cost memory in proportion to the image.

    DOCKER_HOST=unix:///path/to/docker.sock python benchmarks/docker_scale.py --containers 300 --images 100

Everything it creates carries a label and is removed at the end (use --keep to look at it).
This is a script that prints figures, not a test.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import resource
import sys
import tarfile
import time
import tracemalloc
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import docker

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from auditprep.collect.docker import collect_docker  # noqa: E402
from auditprep.collect.docker.hosts import default_client  # noqa: E402
from auditprep.collect.docker.inventory import read_export  # noqa: E402

LABEL = "auditprep.benchmark"


def _tar(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        for name, data in entries.items():
            info = tarfile.TarInfo(name)
            info.size, info.mtime = len(data), 1_600_000_000
            tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def _dpkg(n: int, seed: int) -> bytes:
    return "\n".join(
        f"Package: pkg{i}\nStatus: install ok installed\nVersion: 1.{i}.{seed}-1\nArchitecture: amd64\n"
        for i in range(n)
    ).encode()


def _archive(images: list[tuple[str, list[bytes]]]) -> bytes:
    """One ``docker load`` archive holding several images (one request loads them all)."""
    out = io.BytesIO()
    manifest = []
    with tarfile.open(fileobj=out, mode="w") as tf:
        for tag, layers in images:
            diff_ids = ["sha256:" + hashlib.sha256(layer).hexdigest() for layer in layers]
            names = []
            for layer, diff in zip(layers, diff_ids, strict=True):
                name = f"{diff[7:23]}/layer.tar"
                if name not in tf.getnames():
                    info = tarfile.TarInfo(name)
                    info.size = len(layer)
                    tf.addfile(info, io.BytesIO(layer))
                names.append(name)
            config = json.dumps(
                {
                    "architecture": "amd64",
                    "os": "linux",
                    "created": "2026-01-01T00:00:00Z",
                    "config": {"Cmd": ["/bin/true"], "Labels": {LABEL: "1"}},
                    "rootfs": {"type": "layers", "diff_ids": diff_ids},
                    "history": [{"created_by": f"layer {i}"} for i in range(len(layers))],
                }
            ).encode()
            cfg = hashlib.sha256(config).hexdigest() + ".json"
            info = tarfile.TarInfo(cfg)
            info.size = len(config)
            tf.addfile(info, io.BytesIO(config))
            manifest.append({"Config": cfg, "RepoTags": [tag], "Layers": names})
        data = json.dumps(manifest).encode()
        info = tarfile.TarInfo("manifest.json")
        info.size = len(data)
        tf.addfile(info, io.BytesIO(data))
    return out.getvalue()


class Host:
    def __init__(self, api: docker.APIClient, prefix: str):
        self.api = api
        self.prefix = prefix
        self.images: list[str] = []
        self.containers: list[str] = []

    def grow(self, containers: int, images: int) -> None:
        base = _tar({"etc/os-release": b'ID=debian\nVERSION_ID="12"\nPRETTY_NAME="Debian GNU/Linux 12"\n'})
        new = []
        for i in range(len(self.images), images):
            tag = f"{self.prefix}/img{i}:1"
            new.append((tag, [base, _tar({"var/lib/dpkg/status": _dpkg(60, i), "app/id": str(i).encode()})]))
        for start in range(0, len(new), 50):
            list(self.api.load_image(_archive(new[start : start + 50])))
        self.images += [self.api.inspect_image(tag)["Id"] for tag, _ in new]

        def create(i: int) -> str:
            return self.api.create_container(
                self.images[i % len(self.images)],
                name=f"{self.prefix}-c{i}",
                labels={LABEL: self.prefix},
                host_config=self.api.create_host_config(network_mode="none", read_only=i % 2 == 0),
            )["Id"]

        with ThreadPoolExecutor(8) as pool:
            self.containers += list(pool.map(create, range(len(self.containers), containers)))

    def big_image(self, megabytes: int) -> str:
        payload = os.urandom(1024 * 1024)
        layer = io.BytesIO()
        with tarfile.open(fileobj=layer, mode="w") as tf:
            info = tarfile.TarInfo("var/lib/dpkg/status")
            status = _dpkg(200, 0)
            info.size = len(status)
            tf.addfile(info, io.BytesIO(status))
            info = tarfile.TarInfo("opt/blob.bin")
            info.size = megabytes * len(payload)
            tf.addfile(info, _Repeat(payload, megabytes))
        tag = f"{self.prefix}/big:1"
        list(self.api.load_image(_archive([(tag, [layer.getvalue()])])))
        image_id = self.api.inspect_image(tag)["Id"]
        self.images.append(image_id)
        return image_id

    def remove(self) -> None:
        for c in self.api.containers(all=True, filters={"label": f"{LABEL}={self.prefix}"}):
            self.api.remove_container(c["Id"], force=True)
        for image_id in self.images:
            try:
                self.api.remove_image(image_id, force=True)
            except docker.errors.APIError:
                pass


class _Repeat(io.RawIOBase):
    def __init__(self, block: bytes, times: int):
        self.block, self.left, self.pos = block, times, 0

    def read(self, n: int = -1) -> bytes:
        if not self.left:
            return b""
        out = self.block[self.pos : self.pos + (n if n > 0 else len(self.block))]
        self.pos += len(out)
        if self.pos >= len(self.block):
            self.pos, self.left = 0, self.left - 1
        return out


class Counting:
    """A client factory that counts every Engine API request by kind of call."""

    def __init__(self):
        self.calls: Counter[str] = Counter()

    def __call__(self, target):
        api = default_client(target)
        api.hooks["response"].append(self._hook)
        return api

    def _hook(self, response, *args, **kwargs):
        path = urlsplit(response.request.url).path
        parts = path.split("/")[2:] if path.startswith("/v1.") else path.split("/")[1:]
        if len(parts) == 3:  # /containers/{id}/json, /images/{id}/get ...
            key = f"{parts[0]}/{{id}}/{parts[2]}"
        else:
            key = "/".join(parts)
        self.calls[key] += 1
        return response


def run(url: str, known: dict | None = None, *, memory: bool = False):
    counter = Counting()
    if memory:
        tracemalloc.start()
    started = time.perf_counter()
    outcome = collect_docker([url], client_factory=counter, known_inventories=known or {})
    wall = time.perf_counter() - started
    peak = retained = 0
    if memory:
        retained, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return outcome, counter.calls, wall, peak, retained


def report(title: str, outcome, calls: Counter, wall: float, peak: int = 0, retained: int = 0) -> None:
    containers = sum(1 for e in outcome.evidence if e.kind == "docker.container" and e.resource)
    images = sum(1 for e in outcome.evidence if e.kind == "docker.image" and e.resource)
    total = sum(calls.values())
    print(f"\n{title}: {containers} containers, {images} images, {len(outcome.evidence)} evidence records")
    print(f"  wall time               {wall:8.2f} s")
    print(f"  requests                {total:8d}  ({total / max(1, containers + images):.2f} per container+image)")
    print(
        f"  container inspects      {calls['containers/{id}/json']:8d}  ({calls['containers/{id}/json'] / max(1, containers):.2f} per container)"
    )
    print(
        f"  image inspects          {calls['images/{id}/json']:8d}  ({calls['images/{id}/json'] / max(1, images):.2f} per image)"
    )
    print(
        f"  image histories         {calls['images/{id}/history']:8d}  ({calls['images/{id}/history'] / max(1, images):.2f} per image)"
    )
    print(
        f"  image exports           {calls['images/{id}/get']:8d}  ({calls['images/{id}/get'] / max(1, images):.2f} per image)"
    )
    lists = {k: v for k, v in calls.items() if "{id}" not in k}
    print(f"  list and daemon calls   {sum(lists.values()):8d}  {dict(sorted(lists.items()))}")
    if peak:
        evidence_bytes = len(json.dumps([e.model_dump(mode="json") for e in outcome.evidence]))
        print(f"  peak traced memory      {peak / 2**20:8.1f} MiB")
        print(
            f"  retained after run      {retained / 2**20:8.1f} MiB  (the evidence itself; {evidence_bytes / 2**20:.1f} MiB as JSON)"
        )
        print(f"  working memory          {(peak - retained) / 2**20:8.1f} MiB  (peak minus what the result keeps)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--containers", type=int, default=300)
    parser.add_argument("--images", type=int, default=100)
    parser.add_argument("--big-image-mb", type=int, default=64)
    parser.add_argument("--keep", action="store_true", help="leave the benchmark's containers and images in place")
    args = parser.parse_args()
    url = os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"
    api = docker.APIClient(**docker.utils.kwargs_from_env(), version="auto", timeout=120)
    host = Host(api, f"apbench-{uuid.uuid4().hex[:6]}")
    print(f"Docker host {url}: Engine {api.version()['Version']}, storage driver {api.info()['Driver']}")
    try:
        sizes = [(max(1, args.containers // 3), max(1, args.images // 3)), (args.containers, args.images)]
        for n, m in sizes:
            started = time.perf_counter()
            host.grow(n, m)
            print(f"\n== host grown to {n} containers and {m} images in {time.perf_counter() - started:.1f} s ==")
            cold = run(url)
            report("first collection (every image exported)", *cold)
            known = {e.resource: e.data for e in cold[0].evidence if e.kind == "docker.image_inventory" and e.resource}
            report("repeat collection (inventories passed back in)", *run(url, known))
            report("first collection, memory traced", *run(url, memory=True))
            report("repeat collection, memory traced", *run(url, known, memory=True))

        big = host.big_image(args.big_image_mb)
        tracemalloc.start()
        started = time.perf_counter()
        inventory = read_export(default_client_for(url).get_image(big, chunk_size=256 * 1024))
        wall = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(
            f"\nlarge image: export of {inventory['bytes_read'] / 2**20:.0f} MiB read once in {wall:.2f} s, "
            f"{len(inventory['packages'])} packages found, peak traced memory {peak / 2**20:.1f} MiB"
        )
        print(f"process peak resident size: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    finally:
        if not args.keep:
            host.remove()
    return 0


def default_client_for(url: str) -> docker.APIClient:
    from auditprep.collect.docker.hosts import resolve_hosts

    return default_client(resolve_hosts([url])[0])


if __name__ == "__main__":
    raise SystemExit(main())
