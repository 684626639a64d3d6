"""Commands for answers and questionnaires."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from auditprep.cli.common import (
    actor,
    extra_control_dirs,
    fail,
    load_catalog,
    open_engagement,
)


@click.group()
def answers() -> None:
    """Export answers to YAML, or import them back."""


@answers.command("export")
@click.argument("engagement", type=click.Path(path_type=Path))
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path))
@click.pass_context
def answers_export(ctx: click.Context, engagement: Path, output: Path) -> None:
    """Write the current answers to a YAML file."""
    from auditprep.evaluate.answers import export_answers

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
    from auditprep.evaluate.answers import import_answers

    catalog = load_catalog(ctx)
    with open_engagement(engagement) as eng:
        recorded, unchanged = import_answers(eng, catalog, file, actor())
    click.echo(f"Recorded {recorded} answer(s); {unchanged} unchanged.")


@click.group()
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

    from auditprep.catalog.schema import json_schema

    click.echo(json.dumps(json_schema(kind), indent=2))


COMMANDS = [answers, questionnaires]
