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


def _positive_rate(_ctx: click.Context, _param: click.Parameter, value: float | None) -> float | None:
    import math

    if value is None:
        return None
    if not (math.isfinite(value) and MIN_RPS <= value <= MAX_RPS):
        raise click.BadParameter(
            f"give a number of requests per second above 0, from {MIN_RPS:g} to {MAX_RPS:g}, such as 20 or 0.5."
        )
    return value


def _account_ids(_ctx: click.Context, _param: click.Parameter, value: tuple[str, ...]) -> tuple[str, ...]:
    """12-digit AWS account ids; several may be given in one value, separated by commas."""
    ids = tuple(dict.fromkeys(part.strip() for v in value for part in v.split(",") if part.strip()))
    bad = [i for i in ids if not (len(i) == 12 and i.isdigit())]
    if bad:
        raise click.BadParameter(f"{', '.join(repr(b) for b in bad)} is not an AWS account id (12 digits).")
    return ids


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
    "--org-role",
    default="",
    metavar="NAME",
    help="Collect every active account of the AWS organisation, assuming role NAME in each.",
)
@click.option(
    "--accounts", "accounts", multiple=True, callback=_account_ids, help="With --org-role: only these accounts."
)
@click.option(
    "--exclude-accounts",
    "exclude_accounts",
    multiple=True,
    callback=_account_ids,
    help="With --org-role: leave these accounts out.",
)
@click.option("--ou", "ous", multiple=True, help="With --org-role: only accounts under this OU (repeatable).")
@click.option(
    "--resume",
    is_flag=True,
    help="Go on with an interrupted collection: accounts and hosts already stored are not collected again.",
)
@click.option(
    "--docker",
    "docker_hosts",
    multiple=True,
    help="Docker host URL (repeatable; default: DOCKER_HOST or the local socket).",
)
@click.option(
    "--docker-context",
    "docker_contexts",
    multiple=True,
    metavar="NAME",
    help="Docker context to collect from (repeatable).",
)
@click.option("--docker-all-contexts", is_flag=True, help="Collect from every Docker context of this user.")
@click.option(
    "--docker-hosts-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="File of Docker host URLs or context names, one a line ('#' starts a comment).",
)
@click.option("--no-aws", is_flag=True, help="Do not collect from AWS.")
@click.option("--no-docker", is_flag=True, help="Do not collect from Docker.")
@click.option(
    "--max-rps",
    type=float,
    callback=_positive_rate,
    default=None,
    help="Optional ceiling on AWS requests per second for the whole collection, on top of the limits "
    "kept per account, region and service.",
)
@click.pass_context
def collect(
    ctx: click.Context,
    engagement: Path,
    profiles: tuple[str, ...],
    regions: tuple[str, ...],
    role_arns: tuple[str, ...],
    org_role: str,
    accounts: tuple[str, ...],
    exclude_accounts: tuple[str, ...],
    ous: tuple[str, ...],
    resume: bool,
    docker_hosts: tuple[str, ...],
    docker_contexts: tuple[str, ...],
    docker_all_contexts: bool,
    docker_hosts_file: Path | None,
    no_aws: bool,
    no_docker: bool,
    max_rps: float | None,
) -> None:
    """Collect evidence read-only from AWS and Docker, store it, and evaluate the checks.

    Exit 0 when everything was collected, 4 when something was denied or failed (what was
    collected is kept), 3 when a source could not be reached at all.
    """
    from auditprep.application.collecting import collect as collect_use_case
    from auditprep.collect import run as runmod
    from auditprep.progress import TerminalProgress

    if no_aws and no_docker:
        fail("nothing to collect: both --no-aws and --no-docker were given.", 2)
    if (accounts or exclude_accounts or ous) and not org_role:
        fail(
            "--accounts, --exclude-accounts and --ou choose accounts of the organisation: give --org-role NAME too.", 2
        )
    docker_hosts = _docker_fleet(docker_hosts, docker_contexts, docker_all_contexts, docker_hosts_file)
    catalog = load_catalog(ctx)
    runners = []
    aws_options = runmod.AwsOptions(
        profiles, regions, role_arns, max_rps, org_role.strip(), accounts, exclude_accounts, ous
    )
    if not no_aws:
        runners.append(("aws", runmod.aws_runner(aws_options)))
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
        from auditprep.collect.journal import Journal, JournalError

        options = {
            "aws": None if no_aws else aws_options.scope(),
            "docker": None if no_docker else sorted(docker_hosts),
        }
        try:
            journal = Journal.start(engagement, options, resume=resume, runs={r.id for r in eng.runs()})
        except JournalError as exc:
            fail(str(exc), 2)
        if resume and not journal.resumed:
            click.echo("auditprep: no interrupted collection to resume; collecting everything.", err=True)
        with TerminalProgress() as progress:
            summary = collect_use_case(eng, catalog, runners, actor=actor(), progress=progress, journal=journal)
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


def _docker_fleet(
    hosts: tuple[str, ...], contexts: tuple[str, ...], all_contexts: bool, hosts_file: Path | None
) -> tuple[str, ...]:
    """Every Docker host asked for, in the order given, once each (URLs and context names)."""
    named = [*hosts, *contexts]
    if hosts_file is not None or all_contexts:
        from auditprep.collect.docker.hosts import context_names, read_hosts_file
        from auditprep.errors import CollectionError

        try:
            if hosts_file is not None:
                named += read_hosts_file(str(hosts_file))
            if all_contexts:
                named += context_names()
        except CollectionError as exc:
            fail(exc.message, 2)
    return tuple(dict.fromkeys(named))


@click.command("aws-policy")
@click.option("--role-arn", "role_arns", multiple=True, help="Also allow assuming this role (repeatable).")
@click.option(
    "--org-role",
    default="",
    metavar="NAME",
    help="Also allow listing the organisation's accounts and assuming role NAME in any of them.",
)
def aws_policy(role_arns: tuple[str, ...], org_role: str) -> None:
    """Print the minimal read-only IAM policy for exactly the AWS calls auditprep makes."""
    import json

    from auditprep.collect.aws import iam_policy

    click.echo(json.dumps(iam_policy(role_arns, org_role.strip() or None), indent=2))


@click.command("import")
@click.argument("engagement", type=click.Path(path_type=Path))
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--format", "fmt", required=True, type=click.Choice(["prowler-ocsf", "trivy", "asff"]))
@click.pass_context
def import_(ctx: click.Context, engagement: Path, file: Path, fmt: str) -> None:
    """Import Prowler (OCSF), Trivy or Security Hub (ASFF) results as evidence and findings."""
    from auditprep.application.importing import import_results

    catalog = load_catalog(ctx)
    with open_engagement(engagement) as eng:
        summary = import_results(eng, catalog, file, fmt, actor())
    click.echo(summary.render())


COMMANDS = [collect, aws_policy, import_]
