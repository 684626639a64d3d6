"""Progress on a terminal: one updating line on stderr when it is a terminal, quiet otherwise."""

from __future__ import annotations

import sys
import threading
import time

from auditprep.collect.base import Progress


class TerminalProgress:
    def __init__(self, stream=None, min_interval: float = 0.1):
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty()
        self.min_interval = min_interval
        self._last = 0.0
        self._lock = threading.Lock()
        self._width = 0

    def __call__(self, p: Progress) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        with self._lock:
            if now - self._last < self.min_interval and p.done < p.total:
                return
            self._last = now
            frac = p.done / p.total if p.total else 0.0
            bar = "#" * int(frac * 20)
            line = f"[{bar:<20}] {p.source} {p.scope} {p.service} {p.done}/{p.total} {p.message}"[:100]
            self.stream.write("\r" + line.ljust(self._width))
            self._width = len(line)
            self.stream.flush()

    def __enter__(self) -> TerminalProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.enabled and self._width:
            self.stream.write("\r" + " " * self._width + "\r")
            self.stream.flush()
