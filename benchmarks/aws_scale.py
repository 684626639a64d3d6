"""How the AWS collector scales: wall time, API requests against the minimum, and peak memory.

Seeds a moto server (run in a child process, so its memory does not count) with, per account
(the caller's own, and with --accounts members reached by assuming a role) and per region,
N task definition families with one service each and R repositories of I images each, runs a
full collection, and prints:

* requests per operation, counted at the server, next to the minimum a collector needs to
  gather the same evidence (batch sizes at their API maximum, one call where no batch API exists);
* wall time of the collection (at the given request-rate limit), then a second collection of the
  same estate with tracemalloc on for its memory;
* peak Python memory of the collection (tracemalloc), total and per resource collected;
* the most requests the server saw in any one second (from its request log).

With --extras the estate also has a load balancer per cluster (HTTPS and HTTP listeners, an ACM
certificate), an EKS cluster, a GuardDuty detector, log groups and a multi-region trail.
``MotoServer``, ``seed_estate``, ``minimum`` and ``peak_rate`` are reused by ``run.py``.

Usage: python benchmarks/aws_scale.py [--scales 1 4] [--regions us-east-1 eu-west-1] [--accounts 1]
                                      [--max-rps 1000] [--extras]
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
    import json, re, sys, threading, time
    from collections import Counter
    from io import BytesIO
    from urllib.parse import parse_qs
    from werkzeug.serving import make_server
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app

    counts = Counter()
    log = []  # one [unix time, service, operation, HTTP status] per request; 429: a throttle injected here
    throttle = {"every": 0, "n": 0}
    latency = {"s": 0.0}  # added to every AWS answer: the round trip a real endpoint costs
    lock = threading.Lock()
    app = DomainDispatcherApplication(create_backend_app)

    def operation(environ, body):
        target = environ.get("HTTP_X_AMZ_TARGET")
        if target:
            return target.rsplit(".", 1)[-1]
        action = parse_qs(body.decode(errors="replace")).get("Action") or parse_qs(environ.get("QUERY_STRING", "")).get("Action")
        if action:
            return action[0]
        # REST protocols: keep the path's fixed words, hide names and ids (anything with a digit
        # or a capital), keep bare query flags (S3 sub-resources such as ?policy)
        words = [w if re.fullmatch(r"[a-z]+(-[a-z]+)*", w) else "{x}" for w in environ.get("PATH_INFO", "").split("/")[1:]]
        flags = sorted(k for k, v in parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True).items() if v == [""])
        return environ["REQUEST_METHOD"] + " /" + "/".join(words) + ("?" + "&".join(flags) if flags else "")

    def service(environ):
        m = re.search(r"Credential=[^/]+/[^/]+/[^/]+/([^/]+)/", environ.get("HTTP_AUTHORIZATION", ""))
        return m.group(1) if m else "?"

    def signer(environ):
        # (access key id, region) of the signature: throttling is per account and region
        m = re.search(r"Credential=([^/]+)/[^/]+/([^/]+)/", environ.get("HTTP_AUTHORIZATION", ""))
        return [m.group(1), m.group(2)] if m else ["?", "?"]

    def protocol(environ, body, svc):
        if environ.get("HTTP_X_AMZ_TARGET"):
            return "json"
        if b"Action=" in body or "Action=" in environ.get("QUERY_STRING", ""):
            return "query"
        return "rest-xml" if svc == "s3" else "rest-json"

    def error(start_response, proto, status, code, message):
        # an error in the shape the protocol's parser reads, so the client classifies it by its code
        if proto in ("json", "rest-json"):
            body = json.dumps({"__type": code, "message": message}).encode()
            headers = [("Content-Type", "application/x-amz-json-1.1"), ("x-amzn-ErrorType", code)]
        else:
            body = ("<ErrorResponse><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error>"
                    "<RequestId>bench</RequestId></ErrorResponse>" % (code, message)).encode()
            headers = [("Content-Type", "text/xml")]
        start_response(status, headers)
        return [body]

    def counting(environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path.startswith("/_bench/"):
            with lock:
                if path == "/_bench/counts":
                    data = json.dumps({"|".join(k): v for k, v in counts.items()}).encode()
                elif path == "/_bench/log":
                    data = json.dumps(log).encode()
                elif path == "/_bench/latency":
                    latency["s"], data = float(parse_qs(environ.get("QUERY_STRING", "")).get("ms", ["0"])[0]) / 1000, b""
                elif path == "/_bench/throttle":
                    throttle["every"], throttle["n"] = int(parse_qs(environ.get("QUERY_STRING", "")).get("every", ["0"])[0]), 0
                    data = b""
                else:  # /_bench/reset
                    counts.clear()
                    log.clear()
                    data = b""
            start_response("200 OK", [("Content-Type", "application/json")])
            return [data]
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = BytesIO(body)
        if path.startswith("/moto-api"):
            return app(environ, start_response)
        key = (service(environ), operation(environ, body))
        with lock:
            counts[key] += 1
            entry = [time.time(), key[0], key[1], 0, *signer(environ)]
            log.append(entry)
            throttle["n"] += 1
            refuse = throttle["every"] and throttle["n"] % throttle["every"] == 0

        if latency["s"]:
            time.sleep(latency["s"])

        def recording(status, headers, exc_info=None):
            entry[3] = int(status.split()[0])
            return start_response(status, headers, exc_info)

        proto = protocol(environ, body, key[0])
        if refuse:
            code = "Throttling" if proto == "query" else "SlowDown" if proto == "rest-xml" else "ThrottlingException"
            answer = error(recording, proto, "400 Bad Request", code, "Rate exceeded")
            entry[3] = 429  # in the log only: told apart from moto's own 400 answers
            return answer
        try:
            return list(app(environ, recording))
        except Exception:
            # an operation moto lacks: say so with 501, which no client retries, instead of the
            # 500 every client would retry with back-off (moto's gap would be billed to the tool)
            return error(recording, proto, "501 Not Implemented", "NotImplemented", "not implemented by the stand-in")

    server = make_server("127.0.0.1", 0, counting, threaded=True, request_handler=MotoRequestHandler)
    print(server.server_address[1], flush=True)
    server.serve_forever()
    """
)


