"""How the AWS collector scales: wall time, API requests against the minimum, and peak memory.

Seeds a moto server (run in a child process, so its memory does not count) with, per region,
N task definition families with one service each and R repositories of I images each, runs a
full collection, and prints:

* requests per operation, counted at the server, next to the minimum a collector needs to
  gather the same evidence (batch sizes at their API maximum, one call where no batch API exists);
* wall time of the collection (at the given request-rate limit);
* peak Python memory of the collection (tracemalloc), total and per resource collected.

Usage: python benchmarks/aws_scale.py [--scales 1 4] [--regions us-east-1 eu-west-1] [--max-rps 1000]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import subprocess
import sys
import textwrap
import time
import tracemalloc
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SERVER = textwrap.dedent(
    """
    import json, re, sys, threading
    from collections import Counter
    from io import BytesIO
    from urllib.parse import parse_qs
    from werkzeug.serving import make_server
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app

    counts = Counter()
    lock = threading.Lock()
    app = DomainDispatcherApplication(create_backend_app)

    def operation(environ, body):
        target = environ.get("HTTP_X_AMZ_TARGET")
        if target:
            return target.rsplit(".", 1)[-1]
        action = parse_qs(body.decode(errors="replace")).get("Action") or parse_qs(environ.get("QUERY_STRING", "")).get("Action")
        if action:
            return action[0]
        path = re.sub(r"/[^/]+", "/{x}", environ.get("PATH_INFO", ""))
        return environ["REQUEST_METHOD"] + " " + path

    def service(environ):
        m = re.search(r"Credential=[^/]+/[^/]+/[^/]+/([^/]+)/", environ.get("HTTP_AUTHORIZATION", ""))
        return m.group(1) if m else "?"

    def counting(environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path == "/_bench/counts":
            with lock:
                data = json.dumps({"|".join(k): v for k, v in counts.items()}).encode()
            start_response("200 OK", [("Content-Type", "application/json")])
            return [data]
        if path == "/_bench/reset":
            with lock:
                counts.clear()
            start_response("200 OK", [])
            return [b""]
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = BytesIO(body)
        if not path.startswith("/moto-api"):
            with lock:
                counts[(service(environ), operation(environ, body))] += 1
        return app(environ, start_response)

    server = make_server("127.0.0.1", 0, counting, threaded=True, request_handler=MotoRequestHandler)
    print(server.server_address[1], flush=True)
    server.serve_forever()
    """
)


def start_server() -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", SERVER], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    port = int(proc.stdout.readline())
    return proc, f"http://127.0.0.1:{port}"


def http(endpoint: str, path: str) -> bytes:
    with urllib.request.urlopen(urllib.request.Request(endpoint + path, method="POST", data=b"")) as resp:
        return resp.read()


def manifest(seed: str) -> str:
    layer = "sha256:" + hashlib.sha256(seed.encode()).hexdigest()
    return json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 1, "digest": layer},
            "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "size": 1, "digest": layer}],
        }
    )


def seed(region: str, families: int, repos: int, images: int, services_per_cluster: int) -> None:
    import boto3

    session = boto3.session.Session()
    ecr = session.client("ecr", region_name=region)
    ecs = session.client("ecs", region_name=region)
    uris = []
    for r in range(repos):
        uri = ecr.create_repository(repositoryName=f"repo-{r}")["repository"]["repositoryUri"]
        uris.append(uri)
        for i in range(images):
            ecr.put_image(repositoryName=f"repo-{r}", imageManifest=manifest(f"{region}{r}/{i}"), imageTag=f"v{i}")
    clusters = max(1, math.ceil(families / services_per_cluster))
    for c in range(clusters):
        ecs.create_cluster(clusterName=f"cluster-{c}")
    for n in range(families):
        image = f"{uris[n % repos]}:v{n % images}" if repos else "public.ecr.aws/nginx/nginx:1"
        ecs.register_task_definition(
            family=f"app-{n}",
            containerDefinitions=[
                {
                    "name": "app",
                    "image": image,
                    "memory": 128,
                    "user": "1000",
                    "environment": [{"name": "MODE", "value": "x"}],
                    "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": f"/ecs/app-{n % 5}"}},
                }
            ],
        )
        ecs.create_service(
            cluster=f"cluster-{n // services_per_cluster}",
            serviceName=f"svc-{n}",
            taskDefinition=f"app-{n}",
            desiredCount=0,
            launchType="EC2",
        )


def minimum(regions: int, families: int, repos: int, images: int, per_cluster: int) -> dict[str, int]:
    """Fewest requests that gather the same evidence, per operation, over all regions."""
    clusters = max(1, math.ceil(families / per_cluster))
    sizes = [min(per_cluster, families - c * per_cluster) for c in range(clusters)]
    in_use_images = len({(n % repos, n % images) for n in range(families)}) if repos else 0
    per_region = {
        "ListClusters": math.ceil(clusters / 100),
        "DescribeClusters": math.ceil(clusters / 100),
        "ListServices": sum(max(1, math.ceil(s / 100)) for s in sizes),
        "DescribeServices": sum(math.ceil(s / 10) for s in sizes),
        "ListTaskDefinitionFamilies": max(1, math.ceil(families / 100)),
        "DescribeTaskDefinition": families,  # no batch API; latest revision = the one in use
        "DescribeRepositories": max(1, math.ceil(repos / 1000)),
        "GetLifecyclePolicy": repos,  # no batch API
        "DescribeImages": sum(max(1, math.ceil(images / 1000)) for _ in range(repos)),
        "BatchGetRepositoryScanningConfiguration": math.ceil(repos / 25),
        # moto's DescribeImages carries no scan summary, so each image in use needs one call
        "DescribeImageScanFindings": in_use_images,
    }
    return {op: n * regions for op, n in per_region.items()}


def run(scale: int, regions: list[str], max_rps: float) -> dict:
    from auditprep.collect.aws import collect_aws

    families, repos, images, per_cluster = 25 * scale, 5 * scale, 10, 25
    proc, endpoint = start_server()
    try:
        os.environ.update(
            AWS_ENDPOINT_URL=endpoint,
            AWS_ACCESS_KEY_ID="bench",
            AWS_SECRET_ACCESS_KEY="bench",
            AWS_DEFAULT_REGION=regions[0],
            AWS_CONFIG_FILE=os.devnull,
            AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        )
        with ThreadPoolExecutor(len(regions)) as pool:
            list(pool.map(lambda r: seed(r, families, repos, images, per_cluster), regions))
        http(endpoint, "/_bench/reset")
        tracemalloc.start()
        start = time.perf_counter()
        outcome = collect_aws(regions=regions, max_rps=max_rps, max_workers=8)
        wall = time.perf_counter() - start
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        counts = Counter({tuple(k.split("|", 1)): v for k, v in json.loads(http(endpoint, "/_bench/counts")).items()})
    finally:
        proc.terminate()
        proc.wait()
    items = sum(1 for e in outcome.evidence if e.resource)
    return {
        "scale": scale,
        "families": families,
        "repos": repos,
        "images": images,
        "regions": len(regions),
        "wall": wall,
        "peak": peak,
        "items": items,
        "counts": counts,
        "minimum": minimum(len(regions), families, repos, images, per_cluster),
    }


def report(r: dict) -> None:
    print(
        f"\n== scale {r['scale']}: {r['regions']} regions x ({r['families']} task definitions + services, "
        f"{r['repos']} repositories x {r['images']} images)"
    )
    by_op: Counter = Counter()
    for (_service, op), n in r["counts"].items():
        by_op[op] += n
    print(f"{'operation':44} {'requests':>9} {'minimum':>8} {'over':>7}")
    scaled_sent = scaled_min = 0
    for op, least in sorted(r["minimum"].items()):
        sent = by_op.pop(op, 0)
        scaled_sent += sent
        scaled_min += least
        over = f"{(sent - least) / least * 100:+.0f}%" if least else "-"
        print(f"{op:44} {sent:9d} {least:8d} {over:>7}")
    fixed = sum(by_op.values())
    print(f"{'per-region/account fixed calls (other services)':44} {fixed:9d}")
    print(
        f"scaling resources: {scaled_sent} requests for a minimum of {scaled_min} "
        f"({(scaled_sent - scaled_min) / scaled_min * 100:+.1f}%); total {scaled_sent + fixed}"
    )
    print(
        f"wall time {r['wall']:.2f} s; {r['items']} evidence items; peak memory {r['peak'] / 1e6:.1f} MB "
        f"({r['peak'] / max(1, r['items']) / 1e3:.1f} kB per item)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--regions", nargs="+", default=["us-east-1", "eu-west-1"])
    parser.add_argument("--max-rps", type=float, default=1000.0)
    args = parser.parse_args()
    results = [run(s, args.regions, args.max_rps) for s in args.scales]
    for r in results:
        report(r)
    if len(results) > 1:
        a, b = results[0], results[-1]
        print(
            f"\n{b['items'] / a['items']:.1f}x the evidence took {b['wall'] / a['wall']:.1f}x the time and "
            f"{b['peak'] / a['peak']:.1f}x the peak memory "
            f"({a['peak'] / a['items'] / 1e3:.1f} -> {b['peak'] / b['items'] / 1e3:.1f} kB per item)."
        )


if __name__ == "__main__":
    main()
