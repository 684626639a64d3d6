"""Commands that set up an engagement and the people in it: init, applicability, config, attest,
frameworks, status, findings."""

from __future__ import annotations

from pathlib import Path

import click

from auditprep.cli.common import (
    FRAMEWORK_CHOICES,
    actor,
    load_catalog,
    open_engagement,
)

# --- engagement -------------------------------------------------------------------------------


@click.command()
@click.argument("engagement", type=click.Path(path_type=Path))
@click.option("--framework", "frameworks", multiple=True, required=True, type=click.Choice(FRAMEWORK_CHOICES))
@click.option("--name", help="Engagement name (default: the file name).")
@click.option("--organisation", "--organization", "organisation", default="", help="Organisation being assessed.")
@click.option("--period", help="Assessment period, START..END (2026-01-01..2026-12-31).")
@click.option(
    "--applicability",
    "facts",
    multiple=True,
    metavar="KEY=VALUE",
    help="A fact deciding which requirements apply (pci.entity=service-provider); repeatable.",
)
@click.pass_context
def init(
    ctx: click.Context,
    engagement: Path,
    frameworks: tuple[str, ...],
    name: str | None,
    organisation: str,
    period: str | None,
    facts: tuple[str, ...],
) -> None:
    """Create a new engagement file (never overwrites one)."""
    from auditprep.application.engagements import NewEngagement, create_engagement

    catalog = load_catalog(ctx)  # refuse to start an engagement on a broken catalog
    request = NewEngagement(engagement, frameworks, name or "", organisation, period or "", facts)
    with create_engagement(request, catalog, actor=actor()) as eng:
        unique = eng.info().frameworks
    click.echo(f"Created {engagement} for {', '.join(unique)}.")


@click.command("applicability")
@click.argument("engagement", type=click.Path(path_type=Path))
@click.argument("facts", nargs=-1, metavar="[KEY=VALUE]...")
@click.option("--period", help="Change the assessment period, START..END.")
@click.pass_context
def applicability_cmd(ctx: click.Context, engagement: Path, facts: tuple[str, ...], period: str | None) -> None:
    """Show or change the facts that decide which requirements apply (KEY= clears one)."""
    import json

    from auditprep.evaluate import applicability

    catalog = load_catalog(ctx)
    parsed = applicability.parse(facts, catalog)
    span = applicability.parse_period(period) if period else None
    with open_engagement(engagement, readonly=not (parsed or span)) as eng:
        info = eng.info()
        if parsed or span:
            settings: dict[str, str] = {}
            if parsed:
                merged = applicability.merge(info.applicability, parsed)
                settings["applicability"] = json.dumps(merged, sort_keys=True)
            if span:
                settings.update(period_start=span[0], period_end=span[1])
            eng.set_meta(actor(), **settings)
            info = eng.info()
    from auditprep.textfmt import table

    period_text = f"{info.period_start} to {info.period_end}" if info.period_start else "not set"
    click.echo(f"Assessment period: {period_text}")
    rows = [("KEY", "VALUE", "WHAT IT DECIDES")]
    rows.extend(applicability.describe(info.applicability, catalog, info.frameworks))
    click.echo(table(rows))


@click.group()
def config() -> None:
    """Your name and email, recorded on every answer, attestation and exception you make."""


@config.command("set")
@click.argument("pairs", nargs=-1, required=True, metavar="KEY VALUE [KEY VALUE]...")
def config_set(pairs: tuple[str, ...]) -> None:
    """Set name and/or email: auditprep config set name "Dana Reyes" email dana@example.com"""
    from auditprep.application.identity import save_settings

    if len(pairs) % 2:
        raise click.UsageError(
            'give the settings as KEY VALUE pairs, such as: name "Dana Reyes" email dana@example.com'
        )
    path = save_settings(dict(zip(pairs[::2], pairs[1::2], strict=True)))
    click.echo(f"Saved to {path}.")


@config.command("show")
def config_show() -> None:
    """Show who auditprep records as acting."""
    from auditprep.application.identity import config_path, load_settings, person

    settings = load_settings()
    for key in ("name", "email"):
        click.echo(f"{key}: {settings.get(key, '(not set)')}")
    click.echo(f"recorded as: {person() or '(nobody: set your name)'}")
    click.echo(f"settings file: {config_path()}")


@click.command()
@click.argument("engagement", type=click.Path(path_type=Path))
@click.argument("control")
@click.option(
    "--days", default=365, show_default=True, type=click.IntRange(1, 3650), help="Re-attest after this many days."
)
@click.pass_context
def attest(ctx: click.Context, engagement: Path, control: str, days: int) -> None:
    """Attest a control's answers as a second person (never the person who answered)."""
    from auditprep.application.identity import require_person
    from auditprep.application.people import attest as attest_control
    from auditprep.errors import InvalidInput

    catalog = load_catalog(ctx)
    if control not in catalog.controls:
        raise InvalidInput(f"there is no control {control}.")
    who = require_person("an attestation")
    with open_engagement(engagement) as eng:
        attest_control(eng, catalog, control, actor=who, reattest_days=days)
    click.echo(f"{control} attested by {who}.")


@click.command()
@click.pass_context
def frameworks(ctx: click.Context) -> None:
    """List the frameworks: the standard's own requirement count, how many auditprep addresses."""
    catalog = load_catalog(ctx)
    rows = [("ID", "FRAMEWORK", "VERSION", "REQUIREMENTS", "ADDRESSED", "OUTSIDE", "CONDITIONAL", "CONTROLS")]
    for fw in catalog.frameworks.values():
        links = catalog.requirement_controls.get(fw.id, {})
        outside = sum(1 for r in fw.requirements if r.outside)
        conditional = sum(1 for r in fw.requirements if r.applies_when)
        controls = {c for ids in links.values() for c in ids}
        rows.append(
            (
                fw.id,
                fw.name,
                fw.version,
                str(len(fw.requirements)),
                str(len(fw.requirements) - outside),
                str(outside),
                str(conditional),
                str(len(controls)),
            )
        )
    from auditprep.textfmt import table

    click.echo(table(rows))


@click.command()
@click.argument("engagement", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
def status(ctx: click.Context, engagement: Path, as_json: bool) -> None:
    """Progress per framework and theme: answered, in place, gaps, exceptions, not evaluated."""
    from auditprep.evaluate.summary import status_report

    catalog = load_catalog(ctx)
    with open_engagement(engagement, readonly=True) as eng:
        report = status_report(eng, catalog)
    if as_json:
        import json

        click.echo(json.dumps(report, indent=2))
    else:
        from auditprep.evaluate.summary import render_status
        from auditprep.textfmt import printable

        click.echo(printable(render_status(report)))


@click.command()
@click.argument("engagement", type=click.Path(path_type=Path))
@click.option("--framework", type=click.Choice(FRAMEWORK_CHOICES), help="Only findings informing this framework.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
def findings(ctx: click.Context, engagement: Path, framework: str | None, as_json: bool) -> None:
    """The automated findings of the latest evaluation."""
    from auditprep.evaluate.summary import findings_rows, render_findings

    catalog = load_catalog(ctx)
    with open_engagement(engagement, readonly=True) as eng:
        rows = findings_rows(eng, catalog, framework)
    if as_json:
        import json

        click.echo(json.dumps(rows, indent=2))
    else:
        from auditprep.textfmt import printable

        click.echo(printable(render_findings(rows)))


COMMANDS = [init, applicability_cmd, config, attest, frameworks, status, findings]
