"""Writing a report file all at once: a temporary file beside OUT, then an atomic rename.

A full disk, a missing folder or a permission problem surfaces as one sentence, and whatever
happens OUT is either the previous file or the complete new one, never half a report.
"""

from __future__ import annotations

import errno
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from auditprep.errors import AuditprepError


class ReportError(AuditprepError):
    """A report cannot be produced as asked (wrong framework, format, or output path)."""

    exit_code = 2
    title = "Report"


def _why(exc: OSError) -> str:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return "the disk is full"
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return "permission denied"
    if exc.errno == errno.ENOENT:
        return "the folder does not exist"
    if exc.errno == errno.EISDIR:
        return "it is a folder"
    return exc.strerror or str(exc)


def write_atomic(out: Path, produce: Callable[[BinaryIO], None]) -> Path:
    """Call ``produce(fh)`` on a temporary file in OUT's folder, then move it onto OUT."""
    out = Path(out)
    if out.is_dir():
        raise ReportError(f"cannot write {out}: it is a folder; give a file name.")
    folder = out.parent if str(out.parent) else Path(".")
    if not folder.is_dir():
        raise ReportError(f"cannot write {out}: the folder {folder} does not exist.")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".part", dir=folder)
    except OSError as exc:
        raise ReportError(f"cannot write {out}: {_why(exc)}.") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            produce(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, out)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise ReportError(f"cannot write {out}: {_why(exc)}; no file was written.") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return out