class MotoServer:
    """moto in a child process (its memory and CPU are not the collector's) that counts and logs
    every AWS request it answers: one entry per request with its time, service, operation, status,
    and the access key id and region it was signed with."""

    def __init__(self) -> None:
        # moto otherwise invents hundreds of public machine images (and their snapshots) that no
        # real account owns; a scanner that lists snapshots would be measured on those
        env = {**os.environ, "MOTO_EC2_LOAD_DEFAULT_AMIS": "false"}
        self.proc = subprocess.Popen(
            [sys.executable, "-c", SERVER], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env
        )
        self.endpoint = f"http://127.0.0.1:{int(self.proc.stdout.readline())}"

    def __enter__(self) -> MotoServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait()

    def post(self, path: str) -> bytes:
        return http(self.endpoint, path)

    def reset_state(self) -> None:
        """Forget every resource (a fresh, empty estate) and every count."""
        self.post("/moto-api/reset")
        self.clear_log()

    def clear_log(self) -> None:
        self.post("/_bench/reset")

    def throttle_every(self, n: int) -> None:
        """Answer every n-th request with a throttling error (0: never)."""
        self.post(f"/_bench/throttle?every={n}")

    def latency(self, ms: float) -> None:
        """Delay every AWS answer by ``ms`` milliseconds (0: answer at once)."""
        self.post(f"/_bench/latency?ms={ms:g}")

    def counts(self) -> Counter:
        return Counter({tuple(k.split("|", 1)): v for k, v in json.loads(self.post("/_bench/counts")).items()})

    def log(self) -> list[tuple]:
        return [tuple(e) for e in json.loads(self.post("/_bench/log"))]


def start_server() -> tuple[subprocess.Popen, str]:
    server = MotoServer()
    return server.proc, server.endpoint


def http(endpoint: str, path: str) -> bytes:
    with urllib.request.urlopen(urllib.request.Request(endpoint + path, method="POST", data=b"")) as resp:
        return resp.read()


def aws_env(endpoint: str, region: str) -> dict[str, str]:
    """Environment that points boto3 (and anything built on botocore) at the server with dummy keys."""
    return {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_DEFAULT_REGION": region,
        "AWS_REGION": region,
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
    }


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


def seed(
    region: str,
    families: int,
    repos: int,
    images: int,
    services_per_cluster: int,
    extras: bool = False,
    session=None,
) -> None:
    """Per region: ``repos`` repositories of ``images`` images, ``families`` task definitions each run
    by one service, ``services_per_cluster`` services per cluster. With ``extras``, also what the
    other services read: per cluster an application load balancer with an HTTPS listener (an ACM
    certificate) and an HTTP redirect listener; one EKS cluster, one GuardDuty detector, the log
    groups the task definitions write to. ``session``: the account to seed (default: the process
    environment's)."""
    import boto3

    session = session or boto3.session.Session()
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
    if extras:
        _seed_extras(session, region, clusters)


