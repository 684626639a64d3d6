"""How report rendering scales, and what it costs on top of weasyprint itself.

Builds an engagement with the four frameworks and about 5,000 evidence items shaped like the
collectors' output (ECS clusters, services and task definitions in two accounts and two regions,
Docker hosts with their containers), evaluates it with the real checks, answers every control
and records an exception. Then, for each framework:

* runs the whole report (``auditprep report ENG --framework ID -o OUT.pdf``, or the same call
  through ``render_report`` when the CLI has no report command) in a fresh process;
* runs weasyprint alone on the same final HTML, in a fresh process, with the same fetcher;
* prints pages, wall and CPU time of each, their ratio (goal: at most 1.15), and the peak
  resident memory of each process.

It also prints the time and peak Python memory of building the report context alone, at a fifth
of the size and at full size, to show that memory grows with the rows printed and not faster.

Usage: python benchmarks/report_bench.py [--items 5000] [--frameworks pci-dss hipaa ...] [--repeat 2] [--keep]
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pypdf import PdfReader

from auditprep.application.evaluation import reevaluate
from auditprep.catalog import load_catalog
from auditprep.models import Answer, Attestation, ControlException, Evidence, Scope, Source
from auditprep.store import Engagement

FRAMEWORKS = ("pci-dss", "hipaa", "hitrust", "fedramp-moderate")
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
ACCOUNTS = ("111111111111", "222222222222")
REGIONS = ("us-east-1", "eu-west-1")


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


def _ev(
    kind: str,
    op: str,
    scope: Scope,
    resource: str = "",
    name: str = "",
    data: dict | None = None,
    source: Source = Source.AWS,
) -> Evidence:
    return Evidence(
        source=source,
        collector=source.value,
        operation=op,
        kind=kind,
        scope=scope,
        resource=resource,
        resource_name=name,
        collected_at=T0,
        data=data or {},
    )


def aws_evidence(per_scope: int, rnd: random.Random) -> list[Evidence]:
    """Clusters, services and task definition revisions in every account and region."""
    out: list[Evidence] = []
    for acct in ACCOUNTS:
        for region in REGIONS:
            scope = Scope(account=acct, region=region)
            for kind, op in (
                ("aws.ecs.cluster", "ecs:DescribeClusters"),
                ("aws.ecs.service", "ecs:ListServices"),
                ("aws.ecs.task_definition", "ecs:ListTaskDefinitionFamilies"),
            ):
                out.append(_ev(kind, op, scope, data={"count": 0}))
            services = max(per_scope // 30, 3)
            for c in range(3):
                arn = f"arn:aws:ecs:{region}:{acct}:cluster/cluster-{c}"
                out.append(
                    _ev(
                        "aws.ecs.cluster",
                        "ecs:DescribeClusters",
                        scope,
                        arn,
                        f"cluster-{c}",
                        {
                            "clusterArn": arn,
                            "clusterName": f"cluster-{c}",
                            "status": "ACTIVE",
                            "activeServicesCount": services // 3,
                            "runningTasksCount": services,
                            "settings": [{"name": "containerInsights", "value": rnd.choice(["enabled", "disabled"])}],
                        },
                    )
                )
            for n in range(per_scope - 3):
                family = f"app-{n % max(services, 1):03d}"
                revision = n // max(services, 1) + 1
                td_arn = f"arn:aws:ecs:{region}:{acct}:task-definition/{family}:{revision}"
                in_use = revision == 1 and n < services
                svc_arn = f"arn:aws:ecs:{region}:{acct}:service/cluster-{n % 3}/{family}"
                digest = "sha256:" + f"{rnd.getrandbits(256):064x}"
                image = f"{acct}.dkr.ecr.{region}.amazonaws.com/{family}"
                data = {
                    "taskDefinitionArn": td_arn,
                    "family": family,
                    "revision": revision,
                    "requiresCompatibilities": ["FARGATE"] if n % 2 else ["EC2"],
                    "networkMode": "awsvpc",
                    "containerDefinitions": [
                        {
                            "name": "app",
                            "image": f"{image}@{digest}" if n % 3 else f"{image}:latest",
                            "user": "1000" if n % 4 else "",
                            "readonlyRootFilesystem": bool(n % 5),
                            "privileged": n % 17 == 0,
                            "essential": True,
                            "logConfiguration": {
                                "logDriver": "awslogs",
                                "options": {"awslogs-group": f"/ecs/{family}"},
                            },
                            "environment": [{"name": "DB_PASSWORD", "value": "[REDACTED]"}],
                            "linuxParameters": {"capabilities": {"drop": ["ALL"]}},
                        }
                    ],
                    "auditprep_derived": {
                        "in_use_by_services": [svc_arn] if in_use else [],
                        "latest_revision_of_family": True,
                        "images": [],
                    },
                }
                out.append(
                    _ev(
                        "aws.ecs.task_definition",
                        "ecs:DescribeTaskDefinition",
                        scope,
                        td_arn,
                        f"{family}:{revision}",
                        data,
                    )
                )
                if in_use:
                    out.append(
                        _ev(
                            "aws.ecs.service",
                            "ecs:DescribeServices",
                            scope,
                            svc_arn,
                            family,
                            {
                                "serviceArn": svc_arn,
                                "serviceName": family,
                                "clusterArn": f"arn:aws:ecs:{region}:{acct}:cluster/cluster-{n % 3}",
                                "launchType": "FARGATE" if n % 2 else "EC2",
                                "taskDefinition": td_arn,
                                "desiredCount": 2,
                                "runningCount": 2,
                                "platformVersion": "1.4.0" if n % 2 else None,
                                "networkConfiguration": {"awsvpcConfiguration": {"assignPublicIp": "DISABLED"}},
                            },
                        )
                    )
    return out


def docker_evidence(hosts: int, containers: int) -> list[Evidence]:
    out: list[Evidence] = []
    for h in range(hosts):
        scope = Scope(host=f"tcp://docker-{h}.internal:2376")
        for kind in ("docker.daemon", "docker.container", "docker.image", "docker.network", "docker.swarm"):
            out.append(_ev(kind, "SystemInfo", scope, source=Source.DOCKER))
        out.append(
            _ev(
                "docker.daemon",
                "SystemInfo",
                scope,
                f"engine-{h}",
                f"docker-{h}",
                {
                    "ServerVersion": "24.0.7",
                    "OperatingSystem": "Amazon Linux 2023",
                    "KernelVersion": "6.1.0",
                    "Images": 20,
                    "LiveRestoreEnabled": bool(h % 2),
                    "LoggingDriver": "json-file",
                    "SecurityOptions": ["name=seccomp,profile=builtin"],
                    "Swarm": {"LocalNodeState": "inactive"},
                },
                Source.DOCKER,
            )
        )
        for c in range(containers):
            cid = f"{h:04d}{c:060d}"
            out.append(
                _ev(
                    "docker.container",
                    "ContainerInspect",
                    scope,
                    cid,
                    f"web-{h}-{c}",
                    {
                        "Id": cid,
                        "Name": f"/web-{h}-{c}",
                        "Image": "sha256:" + f"{h:032d}{c % 7:032d}",
                        "Config": {
                            "Image": f"registry.internal/web:{c % 7}",
                            "User": "" if c % 3 else "1000",
                            "Env": [{"name": "API_TOKEN", "secret_like": True}],
                            "Labels": {},
                        },
                        "State": {"Status": "running" if c % 5 else "exited", "StartedAt": "2026-10-30T09:00:00Z"},
                        "HostConfig": {
                            "Privileged": c % 29 == 0,
                            "ReadonlyRootfs": bool(c % 2),
                            "CapAdd": None,
                            "CapDrop": ["ALL"],
                            "SecurityOpt": ["no-new-privileges"],
                            "NetworkMode": "bridge",
                            "Memory": 268435456,
                            "PidsLimit": 100,
                            "RestartPolicy": {"Name": "on-failure", "MaximumRetryCount": 3},
                        },
                        "Mounts": [],
                    },
                    Source.DOCKER,
                )
            )
    return out


def build(path: Path, items: int) -> Engagement:
    catalog = load_catalog()
    rnd = random.Random(7)
    hosts = 5
    containers = items // 4 // hosts
    per_scope = (items - hosts * (containers + 6)) // (len(ACCOUNTS) * len(REGIONS)) - 10
    eng = Engagement.create(
        path,
        name="scale-2026",
        organisation="Scale Test Ltd",
        frameworks=list(FRAMEWORKS),
        actor="lead@example.com",
        clock=Clock(),
    )
    eng.set_meta("lead@example.com", period_start="2026-01-01", period_end="2026-12-31")
    eng.add_run(
        actor="eng@example.com",
        source=Source.AWS,
        started_at=T0,
        evidence=aws_evidence(per_scope, rnd),
        identity="arn:aws:iam::111111111111:role/audit",
        targets=[f"{a}/{r}" for a in ACCOUNTS for r in REGIONS],
    )
    eng.add_run(
        actor="eng@example.com",
        source=Source.DOCKER,
        started_at=T0,
        evidence=docker_evidence(hosts, containers),
        identity="5 Docker hosts",
        targets=[f"tcp://docker-{h}.internal:2376" for h in range(hosts)],
    )
    reevaluate(eng, catalog, "eng@example.com")
    answers = []
    for i, cid in enumerate(sorted(catalog.controls)):
        value = ("yes", "partial", "no", "yes")[i % 4]
        answers.append(
            Answer(
                control_id=cid,
                question_id=f"{cid}.status",
                value=value,
                narrative=f"How {cid} is met across the ECS clusters and Docker hosts, and what is "
                "left to do, in the team's words.",
                answered_by="lead@example.com",
                answered_at=T0,
            )
        )
    eng.record_answers(answers)
    eng.attest(Attestation(control_id="IR-01", attested_by="cio@example.com", attested_at=T0))
    eng.add_exception(
        ControlException(
            control_id="VUL-04",
            owner="platform@example.com",
            rationale="Legacy batch.",
            expires=T0 + timedelta(days=90),
            recorded_by="lead@example.com",
            recorded_at=T0,
        )
    )
    return eng


_SELF = textwrap.dedent("""
    import resource as _r
    _u = _r.getrusage(_r.RUSAGE_SELF)
    _measured = {"cpu": _u.ru_utime + _u.ru_stime, "rss_mb": _u.ru_maxrss / 1024}
