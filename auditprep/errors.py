"""One error type for everything a user can cause or meet.

The CLI prints ``message`` as one sentence on stderr and exits with ``exit_code``; the TUI shows
``title`` and ``message`` in a dialog. Anything else that escapes is a bug.
"""

from __future__ import annotations


class AuditprepError(Exception):
    exit_code = 1
    title = "Error"

    def __init__(self, message: str, *, title: str | None = None, exit_code: int | None = None):
        super().__init__(message)
        self.message = message
        if title is not None:
            self.title = title
        if exit_code is not None:
            self.exit_code = exit_code


class InvalidInput(AuditprepError):
    """A file the user gave us is malformed (questionnaire, answers, package, import)."""

    exit_code = 2
    title = "Invalid input"


class EngagementError(AuditprepError):
    """The engagement file cannot be created, opened or written."""

    exit_code = 2
    title = "Engagement file"


class CollectionError(AuditprepError):
    """A source (AWS, a Docker daemon) could not be reached at all."""

    exit_code = 3
    title = "Collection failed"