def _seed_extras(session, region: str, load_balancers: int) -> None:
    ec2 = session.client("ec2", region_name=region)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    zones = [z["ZoneName"] for z in ec2.describe_availability_zones()["AvailabilityZones"]][:2]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=z)["Subnet"]["SubnetId"]
        for i, z in enumerate(zones)
    ]
    cert = session.client("acm", region_name=region).request_certificate(DomainName=f"app.{region}.example.com")
    elbv2 = session.client("elbv2", region_name=region)
    for n in range(load_balancers):
        lb = elbv2.create_load_balancer(Name=f"lb-{n}", Subnets=subnets, Type="application")
        arn = lb["LoadBalancers"][0]["LoadBalancerArn"]
        elbv2.create_listener(
            LoadBalancerArn=arn,
            Protocol="HTTPS",
            Port=443,
            Certificates=[{"CertificateArn": cert["CertificateArn"]}],
            SslPolicy="ELBSecurityPolicy-TLS13-1-2-2021-06",
            DefaultActions=[{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "200"}}],
        )
        elbv2.create_listener(
            LoadBalancerArn=arn,
            Protocol="HTTP",
            Port=80,
            DefaultActions=[
                {"Type": "redirect", "RedirectConfig": {"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"}}
            ],
        )
    session.client("eks", region_name=region).create_cluster(
        name="platform-1",
        roleArn="arn:aws:iam::123456789012:role/eks-cluster",
        resourcesVpcConfig={"subnetIds": subnets, "endpointPublicAccess": False, "endpointPrivateAccess": True},
        logging={"clusterLogging": [{"types": ["api", "audit", "authenticator"], "enabled": True}]},
    )
    session.client("guardduty", region_name=region).create_detector(Enable=True)
    logs = session.client("logs", region_name=region)
    for n in range(5):
        logs.create_log_group(logGroupName=f"/ecs/app-{n}")
        logs.put_retention_policy(logGroupName=f"/ecs/app-{n}", retentionInDays=365)


def _seed_trail(region: str, session, bucket: str) -> None:
    kwargs = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    session.client("s3", region_name=region).create_bucket(Bucket=bucket, **kwargs)
    trails = session.client("cloudtrail", region_name=region)
    trails.create_trail(Name="organisation", S3BucketName=bucket, IsMultiRegionTrail=True, EnableLogFileValidation=True)
    trails.start_logging(Name="organisation")


def member_role(account: str) -> str:
    """The role a collection assumes in a member account (moto lets any role be assumed)."""
    return f"arn:aws:iam::{account}:role/auditprep-audit"


def member_accounts(accounts: int) -> list[str]:
    """Account ids of the ``accounts - 1`` member accounts beside the caller's own."""
    return [f"2109876543{n:02d}" for n in range(1, accounts)]


def account_session(account: str | None):
    """A boto3 session in ``account`` (by assuming its ``member_role``), or the caller's own (None)."""
    import boto3

    base = boto3.session.Session()
    if account is None:
        return base
    creds = base.client("sts").assume_role(RoleArn=member_role(account), RoleSessionName="seed")["Credentials"]
    return boto3.session.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )


def seed_estate(
    regions: list[str],
    families: int,
    repos: int,
    images: int,
    per_cluster: int,
    extras: bool = False,
    accounts: int = 1,
) -> None:
    """Seed every region of every account, in parallel (uses the process environment: see
    ``aws_env``). Account 1 is the caller's own; the others are reached through ``member_role``.
    With ``extras``, each account gets one multi-region trail, in the first region."""
    sessions = [account_session(a) for a in [None, *member_accounts(accounts)]]
    jobs = [(session, region) for session in sessions for region in regions]
    with ThreadPoolExecutor(min(len(jobs), 4)) as pool:
        list(pool.map(lambda job: seed(job[1], families, repos, images, per_cluster, extras, job[0]), jobs))
    if extras:
        for n, session in enumerate(sessions):  # bucket names are global: one per account
            _seed_trail(regions[0], session, f"trail-{regions[0]}-{n}")


def minimum(
    regions: int, families: int, repos: int, images: int, per_cluster: int, extras: bool = False, accounts: int = 1
) -> dict[str, int]:
    """Fewest requests that gather the same evidence, per operation, over all regions of all
    accounts (the operations whose count grows with the estate; fixed per-region calls are not
    listed)."""
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
    if extras:  # one load balancer per cluster; listeners can only be listed per load balancer
        per_region["DescribeLoadBalancers"] = math.ceil(clusters / 400)
        per_region["DescribeListeners"] = clusters
    return {op: n * regions * accounts for op, n in per_region.items()}


def peak_rate(log: list[tuple[float, str, str, int]], window: float = 1.0) -> int:
    """Most requests seen in any sliding window of ``window`` seconds."""
    times = sorted(e[0] for e in log)
    best = lo = 0
    for hi, t in enumerate(times):
        while times[lo] <= t - window:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


