"""The package's layers: no import cycle between its parts, and nothing below the web layer reaches up into it."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "qbwc_server"


def _part(module: str) -> str:
    """Return the part of the package a module belongs to: its subpackage, or the top-level module."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _imports() -> dict[str, set[str]]:
    """Return, for each part, the other parts its modules import (inside functions too)."""
    graph: dict[str, set[str]] = defaultdict(set)
    for path in PACKAGE.rglob("*.py"):
        if "versions" in path.parts:
            continue
        relative = path.relative_to(PACKAGE.parent).with_suffix("").parts
        source = _part(".".join(relative))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith("qbwc_server"):
                names = [f"qbwc_server.{a.name}" for a in node.names] if node.module == "qbwc_server" else [node.module]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names if a.name.startswith("qbwc_server")]
            else:
                continue
            graph[source].update(part for name in names if (part := _part(str(name))) not in ("", source))
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Return the groups of parts that import each other, directly or around a loop (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(part: str) -> None:
        index[part] = low[part] = len(index)
        stack.append(part)
        for other in graph.get(part, ()):
            if other not in index:
                visit(other)
                low[part] = min(low[part], low[other])
            elif other in stack:
                low[part] = min(low[part], index[other])
        if low[part] == index[part]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == part:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for part in list(graph):
        if part not in index:
            visit(part)
    return found


def test_no_two_parts_of_the_package_import_each_other():
    graph = _imports()
    assert "sync" in graph and "queue" not in graph  # the queue is part of the sync core
    assert _cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_only_the_server_shell_imports_the_web_layer():
    users = {part for part, imported in _imports().items() if "web" in imported}
    assert users <= {"wsgi"}, users
