"""The command line: a stable contract for people, scripts and CI.

Start-up stays fast because each command imports what it needs when it runs. Every error a user
can cause reaches stderr as one sentence with a non-zero exit code; a traceback is a bug.
"""

from __future__ import annotations

import os
import sys
from datetime import UTC
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

if TYPE_CHECKING:
    from auditprep.catalog import Catalog
    from auditprep.store import Engagement

FRAMEWORK_CHOICES = ("pci-dss", "hipaa", "hitrust", "fedramp-moderate")
EXIT_PARTIAL = 4  # collection stored, but some calls were denied or failed


def actor() -> str:
    """Who is acting: AUDITPREP_USER, else the name in the settings, else the unconfirmed login."""
    from auditprep.identity import actor as _actor

    return _actor()


def fail(message: str, code: int = 1) -> NoReturn:
    click.echo(f"auditprep: {message}", err=True)
    sys.exit(code)


def extra_control_dirs(ctx: click.Context) -> list[Path]:
    dirs = list(ctx.obj.get("controls", ()))
    env = os.environ.get("AUDITPREP_CONTROLS")
    if env:
        dirs.extend(Path(p) for p in env.split(os.pathsep) if p)
    return dirs


def load_catalog(ctx: click.Context) -> Catalog:
    from auditprep.catalog import load_catalog as _load

    return _load(extra_control_dirs=extra_control_dirs(ctx))


def load_catalog_from(dirs: list[Path]) -> Catalog:
    from auditprep.catalog import load_catalog as _load

    return _load(extra_control_dirs=dirs)


def open_engagement(path: Path, *, readonly: bool = False) -> Engagement:
    from auditprep.store import Engagement

    return Engagement.open(path, readonly=readonly)


class Main(click.Group):
    """Turns every expected failure into one sentence on stderr."""

    def invoke(self, ctx: click.Context) -> Any:
        import sqlite3

        from auditprep.errors import AuditprepError

        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise  # usage errors and --help/--version are click's to report
        except AuditprepError as exc:
            fail(exc.message, exc.exit_code)
        except sqlite3.DatabaseError as exc:
            fail(f"the engagement file is damaged or unreadable ({exc}).", 2)
        except KeyboardInterrupt as exc:
            code = 143 if isinstance(exc, Terminated) else 130  # 128 + the signal, as a shell reports it
            fail("interrupted; everything saved before the interruption is intact.", code)
        except BrokenPipeError:
            # the reader went away (`auditprep status ... | head`): stop quietly, as other tools do
            import os

            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # so the exit flush stays quiet
            sys.exit(141)  # 128 + SIGPIPE, what a shell reports for a writer whose reader left
        except OSError as exc:
            where = f" {exc.filename}" if getattr(exc, "filename", None) else ""
            fail(f"could not access{where}: {exc.strerror or exc}.", 1)
        except Exception as exc:  # a bug: say so in one sentence, keep the details for the report
            log = crash_log(exc)
            fail(f"internal error ({type(exc).__name__}: {exc}); details are in {log}. Please report it.", 70)


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


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the program is so that cleanup runs."""


def _install_sigterm() -> None:
    """SIGTERM unwinds like an interruption, so temporary files and folders are removed on the way out."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return

    def stop(_signum: int, _frame: Any) -> None:
        raise Terminated

    try:
        signal.signal(signal.SIGTERM, stop)
    except (ValueError, OSError):  # not the main interpreter, or a platform without it
        pass


def crash_log(exc: BaseException) -> str:
    """Write the traceback of an unexpected error to the user log folder and return its path."""
    import traceback
    from datetime import datetime

    try:
        from platformdirs import user_log_dir

        folder = Path(user_log_dir("auditprep"))
        folder.mkdir(parents=True, exist_ok=True)
        stamp = f"crash-{datetime.now(UTC):%Y%m%dT%H%M%S.%fZ}-{os.getpid()}"
        for n in range(1, 1000):  # exclusive creation: a log never replaces another one
            path = folder / (f"{stamp}.log" if n == 1 else f"{stamp}-{n}.log")
            try:
                with open(path, "x", encoding="utf-8") as fh:
                    fh.write("".join(traceback.format_exception(exc)))
            except FileExistsError:
                continue
            return str(path)
        return "(the log folder could not be written)"
    except OSError:
        return "(the log folder could not be written)"