def busiest_per_scope(log: list[tuple]) -> list[dict]:
    """The busiest second of each throttling scope, counted at the server, beside the limit auditprep
    keeps there: per (account key, region, service), and per action where the service limits each
    action (ECS) or one action has a lower limit of its own. Highest share of its limit first."""
    from auditprep.collect.aws import ratelimit

    client_name = {"elasticloadbalancing": "elbv2"}
    scopes: dict[tuple, list[tuple]] = {}
    for e in log:
        if len(e) < 6:
            continue
        svc = client_name.get(e[1], e[1])
        per_action = svc in ratelimit.PER_ACTION
        scopes.setdefault((e[4], e[5], svc, e[2] if per_action else ""), []).append(e)
        if (svc, e[2]) in ratelimit.OPERATION_RULES:
            scopes.setdefault((e[4], e[5], svc, e[2]), []).append(e)
    out = []
    for (key, region, svc, action), entries in scopes.items():
        rule = ratelimit.OPERATION_RULES.get((svc, action)) or ratelimit.SERVICE_RULES.get(svc, ratelimit.DEFAULT_RULE)
        peak = peak_rate(entries)
        out.append(
            {
                "key": key,
                "region": region,
                "service": svc,
                "action": action,
                "requests": len(entries),
                "busiest": peak,
                "limit": rule.burst,
            }
        )
    return sorted(out, key=lambda r: (-r["busiest"] / r["limit"], -r["requests"]))


def sizes(scale: int) -> dict[str, int]:
    """The estate at a scale: per region, 25 task definitions and services and 5 repositories of 10
    images per unit of scale, 25 services per cluster."""
    return {"families": 25 * scale, "repos": 5 * scale, "images": 10, "per_cluster": 25}


def run(
    scale: int,
    regions: list[str],
    max_rps: float,
    *,
    server: MotoServer | None = None,
    extras: bool = False,
    estate: dict[str, int] | None = None,
    accounts: int = 1,
) -> dict:
    """Seed a fresh estate and collect it in this process twice: timed, then memory traced.
    ``estate`` overrides ``sizes(scale)``; ``server`` reuses a running server (its state is reset
    first); ``accounts`` > 1 adds member accounts, collected through their roles as well."""
    from auditprep.collect.aws import collect_aws

    e = estate or sizes(scale)
    families, repos, images, per_cluster = e["families"], e["repos"], e["images"], e["per_cluster"]
    own = server is None
    server = server or MotoServer()
    saved = dict(os.environ)
    try:
        server.reset_state()
        os.environ.update(aws_env(server.endpoint, regions[0]))
        started = time.perf_counter()
        seed_estate(regions, families, repos, images, per_cluster, extras, accounts)
        roles = [member_role(a) for a in member_accounts(accounts)]
        seeding = time.perf_counter() - started
        server.clear_log()
        # timed without tracing (tracemalloc slows Python down severalfold), then once more on the
        # same estate with memory traced
        start = time.perf_counter()
        outcome = collect_aws(regions=regions, role_arns=roles, max_rps=max_rps, max_workers=8)
        wall = time.perf_counter() - start
        counts = server.counts()
        log = server.log()
        del outcome
        tracemalloc.start()
        outcome = collect_aws(regions=regions, role_arns=roles, max_rps=max_rps, max_workers=8)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    finally:
        os.environ.clear()
        os.environ.update(saved)
        if own:
            server.close()
    items = sum(1 for ev in outcome.evidence if ev.resource)
    return {
        "scale": scale,
        "families": families,
        "repos": repos,
        "images": images,
        "regions": len(regions),
        "accounts": accounts,
        "targets": len(outcome.targets),
        "seeding": seeding,
        "wall": wall,
        "peak": peak,
        "items": items,
        "counts": counts,
        "requests": sum(counts.values()),
        "peak_rps": peak_rate(log),
        "minimum": minimum(len(regions), families, repos, images, per_cluster, extras, accounts),
    }


def report(r: dict) -> None:
    print(
        f"\n== scale {r['scale']}: {r['accounts']} accounts x {r['regions']} regions x ({r['families']} task definitions + services, "
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
        f"({r['peak'] / max(1, r['items']) / 1e3:.1f} kB per item); "
        f"busiest second {r['peak_rps']} requests"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--regions", nargs="+", default=["us-east-1", "eu-west-1"])
    parser.add_argument("--accounts", type=int, default=1, help="the caller's own account and N-1 member accounts")
    parser.add_argument("--max-rps", type=float, default=1000.0)
    parser.add_argument("--extras", action="store_true", help="also load balancers, EKS, GuardDuty, logs, a trail")
    args = parser.parse_args()
    with MotoServer() as server:
        results = [
            run(s, args.regions, args.max_rps, server=server, extras=args.extras, accounts=args.accounts)
            for s in args.scales
        ]
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
