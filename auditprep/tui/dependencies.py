"""The real implementations ``make_app`` uses unless a test passes its own.

Each imports what it needs when it is called, so opening the TUI never loads boto3, docker or
weasyprint until a collection or a report asks for them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from auditprep.store import Engagement
from auditprep.tui.review_notes import ReviewNotes
from auditprep.tui.session import CollectPlan


def default_actor() -> str:
    from auditprep.application.identity import actor

    return actor()


def default_collectors(plan: CollectPlan, engagement: Engagement) -> list[tuple[str, Any]]:
    """The real collectors, as the command line builds them."""
    from auditprep.collect import run

    runners: list[tuple[str, Any]] = []
    if plan.aws:
        runners.append(("aws", run.aws_runner(run.AwsOptions(plan.profiles, plan.regions, plan.role_arns))))
    if plan.docker:
        runners.append(("docker", run.docker_runner(plan.docker_hosts or None, run.known_inventories(engagement))))
    return runners


def default_renderer(*args: Any, **kwargs: Any) -> Any:
    from auditprep.report import render_report

    return render_report(*args, **kwargs)


def default_review_notes(
    review_file: Path | None, engagement: Engagement, *, source: Path, package_root_hash: str | None = None
) -> ReviewNotes:
    """The review of ``engagement`` kept beside ``source`` (the package or engagement reviewed)
    unless ``review_file`` says where; created on first use, refused if it reviews something else."""
    from auditprep.review import ReviewFile, default_review_path

    path = review_file or default_review_path(source)
    return ReviewFile.for_engagement(path, engagement, package_root_hash=package_root_hash)


def default_package_opener(path: Path) -> Any:
    """Validate and extract an evidence package, refusing one that was altered (auditprep.package)."""
    from auditprep.package import open_package

    return open_package(path)
