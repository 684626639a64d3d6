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


def _import_graph() -> dict[str, set[str]]:
    """Module -> the package modules it imports, at any depth of the file (an import inside a
    function is still a dependency), except under ``if TYPE_CHECKING``."""
    modules: dict[str, Path] = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join(parts)] = path
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        tree = ast.parse(path.read_text())
        typing_only = {
            id(sub)
            for node in ast.walk(tree)
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
            for sub in ast.walk(node)
        }
        for node in ast.walk(tree):
            if id(node) in typing_only:
                continue
            if isinstance(node, ast.Import):
                graph[name] |= {a.name for a in node.names if a.name in modules}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for alias in node.names:
                    full = f"{node.module}.{alias.name}"
                    if full in modules:
                        graph[name].add(full)
                    elif node.module in modules:
                        graph[name].add(node.module)
        graph[name].discard(name)
    return graph


def test_no_import_cycle_in_the_package() -> None:
    graph = _import_graph()
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append(path[path.index(nxt) :] + [nxt])
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for start in sorted(graph):
        if start not in state:
            visit(start, [start])
    assert cycles == []


def test_no_module_outgrows_one_reading() -> None:
    long = {
        path.relative_to(PACKAGE.parent).as_posix(): n
        for path in PACKAGE.rglob("*.py")
        if (n := len(path.read_text().splitlines())) > 450
    }
    assert long == {}
