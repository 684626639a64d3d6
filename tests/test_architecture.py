"""The core stays headless: only the edge packages import textual, boto3, docker, weasyprint or jinja2."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "auditprep"
HEAVY = {
    "textual": "auditprep/tui/",
    "boto3": "auditprep/collect/aws/",
    "botocore": "auditprep/collect/aws/",
    "docker": "auditprep/collect/docker/",
    "weasyprint": "auditprep/report/",
    "jinja2": "auditprep/report/",
}
CORE = [
    "auditprep.models",
    "auditprep.catalog",
    "auditprep.store",
    "auditprep.store.verify",
    "auditprep.checks",
    "auditprep.evaluate.posture",
    "auditprep.evaluate.answers",
    "auditprep.evaluate.summary",
    "auditprep.collect.run",
    "auditprep.cli",
    "auditprep.cli.root",
]


def test_heavy_libraries_are_imported_only_by_their_package() -> None:
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE.parent).as_posix()
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            for name in names:
                top = name.split(".")[0]
                if top in HEAVY and not rel.startswith(HEAVY[top]):
                    offenders.append(f"{rel}:{node.lineno} imports {name}")
    assert offenders == []


@pytest.mark.parametrize("module", CORE)
def test_core_module_loads_without_heavy_libraries(module: str) -> None:
    code = (
        f"import sys, importlib; importlib.import_module({module!r}); "
        "import auditprep.checks as c; c.load_all(); "
        f"print(','.join(sorted(m for m in {sorted(HEAVY)!r} if m in sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_the_assistant_does_not_stand_on_the_command_line_module() -> None:
    """The TUI and the CLI are two faces of the same core: nothing under tui/ imports auditprep.cli."""
    offenders = []
    for path in (PACKAGE / "tui").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            if any(n == "auditprep.cli" or n.startswith("auditprep.cli.") for n in names):
                offenders.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}")
    assert offenders == []
