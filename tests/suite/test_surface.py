"""The suite's pytest surface: one plugin with every hook, one run state, the fixture documented
from its class, outcomes and statuses as enums."""

from __future__ import annotations

import ast
import subprocess
import sys
from collections import Counter
from pathlib import Path

from _pytest import hookspec
from helpers.runner import CHECKS, ROOT, UNRELATED_PLUGINS_OFF

from claude_session_tokens.suite.ledger import Outcome, Status
from claude_session_tokens.suite.session import SessionUnderTest

PACKAGE = ROOT / "claude_session_tokens"
PLUGIN = PACKAGE / "suite" / "plugin.py"


HOOKS = {name for name in dir(hookspec) if name.startswith("pytest_")}


def _hooks(path: Path) -> list[str]:
    """The pytest hooks defined at the top of ``path`` (render_cli.py's ``_Collector`` is the front
    door's own plugin object: it only keeps the run's config)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [node.name for node in tree.body if isinstance(node, ast.FunctionDef) and node.name in HOOKS]


def test_every_hook_is_in_the_plugin_once_and_conftest_keeps_only_the_guard():
    everywhere = Counter()
    for path in [ROOT / "conftest.py", *sorted(PACKAGE.rglob("*.py"))]:
        for name in _hooks(path):
            everywhere[name] += 1
            if path not in (PLUGIN, ROOT / "conftest.py", PACKAGE / "suite" / "pytest_options.py"):
                raise AssertionError(f"{path.relative_to(ROOT)} defines the hook {name}")
    assert _hooks(ROOT / "conftest.py") == ["pytest_configure"]  # the copy-install guard, nothing else
    assert _hooks(PACKAGE / "suite" / "pytest_options.py") == ["pytest_addoption"]
    plugin = Counter(_hooks(PLUGIN))
    assert plugin["pytest_configure"] == plugin["pytest_terminal_summary"] == 1
    assert plugin["pytest_collection_modifyitems"] == 1
    # besides the guard, no hook is defined twice anywhere
    assert {name: n for name, n in everywhere.items() if n > 1} == {"pytest_configure": 2}
    conftest = (ROOT / "conftest.py").read_text(encoding="utf-8")
    assert "pytest.fixture" not in conftest


def test_the_run_state_is_one_object_under_one_stash_key():
    keys = [f"{p.relative_to(ROOT)}" for p in sorted(PACKAGE.rglob("*.py"))
            for _ in range(p.read_text(encoding="utf-8").count("StashKey["))]
    # per-item keys (a check's warnings and sections) live on the item; the run has one key
    assert keys == ["claude_session_tokens/suite/plugin.py", "claude_session_tokens/suite/plugin.py",
                    "claude_session_tokens/suite/run_state.py"]


def test_settings_are_built_once_per_run(pytester, monkeypatch, profile, tmp_path):
    from claude_session_tokens.suite import options

    built = []
    original = options.Settings.from_values.__func__

    def counting(cls, get, project_root):
        built.append(project_root)
        return original(cls, get, project_root)

    monkeypatch.setattr(options.Settings, "from_values", classmethod(counting))
    result = pytester.runpytest_inprocess(
        str(CHECKS), f"--rootdir={ROOT}", "-c", str(ROOT / "pyproject.toml"), *UNRELATED_PLUGINS_OFF,
        "--collect-only", f"--reports-dir={tmp_path / 'reports'}", f"--claude-config-dir={profile.create().dir}")
    assert result.ret == 0, result.stdout.str()[-2000:]
    assert built == [ROOT]  # the plugin's configure; collection (the time limits) reads the same


def test_a_run_outside_checks_gets_no_session_and_no_reports(pytester, tmp_path):
    """The plugin is loaded for every run of the project (``pytest tests`` too); the checks-only
    part (the session, the spelling of remedies, the reports, the table) is for checks/ alone."""
    pytester.makepyfile(test_plain="""
        from claude_session_tokens.suite.plugin import run_state

        def test_state(request):
            state = run_state(request.config)
            assert state.session is None and state.spelling is None and state.summary_path is None
            assert state.settings is not None  # read once, for the time limits of any check collected
    """)
    reports = tmp_path / "reports"
    result = pytester.runpytest_inprocess("-p", "claude_session_tokens.suite.pytest_options", *UNRELATED_PLUGINS_OFF,
                                          f"--reports-dir={reports}")
    assert result.ret == 0, result.stdout.str()[-2000:]
    assert "requirements" not in result.stdout.str() and not reports.exists()


def test_the_fixture_is_documented_by_its_class(tmp_path):
    """``pytest --fixtures -v`` shows claude_session with SessionUnderTest's docstring, which names
    what a check may use."""
    run = subprocess.run([sys.executable, "-m", "pytest", str(CHECKS), f"--rootdir={ROOT}", "-c",
                          str(ROOT / "pyproject.toml"), *UNRELATED_PLUGINS_OFF, "--fixtures", "-v",
                          f"--reports-dir={tmp_path / 'reports'}", f"--claude-config-dir={tmp_path / 'none'}"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    shown = run.stdout.split("claude_session [session scope]", 1)[1].split("secret_gate", 1)[0]
    doc = SessionUnderTest.__doc__
    for part in ("settings", "location", "credentials_blob", "oauth", "payload", "cli", "prompt_result",
                 "describe()", "FindingError"):
        assert f"``{part}" in doc or part in doc
    for line in (line.strip() for line in doc.splitlines()):
        assert line in shown, line


def test_outcomes_and_statuses_are_enums_that_read_as_before():
    assert [str(o) for o in Outcome] == ["not run", "passed", "skipped by design", "skipped", "refused",
                                         "blocked", "failed", "error"]
    assert [str(s) for s in Status] == ["PASS", "FAIL", "SKIP", "NOT RUN", "N/A", "READY"]
    assert f"{Status.NOT_RUN:<7}|" == "NOT RUN|" and f"{Status.PASS:<7}|" == "PASS   |"
    assert Outcome("skipped by design") is Outcome.SKIPPED_BY_DESIGN and Outcome.ERROR.rank > Outcome.FAILED.rank
