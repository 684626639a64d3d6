"""What every command shares: who is acting, how a failure is reported, how the catalog and the
engagement are opened. Imports stay light so that start-up stays fast."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

if TYPE_CHECKING:
    from auditprep.catalog import Catalog
    from auditprep.store import Engagement

FRAMEWORK_CHOICES = ("pci-dss", "hipaa", "hitrust", "fedramp-moderate", "fedramp-20x")
EXIT_PARTIAL = 4  # collection stored, but some calls were denied or failed


def actor() -> str:
    """Who is acting: AUDITPREP_USER, else the name in the settings, else the unconfirmed login."""
    from auditprep.application.identity import actor as _actor

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
