"""An AWS organisation on moto: time and peak memory of ``auditprep collect --org-role`` as the
number of member accounts grows (each with the same small estate in each region).

The organisation is made through moto's Organizations API (``CreateAccount``); every member gets,
in each region, a cluster, ``--families`` task definitions each run by a service, and
``--repos`` ECR repositories of 3 images, seeded by assuming ``OrganizationAccountAccessRole``
(moto lets any role be assumed). auditprep then runs as a whole process, as a user would start it,
with its default settings:

    auditprep collect ENG --no-docker --org-role OrganizationAccountAccessRole --region R ...

Wall time, CPU time and peak resident memory are the command's own; requests are counted at the
server. Each size has a fresh server.

    python benchmarks/org_scale.py [--accounts 50 200] [--regions us-east-1 eu-west-1]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from aws_scale import MotoServer, aws_env, manifest  # noqa: E402
from prowler_compare import auditprep_cmd, environment, timed  # noqa: E402

ROLE = "OrganizationAccountAccessRole"


def seed_org(members: int, regions: list[str], families: int, repos: int) -> list[str]:
    import boto3

    orgs = boto3.client("organizations", region_name=regions[0])
    orgs.create_organization(FeatureSet="ALL")
    ids = [
        orgs.create_account(Email=f"m{n}@example.test", AccountName=f"member-{n}")["CreateAccountStatus"]["AccountId"]
        for n in range(members)
    ]

    def one(acct: str) -> None:
        creds = boto3.client("sts", region_name=regions[0]).assume_role(
            RoleArn=f"arn:aws:iam::{acct}:role/{ROLE}", RoleSessionName="seed"
        )["Credentials"]
        session = boto3.session.Session(
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"],
        )
        for region in regions:
            ecr = session.client("ecr", region_name=region)
            ecs = session.client("ecs", region_name=region)
            uris = []
            for r in range(repos):
                uris.append(ecr.create_repository(repositoryName=f"repo-{r}")["repository"]["repositoryUri"])
                for i in range(3):
                    ecr.put_image(
                        repositoryName=f"repo-{r}", imageManifest=manifest(f"{acct}{region}{r}/{i}"), imageTag=f"v{i}"
                    )
            ecs.create_cluster(clusterName="main")
            for n in range(families):
                ecs.register_task_definition(
                    family=f"app-{n}",
                    containerDefinitions=[
                        {"name": "app", "image": f"{uris[n % repos]}:v{n % 3}", "memory": 128, "user": "1000"}
                    ],
                )
                ecs.create_service(
                    cluster="main", serviceName=f"svc-{n}", taskDefinition=f"app-{n}", desiredCount=0, launchType="EC2"
                )

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(one, ids))
    return ids


def run(members: int, regions: list[str], families: int, repos: int, work: Path) -> dict:
    with MotoServer() as server, environment(aws_env(server.endpoint, regions[0])):
        started = time.perf_counter()
        seed_org(members, regions, families, repos)
        seeded = time.perf_counter() - started
        env = {**aws_env(server.endpoint, regions[0])}
        import os

        env = {**os.environ, **env}
        eng = work / f"org-{members}.auditprep"
        subprocess.run(
            [*auditprep_cmd(), "init", str(eng), "--framework", "pci-dss"], env=env, check=True, capture_output=True
        )
        cmd = [*auditprep_cmd(), "collect", str(eng), "--no-docker", "--org-role", ROLE]
        for r in regions:
            cmd += ["--region", r]
        server.clear_log()
        result = timed(cmd, env, work / f"org-{members}.out")
        log = server.log()
        from auditprep.store import Engagement

        with Engagement.open(eng, readonly=True) as e:
            items = e.evidence_count()
            accounts = {ev.scope.account for ev in e.current_evidence(with_data=False) if ev.scope.account}
    return {
        "members": members,
        "accounts": len(accounts),
        "seed_s": seeded,
        "requests": len(log),
        "api_s": (max(e[0] for e in log) - min(e[0] for e in log)) if log else 0.0,
        "items": items,
        **{k: result[k] for k in ("wall", "cpu", "rss_mb", "rc")},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, nargs="+", default=[50, 200], help="member accounts, one run each")
    parser.add_argument("--regions", nargs="+", default=["us-east-1", "eu-west-1"])
    parser.add_argument("--families", type=int, default=3, help="task definitions and services per region")
    parser.add_argument("--repos", type=int, default=2, help="ECR repositories (3 images each) per region")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="auditprep-org-") as tmp:
        for members in args.accounts:
            print(f"  {members} member accounts x {len(args.regions)} regions ...", flush=True)
            rows.append(run(members, args.regions, args.families, args.repos, Path(tmp)))
    print(
        f"\n{'members':>8}{'accounts':>9}{'wall s':>8}{'API s':>8}{'CPU s':>8}{'peak RSS MiB':>14}{'requests':>10}"
        f"{'evidence':>10}{'s/account':>11}{'exit':>6}"
    )
    for r in rows:
        print(
            f"{r['members']:>8}{r['accounts']:>9}{r['wall']:>8.1f}{r['api_s']:>8.1f}{r['cpu']:>8.1f}{r['rss_mb']:>14.0f}"
            f"{r['requests']:>10}{r['items']:>10}{r['wall'] / max(1, r['accounts']):>11.3f}{r['rc']:>6}"
        )
    if len(rows) > 1:
        a, b = rows[0], rows[-1]
        print(
            f"{b['accounts'] / a['accounts']:.1f}x the accounts: {b['wall'] / a['wall']:.2f}x the time, "
            f"{b['rss_mb'] / a['rss_mb']:.2f}x the peak memory"
        )


if __name__ == "__main__":
    main()
