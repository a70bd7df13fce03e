"""Finding the claude CLI and proving it can log out and in (FR-001, FR-002 capability)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from helpers.runner import ROOT

from claude_session_tokens.claude import cli
from claude_session_tokens.core.findings import FindingError

CLI_CHECK = "test_claude_cli_can_log_out_and_in"
REAL_CLAUDE = ROOT / "node_modules" / ".bin" / ("claude.cmd" if os.name == "nt" else "claude")
INSTALL = "npm install -g @anthropic-ai/claude-code@latest"


def test_the_cli_check_records_the_version_and_passes(checks, fake, profile):
    profile.create()
    run = checks.run("--claude-config-dir", str(profile.dir), "--claude-bin", str(fake.bin),
                     paths=("test_20_claude_cli.py",), env=fake.env())
    case = run.testcases()[CLI_CHECK]
    assert case.outcome == "passed", run.output
    assert case.prop("claude_version") == ["2.1.332"]
    assert {"FR-001", "FR-002"} <= set(case.requirements())
    assert all(c["profile"] != str(profile.dir) for c in fake.calls())


def test_a_too_old_cli_fails_with_the_upgrade_command(checks, fake, profile):
    profile.create()
    fake.control("old")
    run = checks.run("--claude-config-dir", str(profile.dir), "--claude-bin", str(fake.bin),
                     paths=("test_20_claude_cli.py",), env=fake.env())
    case = run.testcases()[CLI_CHECK]
    assert case.outcome == "failed"
    assert "no 'claude auth logout / login' command" in case.message
    assert INSTALL in case.prop("remedy")[0]
    assert run.ret == 1 and "Traceback" not in run.output


def test_a_missing_cli_fails_with_the_install_command(checks, profile, tmp_path):
    profile.create()
    run = checks.run("--claude-config-dir", str(profile.dir), "--claude-bin", str(tmp_path / "nowhere" / "claude"),
                     paths=("test_20_claude_cli.py", "test_40_test_prompt.py"))
    cases = run.testcases()
    for name in (CLI_CHECK, "test_prompt_answers_on_what_ships"):
        assert cases[name].outcome == "failed"
        assert INSTALL in cases[name].prop("remedy")[0]
    assert "Traceback" not in run.output


def test_something_that_is_not_claude_is_refused(tmp_path):
    if os.name == "nt":
        pytest.skip("a POSIX shell script stands in for another program here; Windows runs .cmd shims")
    not_claude = tmp_path / "claude"
    not_claude.write_text("#!/bin/sh\necho 'GNU bash, version 5.2'\n")
    not_claude.chmod(0o755)
    with pytest.raises(FindingError) as err:
        cli.find_cli(str(not_claude), dict(os.environ), sys.platform, ROOT)
    assert "like Claude Code" in err.value.finding.cause


def test_located_on_path_before_the_projects_own_install(tmp_path, fake):
    environ = {"PATH": str(fake.dir)}
    path, via = cli.locate(None, environ, tmp_path)
    assert (path, via) == (fake.bin, "PATH")


def test_the_projects_node_modules_is_the_fallback(tmp_path, fake):
    project = tmp_path / "project"
    local = project / "node_modules" / ".bin"
    local.mkdir(parents=True)
    for name in ("claude", "claude.cmd", "claude_fake.py"):
        (local / name).write_bytes((fake.dir / name).read_bytes())
    (local / "claude").chmod(0o755)
    path, via = cli.locate(None, {"PATH": str(tmp_path / "empty")}, project)
    assert via == "node_modules/.bin" and path.parent == local


def test_no_cli_anywhere_names_the_install_command(tmp_path):
    with pytest.raises(FindingError) as err:
        cli.locate(None, {"PATH": str(tmp_path)}, tmp_path)
    assert "not on PATH" in err.value.finding.cause
    assert INSTALL in err.value.finding.remedy


def test_the_auth_command_list_is_read_from_the_help_text():
    fake_source = (Path(__file__).resolve().parents[1] / "fakes" / "claude_fake.py").read_text()
    help_text = fake_source.split('AUTH_HELP = """')[1].split('"""')[0]  # copied from claude 2.1.332
    assert cli.parse_auth_commands(help_text) == ("login", "logout", "status")
    assert cli.parse_auth_commands("Usage: claude [options]\n\nCommands:\n  mcp  x\n  update  y\n") == ("mcp", "update")
    assert cli.parse_auth_commands("") == ()


def test_the_real_cli_from_npm_answers_the_capability_probe():
    """The installed CLI (package.json pins it) really lists 'auth login' and 'auth logout'."""
    assert REAL_CLAUDE.exists(), "run 'npm install' in the project: the tests use the real CLI from npm"
    found = cli.probe(REAL_CLAUDE, "--claude-bin", dict(os.environ), sys.platform)
    assert found.capability_problem() is None
    assert {"login", "logout"} <= set(found.auth_commands)
    assert found.version_line.endswith("(Claude Code)")