""")


def _child(code: str) -> dict:
    """Run ``code`` in a fresh interpreter; return its JSON result with wall time, CPU time and peak memory."""
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "child failed")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out["wall"] = wall
    return out


def whole_report(eng_path: Path, framework: str, out: Path) -> dict:
    has_cli = (
        subprocess.run([sys.executable, "-m", "auditprep", "report", "--help"], capture_output=True).returncode == 0
    )
    if has_cli:
        call = (
            f"from auditprep.cli import main\nimport sys\nsys.argv=['auditprep','report',{str(eng_path)!r},"
            f"'--framework',{framework!r},'--format','pdf','-o',{str(out)!r}]\n"
            "try:\n    main()\nexcept SystemExit as e:\n    assert not e.code, e.code\n"
        )
    else:
        call = textwrap.dedent(f"""
            from pathlib import Path
            from auditprep.catalog import load_catalog
            from auditprep.report import render_report
            from auditprep.store import Engagement
            with Engagement.open(Path({str(eng_path)!r}), readonly=True) as eng:
                render_report(eng, load_catalog(), framework={framework!r}, fmt='pdf', out=Path({str(out)!r}))
        """)
    code = (
        call
        + textwrap.dedent("""
        import json
    """)
        + _SELF
        + textwrap.dedent(f"""
        print(json.dumps({{"via": {"cli" if has_cli else "api"!r}, **_measured}}))
    """)
    )
    result = _child(code)
    result["pages"] = len(PdfReader(out).pages)
    return result


def weasyprint_alone(html_path: Path, out: Path) -> dict:
    code = (
        textwrap.dedent(f"""
        import json
        from pathlib import Path
        from weasyprint import HTML
        from auditprep.report.fetcher import TemplatesOnlyFetcher
        from auditprep.report.html import templates_root
        from auditprep.report.pdf import PDF_VARIANT
        root = templates_root()
        document = HTML(string=Path({str(html_path)!r}).read_text(), base_url=root.as_uri() + "/",
                        url_fetcher=TemplatesOnlyFetcher(root)).render()
        document.write_pdf({str(out)!r}, pdf_variant=PDF_VARIANT)  # the same tagged output the report writes
    """)
        + _SELF
        + textwrap.dedent("""
        print(json.dumps({"pages": len(document.pages), **_measured}))
    """)
    )
    return _child(code)


def fastest(runs) -> dict:
    """Fastest wall and CPU time over repeated runs (the least disturbed by other load), largest memory."""
    runs = list(runs)
    best = dict(runs[0])
    best["wall"] = min(r["wall"] for r in runs)
    best["cpu"] = min(r["cpu"] for r in runs)
    best["rss_mb"] = max(r["rss_mb"] for r in runs)
    return best


def context_cost(path: Path, framework: str) -> tuple[float, float]:
    from auditprep.report.context import build_context

    catalog = load_catalog()
    with Engagement.open(path, readonly=True) as eng:
        tracemalloc.start()
        start = time.perf_counter()
        build_context(eng, catalog, framework)
        elapsed = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    return elapsed, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=5000)
    parser.add_argument("--frameworks", nargs="+", default=list(FRAMEWORKS))
    parser.add_argument("--repeat", type=int, default=1, help="run each pair N times and keep the fastest of each")
    parser.add_argument("--keep", action="store_true", help="keep the engagement and the reports")
    args = parser.parse_args()
    from auditprep import report

    work = Path(tempfile.mkdtemp(prefix="report-bench-"))
    try:
        print(f"building engagements of {args.items // 5} and {args.items} evidence items ...", flush=True)
        small = build(work / "small.engagement", args.items // 5)
        small.close()
        t = time.perf_counter()
        eng = build(work / "bench.engagement", args.items)
        print(
            f"  built in {time.perf_counter() - t:.1f} s: {eng.evidence_count()} evidence items, "
            f"{len(eng.findings())} findings"
        )
        for size, path in ((args.items // 5, work / "small.engagement"), (args.items, work / "bench.engagement")):
            elapsed, peak = context_cost(path, "pci-dss")
            print(f"  report context of {size} items: {elapsed:.2f} s, peak Python memory {peak:.1f} MiB")
        catalog = load_catalog()
        print()
        print(
            f"{'framework':<18}{'pages':>6}{'report s':>10}{'weasy s':>9}{'ratio':>7}{'report cpu':>12}"
            f"{'weasy cpu':>11}{'cpu ratio':>10}{'report MiB':>12}{'weasy MiB':>11}"
        )
        ratios = []
        own: dict[str, tuple[float, float]] = {}
        for fid in args.frameworks:
            html_path = work / f"{fid}.html"
            t0 = time.process_time()
            ctx = report.build(eng, catalog, framework=fid)
            t1 = time.process_time()
            html_path.write_text(report.html_of(ctx, catalog, "pdf"))
            own[fid] = (t1 - t0, time.process_time() - t1)
            del ctx
            alone = fastest(weasyprint_alone(html_path, work / f"{fid}-alone.pdf") for _ in range(args.repeat))
            whole = fastest(
                whole_report(work / "bench.engagement", fid, work / f"{fid}.pdf") for _ in range(args.repeat)
            )
            ratio, cpu_ratio = whole["wall"] / alone["wall"], whole["cpu"] / alone["cpu"]
            ratios.append(cpu_ratio)
            assert whole["pages"] == alone["pages"], (whole["pages"], alone["pages"])
            print(
                f"{fid:<18}{whole['pages']:>6}{whole['wall']:>10.1f}{alone['wall']:>9.1f}{ratio:>7.3f}"
                f"{whole['cpu']:>12.1f}{alone['cpu']:>11.1f}{cpu_ratio:>10.3f}{whole['rss_mb']:>12.0f}"
                f"{alone['rss_mb']:>11.0f}"
            )
        eng.close()
        print()
        print(
            f"worst CPU ratio of the whole report to weasyprint alone: {max(ratios):.3f} (goal <= 1.15); "
            f"report path: {whole['via']}"
        )
        print("times and peak resident memory are of whole processes, from interpreter start to exit;")
        print("on a shared machine CPU and wall times vary by several per cent between identical runs.")
        print("the report's own work, measured in this process (CPU seconds; the rest is weasyprint):")
        for fid, (context, html) in own.items():
            print(f"  {fid:<18} context {context:5.2f} s   HTML {html:5.2f} s")
    finally:
        if args.keep:
            print(f"kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
