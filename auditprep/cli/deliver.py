"""Commands that explain, report, export, verify and review."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from auditprep.cli.common import (
    FRAMEWORK_CHOICES,
    actor,
    extra_control_dirs,
    fail,
    load_catalog,
    load_catalog_from,
    open_engagement,
)


@click.command()
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
        from auditprep.evaluate.environment import environment_of

        with open_engagement(engagement, readonly=True) as eng:
            env = environment_of(eng.current_evidence())
    click.echo(c.render_text(concept, width=width, environment=env))


@click.command()
@click.argument("engagement", type=click.Path(path_type=Path))
@click.option(
    "--framework",
    type=click.Choice(FRAMEWORK_CHOICES),
    help="Framework to report on (optional when the engagement has one).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(
        ["pdf", "html", "json", "csv", "oscal", "poam-oscal", "poam-csv", "poam-xlsx", "sdr", "vdr", "ksi-metrics"]
    ),
    default=None,
    help="Output format (default: from the file extension, else pdf). sdr, vdr and ksi-metrics: FedRAMP 20x JSON.",
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
    """Render the assessor report (pdf, html, json, csv, oscal), the FedRAMP POA&M (poam-oscal, poam-csv,
    poam-xlsx) or the incident-response playbook."""
    from auditprep.report import render_report

    if fmt is None:
        suffix = output.suffix.lower().lstrip(".")
        fmt = suffix if suffix in ("pdf", "html", "json", "csv") else ("poam-xlsx" if suffix == "xlsx" else "pdf")
    catalog = load_catalog(ctx)
    from auditprep.progress import Ticker

    with open_engagement(engagement, readonly=True) as eng, Ticker(f"rendering the {fmt} report"):
        path = render_report(eng, catalog, framework=framework, fmt=fmt, out=output, kind=kind)
    click.echo(f"Wrote {path}.")


@click.command()
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
        from auditprep.evaluate.summary import render_status, status_report

        with open_engagement(path, readonly=True) as eng:
            click.echo(render_status(status_report(eng, catalog)))
        click.echo(f"\nDemo engagement: {path}" + (" (kept from earlier runs; --fresh rebuilds it)" if kept else ""))
        click.echo(f"Try: auditprep findings {path}   |   auditprep report {path} --framework pci-dss -o demo.pdf")
        return
    from auditprep.tui import launch

    sys.exit(launch(path, title_suffix="demo", catalog=catalog))


@click.command()
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


@click.command()
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
    from auditprep.progress import Ticker

    with open_engagement(engagement, readonly=True) as eng, Ticker("exporting, reports") as ticker:
        result = export_package(
            eng, catalog, output, sign_key=sign_key, render_pdf=None if no_pdf else report_pdf, progress=ticker.step
        )
    signed = " and signed" if result.signed else ""
    click.echo(f"Wrote {output}{signed}: {len(result.files)} files, root hash {result.root_hash}.")
    click.echo(f"Check it anywhere with: auditprep verify {output}   (or: unzip it and run sha256sum -c SHA256SUMS)")


@click.command()
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


COMMANDS = [explain, report, demo, verify, export, review]
