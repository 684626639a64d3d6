"""Reading files a user hands us, in bounded time and memory.

A path can name a device (``/dev/zero`` never ends), a FIFO (opening it waits for a writer that
may never come) or a file far larger than any real one of its kind. ``read_regular`` opens
without blocking, accepts only a regular file, and reads at most ``limit`` bytes, counting as it
reads (a file can grow after it was measured).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

from auditprep.errors import AuditprepError, InvalidInput

MB = 1024 * 1024


def _size(n: int) -> str:
    return f"{n // MB} MB" if n >= MB else f"{n} bytes"


def read_regular(path: Path, limit: int, what: str, error: Callable[[str], AuditprepError] = InvalidInput) -> bytes:
    """The bytes of the regular file ``path`` (at most ``limit``), else ``error(one sentence)``."""
    path = Path(path)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise error(f"{path} does not exist.") from None
    except IsADirectoryError:
        raise error(f"{path} is a folder; give {what} itself.") from None
    except OSError as exc:
        raise error(f"cannot read {path}: {exc.strerror or exc}.") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise error(f"{path} is a folder; give {what} itself.")
        if not stat.S_ISREG(info.st_mode):
            raise error(f"{path} is not a regular file (a device, pipe or socket), so it cannot be {what}.")
        if info.st_size > limit:
            raise error(f"{path} is {_size(info.st_size)}, larger than the {_size(limit)} limit for {what}.")
        chunks, total = [], 0
        while True:
            chunk = os.read(fd, min(MB, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:
                raise error(f"{path} is larger than the {_size(limit)} limit for {what}.")
        return b"".join(chunks)
    except OSError as exc:
        raise error(f"cannot read {path}: {exc.strerror or exc}.") from None
    finally:
        os.close(fd)
