"""The layers of the package, enforced: who may import pytest, and which layer may import which.

``core/`` is the shared base and imports nothing of the package but ``core``; the layers
``session/``, ``claude/``, ``k8s/`` and ``kinds/`` build on it and never reach up into the
pytest suite (``suite/``) or the front door (``render_cli.py``); only those two import pytest,
so the logic below them stays plain functions testable without it. Every import counts,
also one inside a function (a lazy import is still a dependency).
"""

from __future__ import annotations

from pathlib import Path

from helpers.layers import NAME, violations

PACKAGE = Path(__file__).resolve().parents[2] / "claude_session_tokens"


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
