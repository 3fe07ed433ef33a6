"""The layers hold: the top-level modules import nothing above them, and no import cycle exists.

`make test` also runs `lint-imports` (contracts in pyproject.toml); this test
runs the same contracts so a plain `pytest` catches a wrong import too.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("analysis", "collectors", "reports", "commands")
# Modules below every package: what each may import of replyscope's own.
BOTTOM = {
    "store_views": set(),
    "store_schema": {"store_views"},
    "store": {"store_schema", "store_views"},
    "store_scope": {"store"},
    "textsafety": set(),
}
OURS = {*PACKAGES, *BOTTOM, "cli"}


def imported_roots(path: Path) -> set[str]:
    """Top-level names of replyscope modules a file imports (anywhere in it)."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module.split(".")[0])
    return out & OURS


@pytest.mark.parametrize("module", sorted(BOTTOM))
def test_bottom_modules_import_nothing_above_them(module: str) -> None:
    assert imported_roots(ROOT / f"{module}.py") <= BOTTOM[module]


def _cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.find_modules_directly_imported_by(v):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return found


def test_no_import_cycles() -> None:
    graph = grimp.build_graph(*PACKAGES, exclude_type_checking_imports=True)
    assert _cycles(graph) == []


def test_import_contracts_hold() -> None:
    # The command itself (its Python API needs the CLI's settings set up first).
    result = subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports"), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:]
