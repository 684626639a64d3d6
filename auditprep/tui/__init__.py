"""The guided terminal session (Textual).

This is the only package that imports textual, and it does so lazily: importing
``auditprep.tui`` costs nothing, so ``auditprep --help`` stays fast. ``make_app`` builds the
application from its dependencies (catalog, engagement, clock, collectors, report renderer);
the command line, the tests and the benchmark all go through it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from auditprep.tui.app import AuditprepApp


def make_app(
    engagement: Path | None = None,
    *,
    review: bool = False,
    review_file: Path | None = None,
    title_suffix: str = "",
    **dependencies: Any,
) -> AuditprepApp:
    """Build the application. See :class:`auditprep.tui.app.AuditprepApp` for the dependencies."""
    from auditprep.tui.app import AuditprepApp

    return AuditprepApp(engagement, review=review, review_file=review_file, title_suffix=title_suffix, **dependencies)


def launch(
    engagement: Path | None = None,
    *,
    review: bool = False,
    review_file: Path | None = None,
    title_suffix: str = "",
    **dependencies: Any,
) -> int:
    """Run the TUI in this terminal; returns the exit code.

    With no engagement it opens the picker; an evidence package (.zip) always opens for review.
    ``review`` opens the engagement read-only with reviewer comments and flags kept in
    ``review_file`` (default: ``<name>.review.json`` beside what is reviewed). ``dependencies``
    go to :func:`make_app` (e.g. ``catalog=`` a loader honouring ``--controls``).
    """
    app = make_app(engagement, review=review, review_file=review_file, title_suffix=title_suffix, **dependencies)
    try:
        app.run()
    finally:
        app.save_everything()
    return app.return_code or 0
