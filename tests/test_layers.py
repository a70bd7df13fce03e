"""The layers of the package, enforced: who may import pytest, and which layer may import which.

``core/`` is the shared base and imports nothing of the package but ``core``; the layers
``session/``, ``claude/``, ``k8s/`` and ``kinds/`` build on it and never reach up into the
pytest suite (``suite/``) or the front door (``render_cli.py``); only those two import pytest,
so the logic below them stays plain functions testable without it. Every import counts,
also one inside a function (a lazy import is still a dependency).
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "claude_session_tokens"
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


def test_the_package_keeps_its_layers():
    assert (PACKAGE / "core").is_dir() and (PACKAGE / "suite" / "plugin.py").is_file()
    assert violations(PACKAGE) == []


def test_the_walk_finds_each_kind_of_violation(tmp_path):
    """The rule test above could fail: a package that breaks each rule once (lazily, too) is caught."""
    package = tmp_path / NAME
    for layer in ("core", "kinds", "suite"):
        (package / layer).mkdir(parents=True)
        (package / layer / "__init__.py").write_text("")
    (package / "core" / "remedy.py").write_text(
        "import pytest\n\ndef spelling():\n    from claude_session_tokens.claude.cli import locate\n")
    (package / "kinds" / "token_mode.py").write_text(
        "def lines():\n    from claude_session_tokens.render_cli import apply_lines\n"
        "    from .. import suite\n    from _pytest import nodes\n")
    (package / "kinds" / "oauth_token.py").write_text(  # annotations only: allowed
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from claude_session_tokens.suite.session import S\n")
    (package / "suite" / "plugin.py").write_text("import pytest\nfrom claude_session_tokens.core import remedy\n")
    (package / "render_cli.py").write_text("import pytest\nfrom claude_session_tokens.suite import plugin\n")
    found = violations(package)
    assert found == [
        "core/remedy.py:1: imports pytest (only suite/ and render_cli.py import pytest)",
        "core/remedy.py:4: imports claude_session_tokens.claude.cli (core/ imports nothing of the package but core/)",
        "kinds/token_mode.py:2: imports claude_session_tokens.render_cli (kinds/ never imports suite/ or render_cli.py)",
        "kinds/token_mode.py:3: imports claude_session_tokens.suite (kinds/ never imports suite/ or render_cli.py)",
        "kinds/token_mode.py:4: imports _pytest (only suite/ and render_cli.py import pytest)",
    ]
