"""How the TUI holds up at scale: launch to an interactive dashboard, and each navigation step.

Writes a questionnaire tree of 200 controls (11 themes, 4 frameworks) as YAML and an engagement
with 20,000 evidence items, 6,000 findings and a third of the controls answered, through the real
loaders and store. Then it runs the app headless (Textual's test driver, which still lays out and
renders every frame) and prints:

* launch: from building the app (the catalog is read from the YAML files) to the dashboard drawn
  and ready for keys;
* tree step: from pressing down in the control tree to the next control's form drawn;
* open control: from pressing enter on a control to its form focused;
* section switch: from pressing 3 (evidence, 20,000 rows loaded in a worker) to the table filled.

    python benchmarks/tui_bench.py [--controls 200] [--evidence 20000] [--steps 40]

Goals: under 1.5 s to interactive, under 100 ms per navigation step. A script that prints
figures, not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from auditprep.catalog import load_catalog  # noqa: E402
from auditprep.models import (  # noqa: E402
    Answer,
    CallStatus,
    Evidence,
    Finding,
    FindingStatus,
    Scope,
    Severity,
    Source,
)
from auditprep.store import Engagement  # noqa: E402

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
THEMES = [
    ("monitoring", "MON"),
    ("incident-response", "IR"),
    ("tls", "TLS"),
    ("patching", "VUL"),
    ("audit-readiness", "AUD"),
    ("hardening", "HRD"),
    ("least-privilege", "IAM"),
    ("logging", "LOG"),
    ("segmentation", "SEG"),
    ("secrets", "SEC"),
    ("provenance", "IMG"),
]
FRAMEWORKS = ("pci-dss", "hipaa", "hitrust", "fedramp-moderate")
REQS_PER_FRAMEWORK = 60
CHECKS = 80


def write_catalog(root: Path, controls: int) -> None:
    """A questionnaire tree the strict loader accepts, with ``controls`` controls."""
    for folder in ("controls", "frameworks", "concepts", "checks"):
        (root / folder).mkdir(parents=True)
    (root / "themes.yaml").write_text(
        yaml.safe_dump(
            {
                "themes": [
                    {"key": key, "title": key.replace("-", " ").capitalize(), "summary": f"Controls about {key}."}
                    for key, _ in THEMES
                ]
            }
        )
    )
    checks = [f"docker.bench.check_{n:03d}" for n in range(CHECKS)]
    (root / "checks" / "bench.yaml").write_text(
        yaml.safe_dump(
            {
                "checks": [
                    {
                        "id": c,
                        "title": f"Benchmark check {n}",
                        "severity": "medium",
                        "description": "Synthetic.",
                        "remediation": "None.",
                    }
                    for n, c in enumerate(checks)
                ]
            }
        )
    )
    concepts = [f"concept-{n:02d}" for n in range(20)]
    (root / "concepts" / "bench.yaml").write_text(
        yaml.safe_dump(
            {
                "concepts": [
                    {
                        "key": k,
                        "name": f"Concept {n}",
                        "explanation": "An explanation " * 20,
                        "why_it_matters": "It matters.",
                        "evidence": ["Some evidence."],
                    }
                    for n, k in enumerate(concepts)
                ]
            }
        )
    )
    per_theme: dict[str, list[dict]] = {key: [] for key, _ in THEMES}
    for n in range(controls):
        key, prefix = THEMES[n % len(THEMES)]
        cid = f"{prefix}-{len(per_theme[key]) + 1:02d}"
        per_theme[key].append(
            {
                "id": cid,
                "title": f"Control {n} about {key} with a realistic length of title",
                "theme": key,
                "questions": [
                    {"id": f"{cid}.status", "type": "status", "text": "Is this in place across every cluster?"},
                    {
                        "id": f"{cid}.how",
                        "type": "choice",
                        "text": "How is it enforced?",
                        "choices": ["pipeline", "admission", "manual"],
                    },
                    {"id": f"{cid}.when", "type": "date", "text": "When was it last reviewed?"},
                    {"id": f"{cid}.notes", "type": "text", "text": "Anything the assessor should know?"},
                ],
                "guidance": "Guidance sentence. " * 8,
                "evidence": ["Evidence one.", "Evidence two."],
                "checks": [checks[n % CHECKS], checks[(n + 7) % CHECKS]],
                "concepts": [concepts[n % 20], concepts[(n + 3) % 20]],
                "mappings": {f: [f"R{(n * 2 + i) % REQS_PER_FRAMEWORK:03d}" for i in range(2)] for f in FRAMEWORKS},
            }
        )
    for key, items in per_theme.items():
        (root / "controls" / f"{key}.yaml").write_text(yaml.safe_dump({"controls": items}, sort_keys=False))
    for fid in FRAMEWORKS:
        (root / "frameworks" / f"{fid}.yaml").write_text(
            yaml.safe_dump(
                {
                    "id": fid,
                    "name": fid.upper(),
                    "version": "1",
                    "publisher": "Bench",
                    "description": "Synthetic.",
                    "sections": [{"id": "S", "title": "Section"}],
                    "requirements": [
                        {"id": f"R{i:03d}", "title": f"Requirement {i}", "section": "S"}
                        for i in range(REQS_PER_FRAMEWORK)
                    ],
                }
            )
        )


def write_engagement(path: Path, root: Path, evidence: int) -> None:
    catalog = load_catalog(root)
    control_ids = list(catalog.controls)
    clock = iter(T0 + timedelta(seconds=n) for n in range(10**7))
    with Engagement.create(
        path,
        name="Benchmark",
        organisation="Scale Inc",
        frameworks=list(FRAMEWORKS),
        actor="bench",
        clock=lambda: next(clock),
    ) as eng:
        stored_all: list[Evidence] = []
        for run in range(2):
            items = []
            for n in range(evidence // 2):
                region = ("eu-west-1", "us-east-1", "eu-central-1", "ap-south-1")[n % 4]
                status = CallStatus.ACCESS_DENIED if n % 500 == 0 else CallStatus.COLLECTED
                items.append(
                    Evidence(
                        source=Source.AWS if run == 0 else Source.DOCKER,
                        collector="bench",
                        operation="ecs:DescribeTaskDefinition",
                        kind=f"aws.ecs.kind{n % 12}",
                        scope=Scope(account="111122223333", region=region) if run == 0 else Scope(host=f"h{n % 10}"),
                        resource=f"arn:aws:ecs:{region}:111122223333:task-definition/app-{n}:{run}",
                        resource_name=f"app-{n}",
                        collected_at=T0,
                        status=status,
                        message="AccessDenied: missing ecs:DescribeTaskDefinition"
                        if status is not CallStatus.COLLECTED
                        else "",
                        data={
                            "containerDefinitions": [
                                {
                                    "name": f"c{n}",
                                    "image": f"repo/app:{n}",
                                    "privileged": n % 9 == 0,
                                    "environment": [{"name": "MODE", "value": "[redacted]"}],
                                }
                            ]
                        },
                    )
                )
            _, stored = eng.add_run(actor="bench", source=items[0].source, started_at=T0, evidence=items)
            stored_all += stored
        findings = []
        statuses = (FindingStatus.PASS, FindingStatus.FAIL, FindingStatus.WARN, FindingStatus.NOT_EVALUATED)
        for n in range(6000):
            ev = stored_all[(n * 3) % len(stored_all)]
            findings.append(
                Finding(
                    check=f"docker.bench.check_{n % CHECKS:03d}",
                    title="Benchmark check",
                    status=statuses[n % 4],
                    severity=Severity.MEDIUM,
                    resource=ev.resource_name,
                    scope=ev.scope,
                    message=f"{ev.resource_name} is judged by check {n % CHECKS}.",
                    controls=(control_ids[n % len(control_ids)],),
                    evidence=(ev.id,),
                )
            )
        eng.replace_findings(findings, "bench")
        eng.record_answers(
            [
                Answer(
                    control_id=cid,
                    question_id=f"{cid}.status",
                    value=("yes", "partial", "no")[n % 3],
                    narrative="We do this with the pipeline and admission control. " * 3,
                    answered_by="bench",
                    answered_at=T0,
                )
                for n, cid in enumerate(control_ids)
                if n % 3 == 0
            ]
        )


async def timed_key(app, key: str, done) -> float:
    """Send one key as the terminal would and time it until ``done()`` holds and the next frame
    has been drawn. (Pilot's ``press`` waits for the process to go idle, which adds ~100 ms.)"""
    from textual import events

    event = events.Key(key, None)
    event.set_sender(app)
    start = time.perf_counter()
    app._driver.send_message(event)
    from textual.css.query import NoMatches

    def holds() -> bool:
        try:
            return bool(done())
        except NoMatches:  # the screen is still being built
            return False

    while not holds():
        await asyncio.sleep(0.0005)
    drawn = asyncio.Event()
    app.screen.call_after_refresh(drawn.set)
    await drawn.wait()
    return time.perf_counter() - start


async def measure(path: Path, root: Path, steps: int) -> dict[str, object]:
    from textual.widgets import DataTable

    from auditprep.application.recent import RecentList
    from auditprep.tui import make_app
    from auditprep.tui.screens import dashboard as dashboard_module
    from auditprep.tui.screens.questionnaire import QuestionnaireScreen
    from auditprep.tui.widgets.question_form import QuestionForm

    drawn = asyncio.Event()

    class Probe(dashboard_module.DashboardScreen):
        def on_mount(self) -> None:
            super().on_mount()
            self.call_after_refresh(drawn.set)

    dashboard_module.DashboardScreen = Probe  # type: ignore[misc]
    start = time.perf_counter()
    app = make_app(
        path,
        catalog=lambda: load_catalog(root),
        actor="bench",
        recent=RecentList(path.with_suffix(".json")),
        clock=lambda: T0 + timedelta(days=1),
    )
    out: dict[str, object] = {}
    async with app.run_test(size=(120, 40)) as pilot:
        await asyncio.wait_for(drawn.wait(), 60)
        out["launch_s"] = time.perf_counter() - start
        await app.workers.wait_for_complete()
        await pilot.pause()

        out["open_questionnaire_s"] = await timed_key(
            app, "2", lambda: isinstance(app.screen, QuestionnaireScreen) and app.screen.panel.form is not None
        )
        await pilot.pause()
        screen = app.screen
        tree = screen.control_tree

        def shown() -> bool:
            node = tree.cursor_node
            if node is None or node.data is None or node.data.startswith("theme:"):
                return node is not None
            form = screen.panel.form
            return screen.panel.control_id == node.data and form is not None and form.control.id == node.data

        step_times, seen = [], set()
        for _ in range(steps):
            line = tree.cursor_line
            step_times.append(await timed_key(app, "down", lambda line=line: tree.cursor_line != line and shown()))
            seen.add(screen.panel.control_id)
            await pilot.pause()
        out["controls_visited"] = len(seen)
        out["tree_step_ms"] = step_times

        open_times = []
        for _ in range(8):
            tree.focus()
            await pilot.press("down")
            await pilot.pause()
            if tree.cursor_node is None or str(tree.cursor_node.data).startswith("theme:"):
                continue
            open_times.append(
                await timed_key(
                    app,
                    "enter",
                    lambda: (
                        app.focused is not None
                        and isinstance(app.focused.parent, QuestionForm)
                        or (app.focused is not None and app.focused.id is not None and app.focused.id.startswith("q"))
                    ),
                )
            )
            await pilot.pause()
        out["open_control_ms"] = open_times

        tree.focus()
        await pilot.pause()
        t = time.perf_counter()
        await pilot.press("3")
        await app.workers.wait_for_complete()
        await pilot.pause()
        table = app.screen.query_one("#evidence-table", DataTable)
        out["evidence_s"] = time.perf_counter() - t
        out["evidence_rows"] = table.row_count
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--controls", type=int, default=200)
    parser.add_argument("--evidence", type=int, default=20_000)
    parser.add_argument("--steps", type=int, default=40)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="auditprep-tui-bench-") as tmp:
        root, path = Path(tmp) / "questionnaires", Path(tmp) / "bench.auditprep"
        t = time.perf_counter()
        write_catalog(root, args.controls)
        write_engagement(path, root, args.evidence)
        print(
            f"data: {args.controls} controls, {args.evidence:,} evidence items, 6,000 findings "
            f"(built in {time.perf_counter() - t:.1f} s; engagement {path.stat().st_size / 1e6:.1f} MB)"
        )
        r = asyncio.run(measure(path, root, args.steps))
    import subprocess

    code = "import time; t = time.perf_counter(); import auditprep.tui.app; print(time.perf_counter() - t)"
    imports = float(
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).resolve().parents[1],
        ).stdout
    )
    steps = [x * 1000 for x in r["tree_step_ms"]]  # type: ignore[union-attr]
    opens = [x * 1000 for x in r["open_control_ms"]]  # type: ignore[union-attr]

    def pct(xs: list[float], q: float) -> float:
        return sorted(xs)[min(len(xs) - 1, int(q * len(xs)))]

    print(
        f"launch to interactive dashboard: {imports + r['launch_s']:.2f} s (goal < 1.5 s): importing the TUI "
        f"{imports:.2f} s, then catalog, engagement, posture and first frame {r['launch_s']:.2f} s"
    )
    print(f"switch to questionnaire (first time, builds the tree): {r['open_questionnaire_s'] * 1000:.0f} ms")
    print(
        f"tree step (down, next control drawn): median {statistics.median(steps):.0f} ms, "
        f"p90 {pct(steps, 0.9):.0f} ms, max {max(steps):.0f} ms over {len(steps)} steps, "
        f"{r['controls_visited']} controls opened (goal < 100 ms)"
    )
    print(f"open control (enter, form focused): median {statistics.median(opens):.0f} ms, max {max(opens):.0f} ms")
    print(
        f"evidence browser (20,000 items read in a worker, first 500 shown): {r['evidence_s']:.2f} s, "
        f"{r['evidence_rows']} rows"
    )


if __name__ == "__main__":
    main()
