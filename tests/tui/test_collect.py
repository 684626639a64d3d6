"""Collecting from the TUI: live progress per source, scope and service, cancel, and the outcome
of every call, against the real Docker daemon and AWS through the moto server.

The first two tests use a scripted runner, a test double with the collectors' signature, to
make progress and cancellation deterministic; the others run the real collectors.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from kit import T0
from textual.widgets import Checkbox, DataTable, Input

from auditprep.collect.base import CollectionOutcome, Progress, Recorder
from auditprep.models import CallStatus, Scope, Source
from auditprep.store import Engagement
from auditprep.tui.screens.collect import CollectScreen

from .helpers import ready, settle


def cells(table: DataTable) -> list[list[str]]:
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


class ScriptedRunner:
    """TEST DOUBLE for a collector runner ((progress, cancel) -> CollectionOutcome): reports progress
    for two services, records one denied call, and can wait until it is cancelled."""

    def __init__(self, wait_for_cancel: bool = False):
        self.wait_for_cancel = wait_for_cancel
        self.started = threading.Event()

    def __call__(self, progress, cancel: threading.Event) -> CollectionOutcome:
        rec = Recorder(Source.AWS, "scripted", clock=lambda: T0)
        scope = Scope(account="111122223333", region="eu-west-1")
        for n in range(1, 4):
            progress(Progress("aws", scope.label(), "ecs", n, 3, f"DescribeTaskDefinition {n}"))
        rec.item("aws.ecs.task_definition", "ecs:DescribeTaskDefinition", scope, "arn:aws:ecs:td/app:1", {"x": 1})
        rec.attempt("aws.ecs.task_definition", "ecs:ListTaskDefinitions", scope, count=1)
        rec.attempt(
            "aws.eks.cluster",
            "eks:ListClusters",
            scope,
            CallStatus.ACCESS_DENIED,
            "AccessDenied: missing permission eks:ListClusters",
        )
        progress(Progress("aws", scope.label(), "eks", 1, 1, "ListClusters denied"))
        self.started.set()
        if self.wait_for_cancel:
            cancel.wait(10)
        return CollectionOutcome(
            Source.AWS,
            rec.evidence,
            identity="arn:aws:sts::111122223333:assumed-role/a",
            targets=["eu-west-1"],
            cancelled=cancel.is_set(),
        )


async def test_progress_and_the_outcome_of_every_call(app_factory, engagement: Path) -> None:
    plans = []

    def collectors(plan, eng):
        plans.append(plan)
        return [("aws", ScriptedRunner())]

    app = app_factory(engagement, collectors=collectors)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        await pilot.press("4")
        await settle(pilot, app)
        screen = app.screen
        assert isinstance(screen, CollectScreen)
        assert screen.query_one("#regions", Input).value == "eu-west-1"  # from the engagement's scope
        screen.query_one("#profiles", Input).value = "audit, audit-b"
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        assert plans[0].profiles == ("audit", "audit-b") and plans[0].regions == ("eu-west-1",)
        outcome = cells(screen.query_one("#collect-outcome", DataTable))
        assert ["aws", "ecs", "111122223333/eu-west-1", "1", "0", "0", "0", "0"] in outcome
        assert ["aws", "eks", "111122223333/eu-west-1", "0", "0", "1", "0", "0"] in outcome
        gaps = cells(screen.query_one("#collect-gaps", DataTable))
        assert gaps == [
            [
                "111122223333/eu-west-1",
                "eks:ListClusters",
                "access denied",
                "AccessDenied: missing permission eks:ListClusters",
            ]
        ]
        assert "Some calls were denied or failed" in str(screen.query_one("#collect-status").render())
        # the rest of the workspace sees the new evidence
        await pilot.press("3")
        await settle(pilot, app)
        assert app.screen.query_one("#evidence-table", DataTable).row_count == 7 + 0  # 4 docker + 3 new aws
    with Engagement.open(engagement, readonly=True) as eng:
        run = eng.runs()[-1]
        assert (run.source, run.identity, run.targets, run.cancelled) == (
            "aws",
            "arn:aws:sts::111122223333:assumed-role/a",
            ("eu-west-1",),
            False,
        )


async def test_cancel_keeps_what_was_collected(app_factory, engagement: Path) -> None:
    runner = ScriptedRunner(wait_for_cancel=True)
    app = app_factory(engagement, collectors=lambda plan, eng: [("aws", runner)])
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        await pilot.press("4")
        await settle(pilot, app)
        screen = app.screen
        await pilot.press("ctrl+s")
        assert runner.started.wait(5)
        await pilot.pause(0.1)
        live = cells(screen.query_one("#collect-live", DataTable))
        assert ["aws", "111122223333/eu-west-1", "ecs", "3/3", "DescribeTaskDefinition 3"] in live
        start = time.monotonic()
        await pilot.press("2")  # the UI keeps working while the collection runs
        assert app.screen is not screen and time.monotonic() - start < 2
        await pilot.press("4", "escape")
        await settle(pilot, app)
        assert str(screen.query_one("#collect-status").render()).startswith("Cancelled; what was collected is stored")
    with Engagement.open(engagement, readonly=True) as eng:
        assert eng.runs()[-1].cancelled


@pytest.mark.docker
async def test_collect_from_the_real_docker_daemon(app_factory, engagement: Path, docker_url: str) -> None:
    app = app_factory(engagement)  # the real collectors
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        await pilot.press("4")
        await settle(pilot, app)
        screen = app.screen
        screen.query_one("#use-aws", Checkbox).value = False
        screen.query_one("#hosts", Input).value = docker_url
        await pilot.press("ctrl+s")
        for _ in range(200):
            await settle(pilot, app)
            if not screen._collecting:
                break
        status = str(screen.query_one("#collect-status").render())
        assert status.startswith("Done: "), status
        outcome = cells(screen.query_one("#collect-outcome", DataTable))
        assert outcome and all(row[0] == "docker" for row in outcome)
        assert any(row[1] == "daemon" and row[2].startswith(docker_url) for row in outcome), outcome
    with Engagement.open(engagement, readonly=True) as eng:
        run = eng.runs()[-1]
        assert run.source == "docker" and run.targets[0].startswith(docker_url) and not run.cancelled
        kinds = {
            ev.kind for ev in eng.current_evidence(with_data=False) if (ev.scope.host or "").startswith(docker_url)
        }
        assert "docker.daemon" in kinds


async def test_collect_from_aws_names_the_missing_permission(app_factory, engagement: Path, fault_proxy) -> None:
    fault_proxy.deny.add("ListClusters")  # ECS and EKS both answer AccessDenied for it
    app = app_factory(engagement)  # the real AWS collector, over HTTP to the moto server
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        await pilot.press("4")
        await settle(pilot, app)
        screen = app.screen
        screen.query_one("#use-docker", Checkbox).value = False
        screen.query_one("#regions", Input).value = "us-east-1"
        await pilot.press("ctrl+s")
        for _ in range(300):
            await settle(pilot, app)
            if not screen._collecting:
                break
        assert not screen._collecting
        gaps = cells(screen.query_one("#collect-gaps", DataTable))
        denied = [g for g in gaps if g[2] == "access denied"]
        assert denied, gaps
        assert any(g[1] == "ecs:ListClusters" and "lacks permission for ecs:ListClusters" in g[3] for g in denied), (
            denied
        )
        outcome = cells(screen.query_one("#collect-outcome", DataTable))
        assert any(row[0] == "aws" and row[2].endswith("us-east-1") and row[3] != "0" for row in outcome)
    with Engagement.open(engagement, readonly=True) as eng:
        assert eng.runs()[-1].source == "aws"


async def test_an_unreachable_source_is_explained_in_full_at_80_columns(
    app_factory, engagement: Path, tmp_path
) -> None:
    app = app_factory(engagement)  # the real Docker collector, pointed at a socket nobody serves
    dead = f"unix://{tmp_path}/nobody.sock"
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot, app)
        await pilot.press("4")
        await settle(pilot, app)
        screen = app.screen
        screen.query_one("#use-aws", Checkbox).value = False
        screen.query_one("#hosts", Input).value = dead
        await pilot.press("ctrl+s")
        for _ in range(200):
            await settle(pilot, app)
            if not screen._collecting:
                break
        label = screen.query_one("#collect-status")
        status = str(label.render())
        assert "docker: could not be reached" in status and status.rstrip().endswith("?).")
        # the sentence is longer than the screen is wide: it must wrap, not be cut at the edge
        assert len(status.splitlines()[-1]) > 80 - 2
        assert label.size.width <= 80 and label.size.height >= len(status.splitlines()) + 1
