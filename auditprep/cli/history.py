"""Commands about evidence over the audit period: history and drift, scheduled collection,
populations of workloads and reproducible samples drawn from them."""

from __future__ import annotations

import json
import re
import shlex
import shutil
from pathlib import Path

import click

from auditprep.cli.common import actor, fail, load_catalog, open_engagement

POPULATION_KINDS = ("ecs-tasks", "task-definitions", "images", "containers", "hosts", "clusters")


@click.command()
@click.argument("engagement", type=click.Path(path_type=Path))
@click.option("--control", "control", help="Only this control (e.g. HRD-01) and the checks informing it.")
@click.option("--resource", "resource", help="Only this resource (an ARN, a container or image id).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
def history(ctx: click.Context, engagement: Path, control: str | None, resource: str | None, as_json: bool) -> None:
    """Status of each check and resource at every evaluation, when it changed, and the share of
    the period each control was in place as far as the collections show it."""
    from auditprep.evaluate import history as hist
    from auditprep.evaluate import trail

    catalog = load_catalog(ctx)
    if control is not None and control not in catalog.controls:
        fail(f"there is no control '{control}' in the loaded questionnaires.", 2)
    with open_engagement(engagement, readonly=True) as eng:
        data = hist.build_history(eng, catalog, control=control, resource=resource)
        data["past_revisions"] = trail.past_revisions_of(eng, resource=resource)
    if as_json:
        click.echo(json.dumps(data, indent=2))
    else:
        from auditprep.textfmt import printable

        click.echo(printable(hist.render(data)))


_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


@click.command()
@click.argument("engagement", type=click.Path(path_type=Path))
@click.option("--every", type=click.Choice(("daily", "weekly")), default="weekly", show_default=True, help="How often.")
@click.option("--at", "at", default="03:17", show_default=True, help="Time of day (UTC, HH:MM).")
def schedule(engagement: Path, every: str, at: str) -> None:
    """Print a systemd timer and a cron line that run 'auditprep collect' on a schedule.

    Repeated collections are what history, drift and the share of the period in place are made
    of; nothing is installed: copy what fits your host.
    """
    m = _TIME.match(at)
    if not m:
        fail(f"--at takes a time of day as HH:MM (24-hour, UTC), not '{at}'.", 2)
    if not engagement.exists():
        fail(f"{engagement} does not exist; create it with 'auditprep init {engagement} --framework ID'.", 2)
    hour, minute = int(m.group(1)), int(m.group(2))
    exe = shutil.which("auditprep") or "auditprep"
    target = str(engagement.resolve())
    command = f"{shlex.quote(exe)} collect {shlex.quote(target)}"
    calendar = f"*-*-* {at}:00 UTC" if every == "daily" else f"Mon *-*-* {at}:00 UTC"
    cron_days = "*" if every == "daily" else "1"
    click.echo(
        "\n".join(
            [
                "# ~/.config/systemd/user/auditprep-collect.service",
                "[Unit]",
                f"Description=auditprep evidence collection for {engagement.name}",
                "",
                "[Service]",
                "Type=oneshot",
                f"ExecStart={command}",
                "",
                "# ~/.config/systemd/user/auditprep-collect.timer",
                "[Unit]",
                f"Description=Collect audit evidence {every}",
                "",
                "[Timer]",
                f"OnCalendar={calendar}",
                "Persistent=true",
                "",
                "[Install]",
                "WantedBy=timers.target",
                "",
                "# enable with: systemctl --user daemon-reload && systemctl --user enable --now auditprep-collect.timer",
                "",
                "# or one crontab line (crontab -e); errors reach cron's mail, and exit 4 means some calls were denied:",
                "CRON_TZ=UTC",
                f"{minute} {hour} * * {cron_days} {command} >/dev/null",
            ]
        )
    )


@click.command()
@click.argument("engagement", type=click.Path(path_type=Path))
@click.option("--kind", "kind", type=click.Choice(POPULATION_KINDS), required=True, help="Which population.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def population(engagement: Path, kind: str, as_json: bool) -> None:
    """Every member of a population seen during the period (all runs and CloudTrail history),
    with its source and variant; where a source could not be read, says so."""
    from auditprep.evaluate import population as pop

    with open_engagement(engagement, readonly=True) as eng:
        data = pop.of_engagement(eng, kind).as_dict()
    if as_json:
        click.echo(json.dumps(data, indent=2))
    else:
        from auditprep.textfmt import printable

        click.echo(printable(pop.render(data)))


@click.command()
@click.argument("engagement", type=click.Path(path_type=Path))
@click.option(
    "--population", "kind", type=click.Choice(POPULATION_KINDS), required=True, help="Population to draw from."
)
@click.option("--size", type=int, required=True, help="How many members to draw.")
@click.option("--seed", required=True, help="Seed: the same seed over the same population draws the same sample.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def sample(engagement: Path, kind: str, size: int, seed: str, as_json: bool) -> None:
    """Draw a reproducible sample covering every variant first, and record it and its method."""
    from auditprep.evaluate import population as pop
    from auditprep.evaluate import sampling
    from auditprep.store.history import record_sample

    with open_engagement(engagement) as eng:
        members = pop.of_engagement(eng, kind)
        if members.gaps and not members.members:
            fail(f"the {kind} population is not evaluated: {members.gaps[0]['reason']}; nothing was sampled.", 2)
        drawn = sampling.draw(kind, members.members, size, seed)
        stored = record_sample(
            eng,
            population=kind,
            population_hash=drawn.population_hash,
            total=drawn.total,
            seed=seed,
            method=drawn.method,
            members=[m.id for m in drawn.members],
            actor=actor(),
        )
    data = {
        "reference": stored.reference,
        "population": kind,
        "population_status": members.status,
        "population_gaps": members.gaps,
        "total": drawn.total,
        "size": len(drawn.members),
        "seed": seed,
        "variants": drawn.variants,
        "method": drawn.method,
        "members": [m.as_dict() for m in drawn.members],
    }
    if as_json:
        click.echo(json.dumps(data, indent=2))
        return
    lines = [f"Sample {stored.reference}: {len(drawn.members)} of {drawn.total} {kind} (seed {seed}).", drawn.method]
    lines += [f"NOT EVALUATED in {g['where']}: {g['reason']}." for g in members.gaps]
    lines += [f"  {m.name}  [{sampling.variant_key(m)}]" for m in drawn.members]
    click.echo("\n".join(lines))


COMMANDS = [history, schedule, population, sample]
