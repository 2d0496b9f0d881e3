#!/usr/bin/env python3
"""Who may import whom: the rooms of issue 15, checked by reading the imports (``make lint``).

Every ``import``/``from ... import`` in the apps' own code (not tests, not migrations), at module
level or inside a function, counts. The rules:

- ``ledger`` (what you have) knows nothing of the apps built on it: no ``transfers``, ``loans``,
  ``beneficiaries``.
- ``accounts`` (who you are) imports no money app and not ``demo``.
- ``beneficiaries`` imports no ``transfers``.
- ``outbox`` and ``audit`` (plumbing) import no product app and not ``accounts``.
- ``notices`` (what the member is told; issue 16) imports no product app and not ``accounts``:
  accounts and the money apps call it, so it may depend only on the plumbing.
- nothing but ``demo`` itself imports ``demo`` (tests and benchmarks may).
- no loop between apps (``progresonet``, the project package that wires every app into URLs,
  settings and Celery, is left out of the loop check: it is the room everything hangs from).

Usage: ``python scripts/check_imports.py [ROOT]``; prints each violation and exits 1 if any.
"""

from __future__ import annotations

import ast
import sys
from collections import defaultdict
from pathlib import Path

APPS = (
    "accounts",
    "audit",
    "beneficiaries",
    "demo",
    "ledger",
    "loans",
    "notices",
    "outbox",
    "progresonet",
    "transfers",
)
MONEY_APPS = {"ledger", "transfers", "loans", "beneficiaries"}
PRODUCT_APPS = {"accounts", *MONEY_APPS}
FORBIDDEN: dict[str, set[str]] = {
    "ledger": {"transfers", "loans", "beneficiaries", "demo"},
    "accounts": MONEY_APPS | {"demo"},
    "beneficiaries": {"transfers", "demo"},
    "outbox": PRODUCT_APPS | {"demo"},
    "audit": PRODUCT_APPS | {"demo"},
    "notices": PRODUCT_APPS | {"demo"},
    "transfers": {"demo"},
    "loans": {"demo"},
    "progresonet": {"demo"},
}
LOOP_EXEMPT = {"progresonet"}


def _module_files(root: Path, app: str):
    for path in sorted((root / app).rglob("*.py")):
        parts = path.relative_to(root).parts
        if "migrations" in parts or "tests" in parts or path.name.startswith("test_"):
            continue
        yield path


def _imported_apps(path: Path, app: str) -> list[tuple[str, int]]:
    """The top-level apps ``path`` imports, with line numbers (relative imports stay in app)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: within the same app
                continue
            names = [node.module or ""]
        else:
            continue
        for name in names:
            top = name.split(".", 1)[0]
            if top in APPS and top != app:
                found.append((top, node.lineno))
    return found


def check(root: Path) -> list[str]:
    problems: list[str] = []
    graph: dict[str, dict[str, str]] = defaultdict(dict)  # app -> imported app -> first site
    for app in APPS:
        for path in _module_files(root, app):
            where = path.relative_to(root)
            for target, line in _imported_apps(path, app):
                graph[app].setdefault(target, f"{where}:{line}")
                if target in FORBIDDEN.get(app, set()):
                    problems.append(f"{where}:{line}: {app} must not import {target}")
    problems.extend(_loops(graph))
    return problems


def _loops(graph: dict[str, dict[str, str]]) -> list[str]:
    """Every cycle between apps (outside LOOP_EXEMPT), reported once with one site per edge."""
    edges = {
        app: {t for t in targets if t not in LOOP_EXEMPT}
        for app, targets in graph.items()
        if app not in LOOP_EXEMPT
    }
    seen: set[frozenset[str]] = set()
    problems = []

    def walk(start: str, node: str, path: list[str]) -> None:
        for nxt in sorted(edges.get(node, ())):
            if nxt == start:
                cycle = path + [start]
                key = frozenset(cycle)
                if key not in seen:
                    seen.add(key)
                    sites = ", ".join(
                        f"{a}→{b} ({graph[a][b]})" for a, b in zip(cycle, cycle[1:], strict=False)
                    )
                    problems.append(f"import loop {' → '.join(cycle)}: {sites}")
            elif nxt not in path and nxt > start:  # each cycle found from its smallest app
                walk(start, nxt, path + [nxt])

    for app in sorted(edges):
        walk(app, app, [app])
    return problems


def main(argv: list[str]) -> int:
    root = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parent.parent
    problems = check(root)
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} import rule violation(s); see scripts/check_imports.py")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