@click.group(cls=Main, context_settings={"help_option_names": ["-h", "--help"]}, invoke_without_command=True)
@click.option(
    "--controls",
    "controls",
    multiple=True,
    type=click.Path(path_type=Path),
    help="Extra folder of organisation control files (also AUDITPREP_CONTROLS).",
)
@click.version_option(package_name="auditprep", prog_name="auditprep")
@click.pass_context
def main(ctx: click.Context, controls: tuple[Path, ...]) -> None:
    """Prepare container workloads on AWS for PCI DSS, HIPAA, HITRUST and FedRAMP audits.

    Run without a command to open the assistant.
    """
    ctx.ensure_object(dict)
    ctx.obj["controls"] = controls
    if ctx.invoked_subcommand not in (None, "review", "demo"):  # the assistant handles its own signals
        _install_sigterm()
    if ctx.invoked_subcommand is None:
        if not (sys.stdin.isatty() and sys.stdout.isatty()):
            click.echo(ctx.get_help())
            return
        from auditprep.tui import launch

        controls_dirs = extra_control_dirs(ctx)
        sys.exit(launch(catalog=lambda: load_catalog_from(controls_dirs)))


# --- engagement -------------------------------------------------------------------------------


@main.command()
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
    import json

    from auditprep import applicability
    from auditprep.store import Engagement

    catalog = load_catalog(ctx)  # refuse to start an engagement on a broken catalog
    start, end = applicability.parse_period(period) if period else ("", "")
    parsed = applicability.parse(facts, catalog)
    unique = tuple(dict.fromkeys(frameworks))
    who = actor()
    with Engagement.create(
        engagement, name=name or engagement.stem, organisation=organisation, frameworks=unique, actor=who
    ) as eng:
        settings: dict[str, str] = {}
        if period:
            settings.update(period_start=start, period_end=end)
        if parsed:
            settings["applicability"] = json.dumps(applicability.merge({}, parsed), sort_keys=True)
        if settings:
            eng.set_meta(who, **settings)
    click.echo(f"Created {engagement} for {', '.join(unique)}.")


@main.command("applicability")
@click.argument("engagement", type=click.Path(path_type=Path))
@click.argument("facts", nargs=-1, metavar="[KEY=VALUE]...")
@click.option("--period", help="Change the assessment period, START..END.")
@click.pass_context
def applicability_cmd(ctx: click.Context, engagement: Path, facts: tuple[str, ...], period: str | None) -> None:
    """Show or change the facts that decide which requirements apply (KEY= clears one)."""
    import json

    from auditprep import applicability

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


@main.group()
def config() -> None:
    """Your name and email, recorded on every answer, attestation and exception you make."""


@config.command("set")
@click.argument("pairs", nargs=-1, required=True, metavar="KEY VALUE [KEY VALUE]...")
def config_set(pairs: tuple[str, ...]) -> None:
    """Set name and/or email: auditprep config set name "Dana Reyes" email dana@example.com"""
    from auditprep.identity import save_settings

    if len(pairs) % 2:
        raise click.UsageError(
            'give the settings as KEY VALUE pairs, such as: name "Dana Reyes" email dana@example.com'
        )
    path = save_settings(dict(zip(pairs[::2], pairs[1::2], strict=True)))
    click.echo(f"Saved to {path}.")


@config.command("show")
def config_show() -> None:
    """Show who auditprep records as acting."""
    from auditprep.identity import config_path, load_settings, person

    settings = load_settings()
    for key in ("name", "email"):
        click.echo(f"{key}: {settings.get(key, '(not set)')}")
    click.echo(f"recorded as: {person() or '(nobody: set your name)'}")
    click.echo(f"settings file: {config_path()}")


@main.command()
@click.argument("engagement", type=click.Path(path_type=Path))
@click.argument("control")
@click.option(
    "--days", default=365, show_default=True, type=click.IntRange(1, 3650), help="Re-attest after this many days."
)
@click.pass_context
def attest(ctx: click.Context, engagement: Path, control: str, days: int) -> None:
    """Attest a control's answers as a second person (never the person who answered)."""
    from auditprep.errors import InvalidInput
    from auditprep.identity import require_person
    from auditprep.models import Attestation

    catalog = load_catalog(ctx)
    if control not in catalog.controls:
        raise InvalidInput(f"there is no control {control}.")
    who = require_person("an attestation")
    with open_engagement(engagement) as eng:
        status_q = catalog.controls[control].status_question
        if status_q is not None and status_q.id not in eng.answers():
            raise InvalidInput(f"{control} is not answered yet, so there is nothing to attest.")
        eng.attest(Attestation(control_id=control, attested_by=who, attested_at=eng.clock(), reattest_days=days))
    click.echo(f"{control} attested by {who}.")


