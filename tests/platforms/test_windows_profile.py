"""A simulated Windows machine: ``%USERPROFILE%\\.claude``, no ``HOME``, no POSIX modes.

The checks run in this process (``inline=True``) with
``claude_session_tokens.core.platforms.current_platform`` (and every module's imported copy of it)
returning ``win32`` (helpers/simulate.py), the environment as Windows has it.
"""

from __future__ import annotations

import pytest
from helpers.foundation import (
    FOUNDATION_FILES,
    ORDER,
    assert_no_crash,
    assert_requirements_tagged,
    case,
    outcomes,
)
from helpers.leaks import assert_no_leak
from helpers.profiles import ProfileBuilder
from helpers.simulate import simulate_platform

WINDOWS_ENV = {"HOME": None, "CLAUDE_CONFIG_DIR": None, "HOMEDRIVE": None, "HOMEPATH": None}


@pytest.fixture
def windows(monkeypatch):
    simulate_platform(monkeypatch, "win32")


def test_userprofile_session_passes(windows, checks, tmp_path):
    userprofile = tmp_path / "Users" / "dev"
    profile = ProfileBuilder(userprofile / ".claude").create()
    profile.global_config.rename(userprofile / ".claude.json")
    profile.credentials.chmod(0o644)  # what a POSIX reading of a Windows ACL file may show
    run = checks.run(paths=FOUNDATION_FILES, env={**WINDOWS_ENV, "USERPROFILE": str(userprofile)}, inline=True)

    assert run.ret == 0, run.output
    assert_no_crash(run)
    assert outcomes(run) == {c: "passed" for c in ORDER}
    assert_requirements_tagged(run)
    assert_no_leak(run)
    assert f"config dir: {profile.dir} (from %USERPROFILE%)" in run.stdout
    assert f"global config: {userprofile / '.claude.json'} (in the home directory)" in run.stdout
    # POSIX modes mean nothing on Windows: no chmod warning, modes listed as "-"
    assert case(run, "readable").prop("warning") == []
    assert "chmod" not in run.stdout
    for entry in case(run, "list").prop("entry"):
        assert entry.split()[0] == "-"


def test_no_userprofile_explains_itself(windows, checks):
    run = checks.run(paths=FOUNDATION_FILES, env={**WINDOWS_ENV, "USERPROFILE": None}, inline=True)
    assert run.ret == 1
    assert_no_crash(run)
    assert outcomes(run) == {c: "failed" for c in ORDER}
    right = case(run, "dir")
    assert "The home directory is unknown: USERPROFILE is not set." in right.message
    remedy = "pass the directory yourself: pytest checks --claude-config-dir <path to your .claude directory>"
    assert right.prop("remedy") == [remedy]
    assert f"fix: {remedy}" in run.stdout
    assert "session: not found: The home directory is unknown" in run.stdout  # the header says so too


def test_missing_credentials_on_windows(windows, checks, tmp_path):
    userprofile = tmp_path / "Users" / "dev"
    profile = ProfileBuilder(userprofile / ".claude").create()
    profile.credentials.unlink()
    run = checks.run(paths=FOUNDATION_FILES, env={**WINDOWS_ENV, "USERPROFILE": str(userprofile)}, inline=True)
    assert run.ret == 1
    assert_no_crash(run)
    assert outcomes(run)["present"] == "failed"
    assert f"The credentials file is missing: {profile.credentials} does not exist." in case(run, "present").message
