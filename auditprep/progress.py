"""Progress for people: one updating line on stderr when it is a terminal, nothing otherwise.

``TerminalProgress`` takes the collectors' ``Progress`` reports and shows, per source, the
accounts or hosts finished, the regions reached, the requests sent and throttled, and an estimate
of the time left. ``Ticker`` shows a task's elapsed time (a report rendering) and, when told, how
many of its parts are done (an export's reports).
"""

from __future__ import annotations

import sys
import threading
import time
from dataclasses import dataclass, field
from typing import TextIO

from auditprep.collect.base import Progress


def duration(seconds: float) -> str:
    seconds = max(0, int(seconds + 0.5))
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


@dataclass
class SourceCounts:
    """What one source has reported so far."""

    done: int = 0
    total: int = 0
    units_done: int = 0
    units_total: int = 0
    requests: int = 0
    throttles: int = 0
    regions: set[str] = field(default_factory=set)
    started: float = field(default_factory=time.monotonic)

    def eta(self, now: float) -> str:
        if not self.done or not self.total or self.done >= self.total:
            return ""
        left = (now - self.started) * (self.total - self.done) / self.done
        return duration(left)


class CollectCounts:
    """Running totals per source, built from ``Progress`` reports (shared by the CLI and the TUI)."""

    def __init__(self) -> None:
        self.sources: dict[str, SourceCounts] = {}
        self._lock = threading.Lock()

    def add(self, p: Progress) -> None:
        with self._lock:
            c = self.sources.setdefault(p.source, SourceCounts())
            c.done, c.total = max(c.done, p.done), max(c.total, p.total)
            c.units_done, c.units_total = max(c.units_done, p.units_done), max(c.units_total, p.units_total)
            c.requests, c.throttles = max(c.requests, p.requests), max(c.throttles, p.throttles)
            if p.source == "aws" and "/" in p.scope:
                c.regions.add(p.scope)

    def line(self, now: float | None = None) -> str:
        now = time.monotonic() if now is None else now
        parts = []
        with self._lock:
            for name, c in self.sources.items():
                if name == "aws":
                    bits = [
                        f"accounts {c.units_done}/{c.units_total}",
                        f"regions {len(c.regions)}",
                        f"requests {c.requests:,}",
                        f"throttled {c.throttles:,}",
                    ]
                elif name == "docker":
                    bits = [f"hosts {c.units_done}/{c.units_total}"]
                else:
                    bits = []
                bits.append(f"steps {c.done}/{c.total}")
                eta = c.eta(now)
                if eta:
                    bits.append(f"about {eta} left")
                parts.append(f"{name}: " + "  ".join(bits))
        return " | ".join(parts)


class TerminalProgress:
    def __init__(self, stream: TextIO | None = None, min_interval: float = 0.2):
        self.stream = stream or sys.stderr
        self.enabled = bool(getattr(self.stream, "isatty", lambda: False)())
        self.min_interval = min_interval
        self.counts = CollectCounts()
        self._last = 0.0
        self._lock = threading.Lock()
        self._width = 0

    def __call__(self, p: Progress) -> None:
        if not self.enabled:
            return
        self.counts.add(p)
        now = time.monotonic()
        with self._lock:
            if now - self._last < self.min_interval and p.done < p.total:
                return
            self._last = now
            self._show(self.counts.line(now))

    def _show(self, line: str) -> None:
        line = line[:159]
        self.stream.write("\r" + line.ljust(self._width))
        self._width = len(line)
        self.stream.flush()

    def __enter__(self) -> TerminalProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.enabled and self._width:
            self.stream.write("\r" + " " * self._width + "\r")
            self.stream.flush()


class Ticker(TerminalProgress):
    """``what`` with its elapsed time, redrawn every half second; ``step(done, total, part)`` adds a count."""

    def __init__(self, what: str, stream: TextIO | None = None):
        super().__init__(stream)
        self.what = what
        self.part = ""
        self.done = self.total = 0
        self._stop = threading.Event()
        self._started = time.monotonic()
        self._thread = threading.Thread(target=self._run, daemon=True, name="auditprep-ticker")

    def step(self, part: str, done: int, total: int) -> None:
        self.part, self.done, self.total = part, done, total

    def _run(self) -> None:
        while not self._stop.wait(0.5):
            elapsed = time.monotonic() - self._started
            count = f" {self.done}/{self.total}" if self.total else ""
            part = f" ({self.part} ready)" if self.part else ""
            with self._lock:
                self._show(f"{self.what}{count}{part}, {duration(elapsed)} so far")

    def __enter__(self) -> Ticker:
        if self.enabled:
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
        super().__exit__(*exc)
