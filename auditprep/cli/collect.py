"""Commands that gather evidence: collect, the policy it needs, and imports of other tools' findings."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from auditprep.cli.common import (
    EXIT_PARTIAL,
    actor,
    fail,
    load_catalog,
    open_engagement,
)

MIN_RPS, MAX_RPS = 0.01, 10_000.0  # one request every 100 s at the slowest; beyond the top, no limit is felt


def _positive_rate(_ctx: click.Context, _param: click.Parameter, value: float) -> float:
    import math

    if not (math.isfinite(value) and MIN_RPS <= value <= MAX_RPS):
        raise click.BadParameter(
            f"give a number of requests per second above 0, from {MIN_RPS:g} to {MAX_RPS:g}, such as 20 or 0.5."
        )
    return value


def _known_regions(_ctx: click.Context, _param: click.Parameter, value: tuple[str, ...]) -> tuple[str, ...]:
    """Region names botocore knows in any partition (no network); a typo is a usage error, not a gap."""
    if not value:
        return value
    from auditprep.collect.aws.regions import known_regions

    known = known_regions()
    unknown = [r for r in value if r not in known]
    if unknown:
        raise click.BadParameter(
            f"{', '.join(repr(r) for r in unknown)} is not an AWS region name; the valid ones are: "
            f"{', '.join(sorted(known))}."
        )
    return value


@click.command()
@click.argument("engagement", type=click.Path(path_type=Path))
@click.option("--profile", "profiles", multiple=True, help="AWS profile (repeatable; default: the standard chain).")
@click.option(
    "--region",
    "regions",
    multiple=True,
    callback=_known_regions,
    help="AWS region (repeatable; default: every enabled region).",
)
@click.option("--role-arn", "role_arns", multiple=True, help="Role to assume in another account (repeatable).")
@click.option(
    "--docker",
    "docker_hosts",
    multiple=True,
    help="Docker host URL (repeatable; default: DOCKER_HOST or the local socket).",
)
@click.option("--no-aws", is_flag=True, help="Do not collect from AWS.")
@click.option("--no-docker", is_flag=True, help="Do not collect from Docker.")
@click.option(
    "--max-rps",
    type=float,
    callback=_positive_rate,
    default=20.0,
    show_default=True,
    help="Ceiling on AWS requests per second, all threads together, as the endpoint receives them.",
)
@click.pass_context
def collect(
    ctx: click.Context,
    engagement: Path,
    profiles: tuple[str, ...],
    regions: tuple[str, ...],
    role_arns: tuple[str, ...],
    docker_hosts: tuple[str, ...],
    no_aws: bool,
    no_docker: bool,
    max_rps: float,
) -> None:
    """Collect evidence read-only from AWS and Docker, store it, and evaluate the checks.

    Exit 0 when everything was collected, 4 when something was denied or failed (what was
    collected is kept), 3 when a source could not be reached at all.
    """
    from auditprep.collect import run as runmod
    from auditprep.progress import TerminalProgress

    if no_aws and no_docker:
        fail("nothing to collect: both --no-aws and --no-docker were given.", 2)
    catalog = load_catalog(ctx)
    runners = []
    if not no_aws:
        runners.append(("aws", runmod.aws_runner(runmod.AwsOptions(profiles, regions, role_arns, max_rps))))
    skipped_docker = not no_docker and not docker_hosts and not runmod.docker_configured()
    if skipped_docker and no_aws:
        fail(
            "nothing to collect: --no-aws was given and no Docker host is configured "
            "(give --docker URL, set DOCKER_HOST or a Docker context).",
            2,
        )
    with open_engagement(engagement) as eng:
        if not no_docker and not skipped_docker:
            runners.append(("docker", runmod.docker_runner(docker_hosts or None, runmod.known_inventories(eng))))
        with TerminalProgress() as progress:
            summary = runmod.collect_into(eng, catalog, runners, actor=actor(), progress=progress)
    from auditprep.evaluate.summary import render_collect_summary

    click.echo(render_collect_summary(summary))
    if skipped_docker:
        click.echo(
            "Docker: skipped, because no Docker host is configured (no --docker, DOCKER_HOST, Docker context or "
            "local socket); give --docker URL to collect from one."
        )
    errors = [r for r in summary.results if r.error]
    for r in errors:
        click.echo(f"auditprep: {r.source}: {r.error}", err=True)
    for r in summary.results:
        if r.source == "docker" and r.outcome is not None:
            from auditprep.collect.docker import unreachable_hosts

            for sentence in unreachable_hosts(r.outcome.evidence):
                click.echo(f"auditprep: docker: {sentence}", err=True)
    if errors and len(errors) == len(summary.results):
        sys.exit(3)
    if not summary.complete:
        sys.exit(EXIT_PARTIAL)


@click.command("aws-policy")
@click.option("--role-arn", "role_arns", multiple=True, help="Also allow assuming this role (repeatable).")
def aws_policy(role_arns: tuple[str, ...]) -> None:
    """Print the minimal read-only IAM policy for exactly the AWS calls auditprep makes."""
    import json

    from auditprep.collect.aws import iam_policy

    click.echo(json.dumps(iam_policy(role_arns), indent=2))


@click.command("import")
@click.argument("engagement", type=click.Path(path_type=Path))
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--format", "fmt", required=True, type=click.Choice(["prowler-ocsf", "trivy", "asff"]))
@click.pass_context
def import_(ctx: click.Context, engagement: Path, file: Path, fmt: str) -> None:
    """Import Prowler (OCSF), Trivy or Security Hub (ASFF) results as evidence and findings."""
    from auditprep.imports import import_results

    catalog = load_catalog(ctx)
    with open_engagement(engagement) as eng:
        summary = import_results(eng, catalog, file, fmt, actor())
    click.echo(summary.render())


COMMANDS = [collect, aws_policy, import_]
