"""Commands for the team's working-paper records: exceptions with their compensating-control
worksheet, and decisions on HIPAA addressable implementation specifications."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from pathlib import Path

import click

from auditprep.cli.common import actor, fail, load_catalog, open_engagement

_WORKSHEET_OPTIONS = (
    ("constraints", "--constraints", "Why the requirement cannot be met as written."),
    ("objective", "--objective", "The requirement's original objective."),
    ("risk", "--risk", "The risk the gap creates."),
    ("compensating_controls", "--compensating-controls", "What is done instead, and how it meets the objective."),
    ("validation", "--validation", "How the compensating controls were validated."),
    ("maintenance", "--maintenance", "How they are maintained and reviewed."),
    ("approver", "--approver", "Who approved the compensating control."),
    ("risk_analysis", "--risk-analysis", "The risk analysis the approval rests on."),
)


def _worksheet_options(fn):  # type: ignore[no-untyped-def]
    for key, flag, help_text in reversed(_WORKSHEET_OPTIONS):
        fn = click.option(flag, key, default=None, metavar="TEXT", help=help_text)(fn)
    return fn


@click.command("exception")
@click.argument("engagement", type=click.Path(path_type=Path))
@click.argument("control", required=False)
@click.option("--id", "exception_id", type=int, help="Add worksheet fields to this recorded exception instead.")
@click.option("--owner", help="Who accepts the risk (a new exception).")
@click.option("--rationale", help="Why the control is not met (a new exception).")
@click.option("--expires", type=click.DateTime(formats=["%Y-%m-%d"]), help="Expiry date, YYYY-MM-DD (a new exception).")
@click.option("--list", "list_", is_flag=True, help="List the exceptions and whether their worksheets are complete.")
@_worksheet_options
@click.pass_context
def exception(
    ctx: click.Context,
    engagement: Path,
    control: str | None,
    exception_id: int | None,
    owner: str | None,
    rationale: str | None,
    expires: datetime | None,
    list_: bool,
    **fields: str | None,
) -> None:
    """Record an exception to CONTROL with its compensating-control worksheet, or add worksheet
    fields to a recorded one (--id N); --list shows which worksheets are incomplete."""
    from auditprep.models import ControlException
    from auditprep.store.workpapers import record_worksheet, worksheets

    given = {k: v for k, v in fields.items() if v is not None}
    if list_:
        with open_engagement(engagement, readonly=True) as eng:
            sheets = worksheets(eng)
            for exc in eng.exceptions():
                sheet = sheets.get(exc.id or 0)
                missing = sheet.missing() if sheet else ["all worksheet fields"]
                state = "worksheet complete" if not missing else f"worksheet incomplete: {', '.join(missing)} missing"
                click.echo(f"{exc.id}  {exc.control_id}  owner {exc.owner}  expires {exc.expires.date()}  {state}")
        return
    if exception_id is not None:
        if control or owner or rationale or expires:
            fail(
                "--id adds worksheet fields to a recorded exception; give no CONTROL, --owner, --rationale or --expires.",
                2,
            )
        if not given:
            fail("give at least one worksheet field (for example --constraints TEXT).", 2)
        with open_engagement(engagement) as eng:
            sheet = record_worksheet(eng, exception_id, given, actor())
        _report(exception_id, sheet.missing())
        return
    if not control:
        fail("name the CONTROL to record an exception for, or give --id N of a recorded exception.", 2)
    missing_opts = [o for o, v in (("--owner", owner), ("--rationale", rationale), ("--expires", expires)) if not v]
    if missing_opts:
        fail(f"a new exception needs {', '.join(missing_opts)}.", 2)
    assert owner and rationale and expires
    catalog = load_catalog(ctx)
    if control not in catalog.controls:
        fail(f"there is no control {control}; see the control ids in the questionnaires.", 2)
    until = datetime.combine(expires.date(), time(23, 59, 59), tzinfo=UTC)
    if until.date() <= date.today():
        fail("an exception must expire in the future.", 2)
    who = actor()
    with open_engagement(engagement) as eng:
        exc = ControlException(
            control_id=control,
            owner=owner.strip(),
            rationale=rationale.strip(),
            expires=until,
            recorded_by=who,
            recorded_at=eng.clock(),
        )
        new_id = eng.add_exception(exc)
        missing = record_worksheet(eng, new_id, given, who).missing() if given else None
    click.echo(f"Recorded exception {new_id} to {control}, owned by {owner}, expiring {until.date()}.")
    _report(new_id, missing)


def _report(exception_id: int, missing: list[str] | None) -> None:
    from auditprep.store.workpapers import FIELD_LABELS

    if missing is None:
        missing = list(FIELD_LABELS.values())
    if missing:
        click.echo(
            f"Its compensating-control worksheet is incomplete ({', '.join(missing)} missing): add them with "
            f"'auditprep exception ENGAGEMENT --id {exception_id} --FIELD TEXT'."
        )
    else:
        click.echo(f"The compensating-control worksheet of exception {exception_id} is complete.")


@click.command()
@click.argument("engagement", type=click.Path(path_type=Path))
@click.argument("specification", required=False)
@click.option(
    "--decision",
    type=click.Choice(["implemented", "alternative", "not-reasonable"]),
    help="Implemented as specified, an equivalent alternative measure, or not reasonable and appropriate.",
)
@click.option("--rationale", default="", help="Why (required for alternative and not-reasonable).")
@click.option("--list", "list_", is_flag=True, help="List every addressable specification and its decision.")
@click.pass_context
def decide(
    ctx: click.Context, engagement: Path, specification: str | None, decision: str | None, rationale: str, list_: bool
) -> None:
    """Record the decision on a HIPAA addressable implementation specification (164.306(d)(3))."""
    from auditprep.store.workpapers import decisions, record_decision

    catalog = load_catalog(ctx)
    fw = catalog.frameworks.get("hipaa")
    addressable = [r.id for r in fw.requirements if r.designation == "addressable"] if fw else []
    if list_:
        with open_engagement(engagement, readonly=True) as eng:
            made = decisions(eng)
        for spec in addressable:
            d = made.get(spec)
            state = f"{d.decision} by {d.decided_by} on {d.decided_at.date()}" if d else "NO DECISION RECORDED"
            click.echo(f"{spec:24} {state}")
        return
    if not specification or not decision:
        fail("give the SPECIFICATION and --decision (or --list to see them all).", 2)
    with open_engagement(engagement) as eng:
        if "hipaa" not in eng.info().frameworks:
            fail(f"engagement {eng.info().name} does not cover HIPAA, so it has no addressable specifications.", 2)
        d = record_decision(eng, specification, decision, rationale, actor(), addressable)
    click.echo(f"Recorded: {d.specification} {d.label}, by {d.decided_by} on {d.decided_at.date()}.")


COMMANDS = [exception, decide]
