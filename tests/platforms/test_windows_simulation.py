"""Windows behaviour, simulated on Linux and macOS (and run natively on a Windows runner).

Where the session lives (``%USERPROFILE%``, no ``HOME``), the CLI found as ``claude.cmd`` or
``claude.exe`` through ``PATHEXT``, no POSIX mode warnings or modes in the listing, the
``icacls`` remedy, and the terminal attachment of the fresh login.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.leaks import assert_no_leak
from helpers.profiles import ProfileBuilder
from helpers.runner import CHECKS, ROOT, ChecksRun

import claude_session_tokens.core.platforms as platforms
from claude_session_tokens.claude import cli, processes
from claude_session_tokens.core.findings import FindingError
from claude_session_tokens.session.discovery import discover
from claude_session_tokens.session.files import inspect_file, unreadable_finding
from claude_session_tokens.session.listing import list_session_dir
from claude_session_tokens.session.sources import FileCredentialSource

NATIVE_WINDOWS = os.name == "nt"


# --- where the session lives -------------------------------------------------------------------

def test_discovery_uses_userprofile_without_home(tmp_path):
    user = tmp_path / "Users" / "dev"
    location = discover(None, {"USERPROFILE": str(user)}, "win32")
    assert location.config_dir == user / ".claude"
    assert location.origin == "%USERPROFILE%"
    assert location.global_config == user / ".claude.json"
    assert type(location.credentials) is FileCredentialSource  # no Keychain on Windows, even 'auto'
    assert location.credentials.path == user / ".claude" / ".credentials.json"


def test_userprofile_wins_over_home_on_windows(tmp_path):
    """Git Bash and MSYS set HOME too; the CLI on Windows uses the user profile."""
    env = {"USERPROFILE": str(tmp_path / "profile"), "HOME": str(tmp_path / "msys-home")}
    assert discover(None, env, "win32").config_dir == tmp_path / "profile" / ".claude"
    assert discover(None, env, "linux").config_dir == tmp_path / "msys-home" / ".claude"


def test_claude_config_dir_still_wins_on_windows(tmp_path):
    env = {"USERPROFILE": str(tmp_path / "u"), "CLAUDE_CONFIG_DIR": str(tmp_path / "cfg")}
    location = discover(None, env, "win32")
    assert location.config_dir == tmp_path / "cfg" and location.origin == "CLAUDE_CONFIG_DIR"
    assert location.global_config == tmp_path / "cfg" / ".claude.json"


# --- the CLI found through PATHEXT -------------------------------------------------------------

@pytest.fixture
def windows_which(monkeypatch):
    """``shutil.which`` with Windows rules: PATHEXT decides which files are programs.

    Natively on Windows nothing is patched; elsewhere ``sys.platform`` is ``win32`` for the
    duration, and PATHEXT uses this OS's path separator (as ``shutil`` splits it).
    """
    if not NATIVE_WINDOWS:
        monkeypatch.setattr(sys, "platform", "win32")
        if hasattr(shutil, "_WINDOWS"):  # newer Pythons read a module constant instead
            monkeypatch.setattr(shutil, "_WINDOWS", True)
    extensions = [".COM", ".EXE", ".BAT", ".CMD"]
    if not NATIVE_WINDOWS:  # Windows matches names case-insensitively; this file system does not
        extensions += [e.lower() for e in extensions]
    monkeypatch.setenv("PATHEXT", os.pathsep.join(extensions))


def _program(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("@echo off\r\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


@pytest.mark.parametrize("name", ["claude.cmd", "claude.exe"])
def test_cli_is_found_as_cmd_or_exe_on_path(tmp_path, windows_which, name):
    program = _program(tmp_path / "npm-global" / name)
    path, via = cli.locate(None, {"PATH": str(program.parent)}, tmp_path / "project")
    assert via == "PATH"
    assert path.name.lower() == name.lower()


def test_cli_is_found_in_the_projects_node_modules_as_cmd(tmp_path, windows_which):
    project = tmp_path / "project"
    _program(project / "node_modules" / ".bin" / "claude")  # the sh script npm also writes
    program = _program(project / "node_modules" / ".bin" / "claude.cmd")
    path, via = cli.locate(None, {"PATH": str(tmp_path / "empty")}, project)
    assert via == "node_modules/.bin"
    assert path == program


def test_bare_claude_bin_name_is_looked_up_with_pathext(tmp_path, windows_which):
    program = _program(tmp_path / "bin" / "claude.exe")
    path, via = cli.locate("claude", {"PATH": str(program.parent)}, tmp_path)
    assert (path, via) == (program, "--claude-bin")


def test_a_missing_cli_names_the_install_command(tmp_path, windows_which):
    with pytest.raises(FindingError) as err:
        cli.locate(None, {"PATH": str(tmp_path / "empty")}, tmp_path / "project")
    assert "npm install -g @anthropic-ai/claude-code" in err.value.finding.remedy


# --- file modes mean nothing on Windows ---------------------------------------------------------

def test_listing_shows_no_posix_modes_on_windows(profile):
    profile.create()
    windows = list_session_dir(profile.dir, "win32")
    assert {e.mode for e in windows} == {"-"}
    if not NATIVE_WINDOWS:
        assert {e.mode for e in list_session_dir(profile.dir, "linux")} != {"-"}


def test_unreadable_file_remedy_is_icacls_on_windows(monkeypatch, profile):
    profile.create()
    state = inspect_file(profile.credentials)
    monkeypatch.setattr(platforms, "current_platform", lambda: "win32")
    finding = unreadable_finding(state, "credentials file", PermissionError(13, "Permission denied"))
    assert finding.remedy == f'icacls "{profile.credentials}" /grant "${{env:USERNAME}}:R"   (in PowerShell)'
    monkeypatch.setattr(platforms, "current_platform", lambda: "linux")
    finding = unreadable_finding(state, "credentials file", PermissionError(13, "Permission denied"))
    assert finding.remedy.startswith("chmod u+r ")


SESSION_FILE_CHECK_FILES = tuple(sorted(p.name for p in CHECKS.glob("test_1*.py"))) + ("test_60_directory_listing.py",)


def run_session_file_checks_inline(pytester, out: Path, *args: str) -> ChecksRun:
    out.mkdir(parents=True, exist_ok=True)
    junit = out / "junit.xml"
    result = pytester.runpytest(*[str(CHECKS / n) for n in SESSION_FILE_CHECK_FILES],
                                f"--rootdir={ROOT}", "-c", str(ROOT / "pyproject.toml"),
                                f"--junitxml={junit}", f"--reports-dir={out}", *args)
    return ChecksRun(result.ret, result.stdout.str(), result.stderr.str(), junit, out / "summary.md", out)


@pytest.mark.skipif(NATIVE_WINDOWS, reason="POSIX modes cannot be set on Windows; the native run "
                    "of the other tests covers Windows itself")
def test_checks_on_simulated_windows_find_the_profile_and_ignore_posix_modes(pytester, monkeypatch, tmp_path):
    """The session-file checks with ``%USERPROFILE%`` only and a group-readable credentials file."""
    import claude_session_tokens.suite.session as session_module

    user = tmp_path / "Users" / "dev"
    profile = ProfileBuilder(user / ".claude").create()
    profile.global_config.rename(user / ".claude.json")  # %USERPROFILE%\.claude.json
    profile.credentials.chmod(0o644)  # on Linux this is a warning; on Windows modes mean nothing
    monkeypatch.setattr(session_module, "current_platform", lambda: "win32")
    monkeypatch.setattr(platforms, "current_platform", lambda: "win32")
    monkeypatch.delenv("HOME", raising=False)
    monkeypatch.delenv("CLAUDE_CONFIG_DIR", raising=False)
    monkeypatch.setenv("USERPROFILE", str(user))
    run = run_session_file_checks_inline(pytester, tmp_path / "out")
    cases = run.testcases()
    assert {c.outcome for c in cases.values()} == {"passed"}, {n: c.message for n, c in cases.items()}
    assert f"config dir: {user / '.claude'} (from %USERPROFILE%)" in run.stdout
    assert all(not c.prop("warning") for c in cases.values()), {n: c.prop("warning") for n, c in cases.items()}
    assert "0644" not in run.summary_path.read_text()
    assert "    -  file" in run.summary_path.read_text()  # the listing's mode column
    assert_no_leak(run)


def test_the_same_group_readable_file_warns_on_linux(pytester, monkeypatch, tmp_path):
    """The counter-test: the warning above is absent because of the platform, not by accident."""
    if NATIVE_WINDOWS:
        pytest.skip("POSIX modes cannot be set on Windows")  # the native run covers Windows itself
    import claude_session_tokens.suite.session as session_module

    profile = ProfileBuilder(tmp_path / "home" / ".claude").create()
    profile.credentials.chmod(0o644)
    monkeypatch.setattr(session_module, "current_platform", lambda: "linux")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("CLAUDE_CONFIG_DIR", raising=False)
    run = run_session_file_checks_inline(pytester, tmp_path / "out")
    readable = run.testcases()["test_credentials_are_readable"]
    assert readable.outcome == "passed"
    assert any("mode 0644" in v for v in readable.prop("warning")), readable.properties


# --- terminal attachment of the fresh login ----------------------------------------------------

def test_attached_run_on_windows_inherits_the_console_and_kills_the_tree_with_taskkill(monkeypatch, tmp_path):
    """``run_attached`` (the fresh login) on Windows: no pipes, no new process group (the login
    must read the console and get Ctrl+C), and at the limit ``taskkill /T /F`` stops the tree."""
    launched: list[dict] = []
    real_popen = processes._popen

    def recording_popen(argv, **kwargs):
        launched.append(kwargs)
        return real_popen(argv, **kwargs)

    killed: list[list[str]] = []
    real_run = subprocess.run

    def recording_run(argv, *args, **kwargs):
        if argv and argv[0] == "taskkill":
            killed.append(list(argv))
            return subprocess.CompletedProcess(argv, 0)
        return real_run(argv, *args, **kwargs)

    monkeypatch.setattr(processes, "_popen", recording_popen)
    monkeypatch.setattr(processes.subprocess, "run", recording_run)
    sleeper = [sys.executable, "-c", "import time; time.sleep(30)"]
    done = processes.run_attached(sleeper, env=dict(os.environ), limit=0.5, platform="win32")
    assert done.timed_out and done.returncode is None
    assert done.seconds < 10
    (kwargs,) = launched
    for stream in ("stdin", "stdout", "stderr"):
        assert kwargs.get(stream) is None  # inherited: the user's console
    assert "creationflags" not in kwargs and "start_new_session" not in kwargs
    assert len(killed) == 1 and killed[0][:4] == ["taskkill", "/T", "/F", "/PID"]


def test_captured_run_on_windows_gets_its_own_process_group():
    """``claude -p`` runs in a new process group on Windows so the tree can be stopped at the limit."""
    kwargs = processes._group_kwargs("win32")
    assert kwargs == {"creationflags": getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0)}
    assert processes._group_kwargs("linux") == {"start_new_session": True}