@main.command()
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


@main.command()
@click.argument("engagement", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
def status(ctx: click.Context, engagement: Path, as_json: bool) -> None:
    """Progress per framework and theme: answered, in place, gaps, exceptions, not evaluated."""
    from auditprep.summary import status_report

    catalog = load_catalog(ctx)
    with open_engagement(engagement, readonly=True) as eng:
        report = status_report(eng, catalog)
    if as_json:
        import json

        click.echo(json.dumps(report, indent=2))
    else:
        from auditprep.summary import render_status
        from auditprep.textfmt import printable

        click.echo(printable(render_status(report)))


@main.command()
@click.argument("engagement", type=click.Path(path_type=Path))
@click.option("--framework", type=click.Choice(FRAMEWORK_CHOICES), help="Only findings informing this framework.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
def findings(ctx: click.Context, engagement: Path, framework: str | None, as_json: bool) -> None:
    """The automated findings of the latest evaluation."""
    from auditprep.summary import findings_rows, render_findings

    catalog = load_catalog(ctx)
    with open_engagement(engagement, readonly=True) as eng:
        rows = findings_rows(eng, catalog, framework)
    if as_json:
        import json

        click.echo(json.dumps(rows, indent=2))
    else:
        from auditprep.textfmt import printable

        click.echo(printable(render_findings(rows)))


@main.group()
def answers() -> None:
    """Export answers to YAML, or import them back."""


@answers.command("export")
@click.argument("engagement", type=click.Path(path_type=Path))
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path))
@click.pass_context
def answers_export(ctx: click.Context, engagement: Path, output: Path) -> None:
    """Write the current answers to a YAML file."""
    from auditprep.answers import export_answers

    catalog = load_catalog(ctx)
    with open_engagement(engagement, readonly=True) as eng:
        n = export_answers(eng, catalog, output)
    click.echo(f"Exported {n} answer(s) to {output}.")


@answers.command("import")
@click.argument("engagement", type=click.Path(path_type=Path))
@click.argument("file", type=click.Path(path_type=Path))
@click.pass_context
def answers_import(ctx: click.Context, engagement: Path, file: Path) -> None:
    """Validate a YAML answers file completely, then record it in one transaction."""
    from auditprep.answers import import_answers

    catalog = load_catalog(ctx)
    with open_engagement(engagement) as eng:
        recorded, unchanged = import_answers(eng, catalog, file, actor())
    click.echo(f"Recorded {recorded} answer(s); {unchanged} unchanged.")


@main.group()
def questionnaires() -> None:
    """Validate control libraries; print the JSON Schema for editors."""


@questionnaires.command("validate")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.pass_context
def questionnaires_validate(ctx: click.Context, paths: tuple[Path, ...]) -> None:
    """Validate the shipped questionnaires plus any extra control folders or files given."""
    import shutil
    import tempfile

    from auditprep.catalog import collect_problems

    dirs = list(extra_control_dirs(ctx))
    tmp = None
    for p in paths:
        if p.is_dir():
            dirs.append(p)
        elif p.is_file():
            tmp = tmp or Path(tempfile.mkdtemp(prefix="auditprep-validate-"))
            shutil.copy(p, tmp / p.name)
        else:
            fail(f"{p} does not exist.", 2)
    try:
        catalog, problems = collect_problems(extra_control_dirs=[*dirs, *([tmp] if tmp else [])])
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)
    if catalog is not None and not problems.items:
        from auditprep.imports import mapping_problems

        problems.items.extend(mapping_problems(catalog)[1])
    if problems.items:
        text = "\n".join(problems.items)
        if tmp:
            for p in paths:
                if p.is_file():
                    text = text.replace(str(tmp / p.name), str(p))
        click.echo(text, err=True)
        sys.exit(2)
    assert catalog is not None
    click.echo(
        f"Valid: {len(catalog.controls)} controls, {len(catalog.frameworks)} frameworks, "
        f"{len(catalog.concepts)} concepts, {len(catalog.checks)} checks."
    )


@questionnaires.command("schema")
@click.option("--kind", type=click.Choice(["controls", "framework", "concepts", "checks"]), default="controls")
def questionnaires_schema(kind: str) -> None:
    """Print the JSON Schema of a questionnaire file kind."""
    import json

    from auditprep.schema import json_schema

    click.echo(json.dumps(json_schema(kind), indent=2))


@main.command()
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
    from auditprep.summary import render_collect_summary

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


