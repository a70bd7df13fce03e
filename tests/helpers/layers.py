"""The import walk behind the layer rules (tests/architecture/test_layers.py): who imports what.

Every import counts, also one inside a function (a lazy import is still a dependency); an import
under ``if TYPE_CHECKING:`` does not (it names a type for annotations and never runs).
"""

from __future__ import annotations

import ast
from pathlib import Path

NAME = "claude_session_tokens"

PYTEST_ALLOWED = {"suite", "render_cli"}  # the pytest surface and the front door that runs it
LOWER = {"session", "claude", "k8s", "kinds"}
ABOVE_LOWER = {"suite", "render_cli"}


def layer_of(path: Path, package: Path) -> str:
    """``core``, ``session``, ... for a module in a layer package; the module's name at the top."""
    parts = path.relative_to(package).parts
    return parts[0] if len(parts) > 1 else path.stem


def _type_checking_only(node: ast.AST) -> bool:
    """``if TYPE_CHECKING:``: names for annotations, never imported when the code runs."""
    return isinstance(node, ast.If) and "TYPE_CHECKING" in (getattr(node.test, "id", None),
                                                           getattr(node.test, "attr", None))


def _run_time_nodes(tree: ast.AST):
    for node in ast.iter_child_nodes(tree):
        if not _type_checking_only(node):
            yield node
            yield from _run_time_nodes(node)


def imported(tree: ast.AST, module: str) -> list[tuple[int, str]]:
    """(line, dotted name) of every import in ``tree`` that runs (annotation-only imports under
    ``if TYPE_CHECKING:`` do not); relative ones resolved against ``module``."""
    found = []
    for node in _run_time_nodes(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")[:-node.level]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            # ``from claude_session_tokens import suite`` imports the layer ``suite``
            found += [(node.lineno, f"{name}.{alias.name}" if name == NAME else name) for alias in node.names]
    return found


def violations(package: Path, name: str = NAME) -> list[str]:
    """Every import that breaks a rule, as ``file:line: imports X (why not)``."""
    problems = []
    for path in sorted(package.rglob("*.py")):
        rel = path.relative_to(package)
        module = ".".join((name, *rel.with_suffix("").parts))
        layer = layer_of(path, package)
        for line, target in imported(ast.parse(path.read_text(encoding="utf-8")), module):
            top = target.split(".")[0]
            where = f"{rel.as_posix()}:{line}: imports {target}"
            if top in ("pytest", "_pytest") and layer not in PYTEST_ALLOWED:
                problems.append(f"{where} (only suite/ and render_cli.py import pytest)")
            if top != name:
                continue
            into = target.split(".")[1] if "." in target else "__init__"
            if layer == "core" and into != "core":
                problems.append(f"{where} (core/ imports nothing of the package but core/)")
            if layer in LOWER and into in ABOVE_LOWER:
                problems.append(f"{where} ({layer}/ never imports suite/ or render_cli.py)")
    return problems
