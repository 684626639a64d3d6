"""The live progress line: what it counts, and that it stays silent when stderr is not a terminal."""

from __future__ import annotations

import io

from auditprep.collect.base import Progress
from auditprep.progress import CollectCounts, TerminalProgress, duration


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_line_counts_accounts_regions_hosts_requests_throttles_and_time_left():
    counts = CollectCounts()
    counts.add(Progress("aws", "111122223333/us-east-1", "ecs", 1, 40, units_total=2, requests=12, throttles=1))
    counts.add(Progress("aws", "111122223333/eu-west-1", "ecr", 10, 40, units_total=2, requests=90, throttles=3))
    counts.add(Progress("aws", "111122223333", "account", 20, 40, units_done=1, units_total=2, requests=150))
    counts.add(Progress("docker", "unix:///run/docker.sock (h)", "host", 1, 3, units_done=1, units_total=3))
    started = counts.sources["aws"].started
    line = counts.line(now=started + 10)
    assert line.startswith("aws: accounts 1/2  regions 2  requests 150  throttled 3  steps 20/40  about 10s left")
    assert "| docker: hosts 1/3  steps 1/3" in line


def test_nothing_is_written_unless_stderr_is_a_terminal():
    quiet = io.StringIO()
    with TerminalProgress(quiet) as progress:
        progress(Progress("aws", "a/r", "ecs", 1, 2))
    assert quiet.getvalue() == ""
    shown = Terminal()
    with TerminalProgress(shown) as progress:
        progress(Progress("aws", "a/r", "ecs", 2, 2, units_done=1, units_total=1, requests=5))
    assert "accounts 1/1" in shown.getvalue() and shown.getvalue().endswith("\r")


def test_durations_read_naturally():
    assert [duration(s) for s in (4.4, 75, 3725)] == ["4s", "1m15s", "1h02m"]
