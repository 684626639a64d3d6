"""The two ways a package can let its reader down, with the exit codes ``auditprep verify`` uses."""

from __future__ import annotations

from auditprep.errors import AuditprepError


class PackageError(AuditprepError):
    """The package (or engagement file) cannot be read safely, or cannot be written: exit 2."""

    exit_code = 2
    title = "Evidence package"


class PackageAltered(AuditprepError):
    """The package was read, and something in it is not what was exported: exit 1."""

    exit_code = 1
    title = "Package altered"
