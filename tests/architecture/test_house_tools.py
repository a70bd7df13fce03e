"""The house tools: ruff's configuration is run by CI and the layer packages keep it; their public
functions name real types."""

from __future__ import annotations

import ast
import inspect
import subprocess
import sys
from pathlib import Path

import tomllib
from helpers.runner import ROOT

from claude_session_tokens.k8s import render
from claude_session_tokens.session import handoff

# The packages whose signatures are annotated (the suite/ and the front door follow).
TYPED = ["claude_session_tokens/core", "claude_session_tokens/session", "claude_session_tokens/claude",
         "claude_session_tokens/k8s", "claude_session_tokens/kinds", "bench", "render_secret.py"]


def _typed_files() -> list[Path]:
    files: list[Path] = []
    for part in TYPED:
        base = ROOT / part
        files += [base] if base.is_file() else sorted(base.rglob("*.py"))
    return files


def _ci_commands() -> list[str]:
    return [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()
            if line.strip() and not line.lstrip().startswith("#")]


def test_ci_runs_ruff_on_the_whole_tree_before_the_tests():
    commands = _ci_commands()
    lint = [i for i, line in enumerate(commands) if "ruff check ." in line]
    assert lint, "the CI script must run `ruff check .`"
    assert lint[0] < len(commands) - 1, "ruff runs before the test command, which stays the last line"
    assert 'pip install "ruff==' in commands[lint[0]], "the ruff version is pinned where it is installed"


def test_ruff_configuration_selects_the_house_rules():
    ruff = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["ruff"]
    assert ruff["target-version"] == "py310"
    longest = max(len(line) for path in _typed_files() for line in path.read_text().splitlines())
    assert longest <= ruff["line-length"], "the typed packages keep the configured line length"
    lint = ruff["lint"]
    for rule_set in ("E", "F", "BLE", "SIM", "I", "UP", "ANN"):
        assert rule_set in lint["select"]
    assert "ANN401" not in lint["ignore"] and "ANN001" not in lint["ignore"]
    assert lint["per-file-ignores"]["tests/**"] == ["ANN", "E501"]


def test_ruff_passes_on_the_typed_packages():
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", *TYPED], cwd=ROOT,
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-1000:]


def _public_functions(tree: ast.Module) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    found = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and not node.name.startswith("_"):
            found.append(node)
        elif isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
            found += [item for item in node.body if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef))
                      and (not item.name.startswith("_") or item.name == "__init__")]
    return found


def test_public_functions_of_the_typed_packages_name_real_types():
    untyped = []
    for path in _typed_files():
        for fn in _public_functions(ast.parse(path.read_text())):
            where = f"{path.relative_to(ROOT)}:{fn.lineno} {fn.name}"
            for arg in [*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs]:
                if arg.arg in ("self", "cls"):
                    continue
                if arg.annotation is None:
                    untyped.append(f"{where}({arg.arg}): no annotation")
                elif ast.unparse(arg.annotation) == "Any":
                    untyped.append(f"{where}({arg.arg}): Any")
            if fn.returns is None:
                untyped.append(f"{where}: no return annotation")
            elif ast.unparse(fn.returns) == "Any":
                untyped.append(f"{where}: returns Any")
    assert untyped == []


def test_the_render_step_takes_the_session_under_test():
    for fn in (render.render, render.prepare, render.cli_version, handoff.hand_off):
        assert inspect.signature(fn).parameters["session"].annotation == "SessionUnderTest", fn.__name__