@main.command("aws-policy")
@click.option("--role-arn", "role_arns", multiple=True, help="Also allow assuming this role (repeatable).")
def aws_policy(role_arns: tuple[str, ...]) -> None:
    """Print the minimal read-only IAM policy for exactly the AWS calls auditprep makes."""
    import json

    from auditprep.collect.aws import iam_policy

    click.echo(json.dumps(iam_policy(role_arns), indent=2))


@main.command()
@click.argument("term", nargs=-1)
@click.option(
    "--engagement",
    "engagement",
    type=click.Path(path_type=Path),
    help="Tailor the explanation to what this engagement's evidence shows.",
)
@click.option(
    "--width", type=click.IntRange(min=20), default=None, help="Wrap at this many columns (default: the terminal's)."
)
@click.pass_context
def explain(ctx: click.Context, term: tuple[str, ...], engagement: Path | None, width: int | None) -> None:
    """Explain a container concept in plain language for assessors; without TERM, list them."""
    import shutil

    from auditprep import concepts as c

    catalog = load_catalog(ctx)
    width = width or min(100, shutil.get_terminal_size((80, 24)).columns)
    if not term:
        click.echo(c.render_index(catalog.concepts, width=width))
        return
    text = " ".join(term)
    concept, choices = c.lookup(catalog.concepts, text)
    if concept is None and choices:
        fail(f"{text!r} could mean several concepts: {', '.join(choices)}; name one of them.", 2)
    if concept is None:
        fail(c.unknown_term_message(catalog.concepts, text), 2)
    env = None
    if engagement is not None:
        from auditprep.environment import environment_of

        with open_engagement(engagement, readonly=True) as eng:
            env = environment_of(eng.current_evidence())
    click.echo(c.render_text(concept, width=width, environment=env))


@main.command()
@click.argument("engagement", type=click.Path(path_type=Path))
@click.option(
    "--framework",
    type=click.Choice(FRAMEWORK_CHOICES),
    help="Framework to report on (optional when the engagement has one).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["pdf", "html", "json", "csv", "oscal"]),
    default=None,
    help="Output format (default: from the file extension, else pdf).",
)
@click.option(
    "--kind",
    type=click.Choice(["framework", "playbook"]),
    default="framework",
    show_default=True,
    help="The framework report, or the container incident-response playbook draft.",
)
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path))
@click.pass_context
def report(
    ctx: click.Context, engagement: Path, framework: str | None, fmt: str | None, kind: str, output: Path
) -> None:
    """Render the assessor report (pdf, html, json, csv, oscal) or the incident-response playbook."""
    from auditprep.report import render_report

    if fmt is None:
        suffix = output.suffix.lower().lstrip(".")
        fmt = suffix if suffix in ("pdf", "html", "json", "csv") else "pdf"
    catalog = load_catalog(ctx)
    with open_engagement(engagement, readonly=True) as eng:
        path = render_report(eng, catalog, framework=framework, fmt=fmt, out=output, kind=kind)
    click.echo(f"Wrote {path}.")


@main.command()
@click.option("--path", type=click.Path(path_type=Path), help="Keep the demo engagement here instead.")
@click.option("--fresh", is_flag=True, help="Rebuild the demo from scratch, discarding what was recorded in it.")
@click.option("--no-tui", is_flag=True, help="Build the demo and print its status instead of opening the assistant.")
@click.pass_context
def demo(ctx: click.Context, path: Path | None, fresh: bool, no_tui: bool) -> None:
    """Open the demo engagement for a fictional payments company (no AWS account needed).

    The demo is kept between runs, with everything recorded in it; --fresh rebuilds it.
    """
    from auditprep.demo import build_demo, default_demo_path, is_demo, remove_previous_demo

    catalog = load_catalog(ctx)
    path = path or default_demo_path()
    if path.exists() and not is_demo(path):
        raise click.UsageError(f"{path} exists and is not the demo engagement; it was left untouched.")
    if fresh:
        remove_previous_demo(path)
    kept = path.exists()
    if not kept:
        build_demo(path, catalog)
    if no_tui or not (sys.stdin.isatty() and sys.stdout.isatty()):
        from auditprep.summary import render_status, status_report

        with open_engagement(path, readonly=True) as eng:
            click.echo(render_status(status_report(eng, catalog)))
        click.echo(f"\nDemo engagement: {path}" + (" (kept from earlier runs; --fresh rebuilds it)" if kept else ""))
        click.echo(f"Try: auditprep findings {path}   |   auditprep report {path} --framework pci-dss -o demo.pdf")
        return
    from auditprep.tui import launch

    sys.exit(launch(path, title_suffix="demo", catalog=catalog))


@main.command()
@click.argument("target", type=click.Path(path_type=Path))
@click.option(
    "--public-key", type=click.Path(path_type=Path), help="Ed25519 public key (PEM) to check a signed package."
)
@click.option(
    "--since",
    metavar="FINGERPRINT",
    help="An engagement fingerprint published earlier (PDF cover, package, status): it must still be in the history.",
)
def verify(target: Path, public_key: Path | None, since: str | None) -> None:
    """Verify an evidence package or an engagement: exit 0 intact, 1 altered, 2 unreadable."""
    import re

    from auditprep.package import verify_target

    if since is not None and not re.fullmatch(r"[0-9a-fA-F]{64}", since.strip()):
        raise click.BadParameter("give the 64-character fingerprint as printed.", param_hint="--since")
    report = verify_target(target, public_key=public_key, since=since)
    text = report.render()
    if report.exit_code == 0:
        click.echo(text)
        return
    if report.exit_code == 1:
        click.echo(text, err=True)
        fail(f"{target} has been altered ({len(report.problems)} problem(s)); do not rely on it.", 1)
    fail(report.unreadable or f"{target} cannot be read.", 2)


@main.command()
@click.argument("engagement", type=click.Path(path_type=Path))
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path), help="The package to write (.zip).")
@click.option(
    "--sign", "sign_key", type=click.Path(path_type=Path), help="Ed25519 private key (PEM) to sign the manifest."
)
@click.option("--no-pdf", is_flag=True, help="Leave out the PDF reports (faster; the data is all there).")
@click.pass_context
def export(ctx: click.Context, engagement: Path, output: Path, sign_key: Path | None, no_pdf: bool) -> None:
    """Write a self-contained, tamper-evident evidence package for the assessor."""
    from auditprep.package import export_package, report_pdf

    catalog = load_catalog(ctx)
    with open_engagement(engagement, readonly=True) as eng:
        result = export_package(eng, catalog, output, sign_key=sign_key, render_pdf=None if no_pdf else report_pdf)
    signed = " and signed" if result.signed else ""
    click.echo(f"Wrote {output}{signed}: {len(result.files)} files, root hash {result.root_hash}.")
    click.echo(f"Check it anywhere with: auditprep verify {output}   (or: unzip it and run sha256sum -c SHA256SUMS)")


@main.command()
@click.argument("target", type=click.Path(path_type=Path))
@click.option(
    "--review-file", type=click.Path(path_type=Path), help="Where reviewer comments are kept (default: beside TARGET)."
)
@click.option(
    "--export",
    "export_to",
    type=click.Path(path_type=Path),
    help="Write the reviewer comments to a .csv or .pdf and exit.",
)
@click.option(
    "--load",
    "load_from",
    type=click.Path(path_type=Path),
    help="Team side: record a reviewer's file in the engagement TARGET.",
)
@click.pass_context
def review(
    ctx: click.Context, target: Path, review_file: Path | None, export_to: Path | None, load_from: Path | None
) -> None:
    """Review an evidence package or engagement read-only; comments and flags are kept apart."""
    from auditprep.review import ReviewFile, default_review_path, load_review_into

    if export_to and load_from:
        fail("use --export or --load, not both.", 2)
    if load_from is not None:
        with open_engagement(target) as eng:
            loaded = load_review_into(eng, load_from, actor())
        state = "was already recorded" if loaded.already_loaded else "recorded"
        click.echo(f"Review {load_from} {state}: {loaded.comments} comment(s), {loaded.open_flags} open flag(s).")
        return
    path = review_file or default_review_path(target)
    if export_to is not None:
        if not path.exists():
            fail(f"there is no review file at {path}; nothing to export.", 2)
        reviewed = ReviewFile.open(path)
        if export_to.suffix.lower() == ".csv":
            reviewed.export_csv(export_to)
        elif export_to.suffix.lower() == ".pdf":
            reviewed.export_pdf(export_to, catalog=load_catalog(ctx))
        else:
            fail(f"{export_to}: the export must end in .csv or .pdf.", 2)
        click.echo(f"Wrote {export_to}.")
        return
    if not target.exists():
        fail(f"{target} does not exist.", 2)
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        fail("review opens the interactive assistant and needs a terminal (or use --export).", 2)
    from auditprep.tui import launch

    controls_dirs = extra_control_dirs(ctx)
    sys.exit(launch(target, review=True, review_file=path, catalog=lambda: load_catalog_from(controls_dirs)))


@main.command("import")
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


if __name__ == "__main__":  # pragma: no cover
    main()
