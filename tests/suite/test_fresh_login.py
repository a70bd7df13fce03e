"""The fresh-login check (FR-001, FR-002, SC-001, US1.1, US1.3) against the fake claude.

The real ``claude auth login`` needs a browser and a person; the fake behaves as domain.md
says: on a terminal it asks for the pasted code and reads it, without one it waits forever.
So a login that passes here ran on a real pseudo-terminal (helpers/terminal_runs.py) where
the test typed the code, and the run without a terminal is detached from every terminal,
as in CI. Pseudo-terminals are POSIX-only; the no-terminal tests run everywhere.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest
from helpers.leaks import assert_no_leak
from helpers.profiles import CANARY_ACCESS, CANARY_MARKER, CANARY_REFRESH
from helpers.render_support import RENDER_SECRET
from helpers.terminal_runs import (
    CTRL_C,
    TerminalModes,
    checks_command,
    run_in_terminal,
    run_without_terminal,
)

LOGIN = "test_fresh_login"
LOGIN_CHECKS = ("test_00_fresh_login.py", "test_12_credentials_present.py", "test_16_credentials_valid.py",
                "test_40_test_prompt.py")
PRESENT, VALID, PROMPT = ("test_credentials_are_present", "test_credentials_hold_a_claude_max_session",
                          "test_prompt_answers_on_what_ships")
BROWSER_LINE = b"If the browser didn't open"


needs_pty = pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals (pty) are POSIX-only")


def run_checks(checks, fake, profile, *args, paths=LOGIN_CHECKS):
    return checks.run("--claude-config-dir", str(profile.dir), "--claude-bin", str(fake.bin), *args,
                      paths=paths, env=fake.env())


@pytest.fixture
def login_run(pytester, fake, profile, tmp_path):
    """``login_run(*args, terminal=True)``: the checks with --fresh-login, on a pseudo-terminal
    where the code is typed when asked (``terminal=False``: detached from every terminal)."""
    def run(*args, paths=LOGIN_CHECKS, terminal=True, code="fake-authorization-code", env=None, **pty):
        out = tmp_path / "out"
        cmd = checks_command(out, pytester.path / "basetemp-login", "--claude-config-dir", str(profile.dir),
                             "--claude-bin", str(fake.bin), "--fresh-login", *args, paths=paths)
        if terminal:
            return run_in_terminal(cmd, out, pytester.path, env={**fake.env(), **(env or {})}, code=code, **pty)
        return run_without_terminal(cmd, out, pytester.path, env={**fake.env(), **(env or {})})
    return run


def refresh_token_in(profile) -> str:
    return json.loads(profile.credentials.read_text())["claudeAiOauth"]["refreshToken"]


def test_without_the_option_it_is_skipped_by_design_with_the_command(checks, fake, profile):
    profile.create()
    before = profile.snapshot()
    run = run_checks(checks, fake, profile, paths=("test_00_fresh_login.py", "test_20_claude_cli.py"))
    case = run.testcases()[LOGIN]
    assert case.outcome == "skipped"
    assert case.prop("skipped_by_design") and "pytest checks --fresh-login" in case.prop("skipped_by_design")[0]
    assert run.ret == 0
    assert "SC-001  SKIP" in run.stdout
    assert "FR-001  READY" in run.stdout, "the capability check shows FR-001 possible while the login is skipped"
    assert fake.events("logout") == [] and fake.events("login") == []
    assert profile.snapshot() == before


@needs_pty
def test_a_fresh_login_replaces_the_session_and_every_check_sees_the_new_one(login_run, fake, profile):
    profile.create()
    run = login_run()
    cases = run.testcases()
    login = cases[LOGIN]
    assert login.outcome == "passed", run.output
    assert [c["event"] for c in fake.calls() if c.get("event") in ("logout", "login")] == ["logout", "login"]
    # The CLI ran on the terminal: it saw a tty, asked for the code, and read what was typed.
    assert fake.events("login")[0]["tty"] is True
    assert [c["received"] for c in fake.events("login_code")] == [True]
    assert "Paste code here if prompted >" in run.stdout
    assert float(login.prop("login_seconds")[0]) >= 0
    before, after = login.prop("fingerprint_before")[0], login.prop("fingerprint_after")[0]
    assert before != after and len(after) == 12
    new_refresh = refresh_token_in(profile)
    assert new_refresh != CANARY_REFRESH and CANARY_MARKER in new_refresh  # still a canary for leak checks
    # The checks after the login judged the new credentials, and the prompt ran on them.
    assert cases["test_credentials_hold_a_claude_max_session"].outcome == "passed"
    assert cases["test_prompt_answers_on_what_ships"].outcome == "passed"
    prompt = [c for c in fake.calls() if c.get("used") == "session"][0]
    new_access = json.loads(profile.credentials.read_text())["claudeAiOauth"]["accessToken"]
    from claude_session_tokens.core.masked import fingerprint
    assert prompt["session"] == fingerprint(new_access) != fingerprint(CANARY_ACCESS)
    # The CLI's own words reached the terminal on a passing run, and the suite said what it waits for.
    assert "Login successful." in run.stdout
    assert "claude auth login: sign in in your browser" in run.stdout
    assert "interactive terminal" not in run.stdout
    assert run.ret == 0
    assert_no_leak(run)


@needs_pty
def test_a_login_from_no_session_at_all_passes(login_run, fake, profile):
    profile.dir.mkdir(parents=True)
    run = login_run()
    case = run.testcases()[LOGIN]
    assert case.outcome == "passed", run.output
    assert case.prop("fingerprint_before") == ["none"]
    assert profile.credentials.is_file()


@needs_pty
def test_an_unchanged_fingerprint_fails(login_run, fake, profile):
    profile.create()
    fake.control(login="restore", login_tokens={"accessToken": CANARY_ACCESS, "refreshToken": CANARY_REFRESH})
    run = login_run(paths=("test_00_fresh_login.py",))
    case = run.testcases()[LOGIN]
    assert case.outcome == "failed"
    assert "the session is the same as before" in case.message
    profile_cli = f"CLAUDE_CONFIG_DIR={profile.dir} {fake.bin}"
    assert f"{profile_cli} auth logout && {profile_cli} auth login" in case.prop("remedy")[0]
    assert run.ret == 1
    assert "Traceback" not in run.output
    assert_no_leak(run)


def assert_later_checks_judged_the_logged_out_profile(run, fake, profile):
    """Review 2.1: after the logout the pre-logout bytes are forgotten: the credentials checks
    see the missing file, and the test prompt never runs on tokens that were just logged out."""
    cases = run.testcases()
    assert not profile.credentials.exists()
    assert cases[PRESENT].outcome == "failed" and "missing" in cases[PRESENT].message
    assert cases[VALID].outcome == "failed"
    assert cases[PROMPT].outcome != "passed"
    assert fake.events("prompt") == []
    assert "FR-004  PASS" not in run.stdout and "SC-005  PASS" not in run.stdout
    assert run.ret == 1
    assert "Traceback" not in run.output


@needs_pty
def test_a_login_that_writes_nothing_fails(login_run, fake, profile):
    profile.create()
    fake.control(login="nothing")
    run = login_run()
    case = run.testcases()[LOGIN]
    assert case.outcome == "failed"
    assert "no new credentials were found" in case.message
    assert "claude auth login" in case.prop("remedy")[0]
    assert_later_checks_judged_the_logged_out_profile(run, fake, profile)


@needs_pty
def test_a_failing_login_leaves_the_later_checks_judging_the_logged_out_profile(login_run, fake, profile):
    profile.create()
    fake.control(login="fail")
    run = login_run()
    case = run.testcases()[LOGIN]
    assert case.outcome == "failed"
    assert "'claude auth login'" in case.message and "you are now logged out" in case.message
    assert f"CLAUDE_CONFIG_DIR={profile.dir} {fake.bin} auth login" in case.prop("remedy")[0]
    assert_later_checks_judged_the_logged_out_profile(run, fake, profile)


@needs_pty
def test_a_failing_logout_stops_before_the_login(login_run, fake, profile):
    profile.create()
    fake.control(logout="fail")
    run = login_run(paths=("test_00_fresh_login.py",))
    case = run.testcases()[LOGIN]
    assert case.outcome == "failed"
    assert "'claude auth logout'" in case.message and "exited with code 1" in case.message
    assert fake.events("login") == []


@needs_pty
def test_a_login_that_never_finishes_is_stopped_at_the_limit(login_run, fake, profile):
    profile.create()
    fake.control(login="hang")  # the user never finishes the browser sign-in
    limit = 2.0
    started = time.monotonic()
    run = login_run("--login-timeout", str(limit))
    wall = time.monotonic() - started
    case = run.testcases()[LOGIN]
    assert case.outcome == "failed"
    assert f"did not finish within {limit:g} s" in case.message and "SC-001" in case.message
    assert fake.events("login")[0]["tty"] is True  # it had the terminal; the person was too slow
    assert "interactive terminal" not in case.message
    assert "--login-timeout" in case.prop("remedy")[0]
    assert "\nclaude auth login was stopped after" in run.stdout  # on its own line, not after the CLI's prompt
    assert len(fake.events("login_interrupted")) == 1  # stopped gently (SIGINT), so the CLI could clean up
    assert wall < limit + 30  # correctness bound of the kill, pytest start-up included
    assert_later_checks_judged_the_logged_out_profile(run, fake, profile)


@needs_pty
def test_a_login_killed_in_raw_mode_leaves_the_terminal_as_it_was(login_run, fake, profile):
    """Review 2.2: the real login (Ink) sets raw mode; a CLI killed at the limit cannot undo it.
    The suite restores the terminal's settings, so echo and Ctrl+C work afterwards."""
    import termios

    profile.create()
    fake.control(login="hang_raw")  # raw mode, SIGINT ignored: only the kill stops it
    modes = TerminalModes()
    run = login_run("--login-timeout", "2", modes=modes)
    assert fake.events("login_raw"), "the fake did set raw mode"
    assert fake.events("login_interrupted") == []  # it ignored SIGINT, so the kill after the grace stopped it
    assert run.testcases()[LOGIN].outcome == "failed"
    assert "did not finish within 2 s" in run.testcases()[LOGIN].message
    wanted = termios.ECHO | termios.ICANON | termios.ISIG
    assert modes.before is not None and modes.before & wanted == wanted
    assert modes.after == modes.before
    assert_later_checks_judged_the_logged_out_profile(run, fake, profile)


@needs_pty
def test_ctrl_c_during_the_login_says_you_are_logged_out_and_how_to_sign_in(login_run, fake, profile):
    """Review 2.4: Ctrl+C after the logout: the run stops, and the user learns that the old session
    is gone and which command signs them in again."""
    profile.create()
    fake.control(login="hang")
    run = login_run(keys=((BROWSER_LINE, CTRL_C),))
    assert fake.events("logout") and fake.events("login")
    assert "Interrupted: you are now logged out" in run.stdout
    assert f"Sign in again: CLAUDE_CONFIG_DIR={profile.dir} {fake.bin} auth login" in run.stdout
    assert run.ret != 0
    assert fake.events("prompt") == []
    assert not profile.credentials.exists()


@needs_pty
def test_a_login_limit_beyond_pytest_timeouts_is_kept(login_run, fake, profile):
    """Review 2.3: pytest-timeout's limit per check (here --timeout 3) must not cut a longer
    --login-timeout: the login check gets a limit of its own, and the SC-001 verdict explains."""
    profile.create()
    fake.control(login="hang")
    run = login_run("--timeout", "3", "--login-timeout", "6", paths=("test_00_fresh_login.py",))
    case = run.testcases()[LOGIN]
    assert case.outcome == "failed"
    assert "did not finish within 6 s" in case.message, case.message
    assert "Timeout" not in run.stdout and "open an issue" not in case.prop("remedy")[0]


def test_a_prompt_limit_beyond_pytest_timeouts_is_kept(checks, fake, profile):
    profile.create()
    fake.control("slow", delay=5)
    run = run_checks(checks, fake, profile, "--timeout", "2", "--prompt-timeout", "30",
                     paths=("test_40_test_prompt.py",))
    case = run.testcases()[PROMPT]
    assert case.outcome == "passed", case.message
    assert len(fake.events("prompt")) == 1


def test_in_ci_it_refuses_at_once_even_on_a_terminal(login_run, fake, profile):
    """Review 2.5: a CI job may have a console (Windows) or a pseudo-terminal; CI=true settles it."""
    profile.create()
    before = profile.snapshot()
    kwargs = {"terminal": True} if sys.platform != "win32" else {"terminal": False}
    run = login_run(paths=("test_00_fresh_login.py",), env={"CI": "true"}, **kwargs)
    case = run.testcases()[LOGIN]
    assert case.outcome == "failed"
    assert "needs an interactive terminal" in case.message and "CI=true is set" in case.message
    assert "you were not logged out" in case.message
    assert "without a terminal (CI) leave --fresh-login out" in case.prop("remedy")[0]
    assert fake.events("logout") == [] and fake.events("login") == []
    assert profile.snapshot() == before


def test_without_a_terminal_it_fails_at_once_and_leaves_the_user_logged_in(login_run, fake, profile):
    """CI: no terminal. The real CLI would wait forever for the code, so the suite says so
    before the logout; the default limit (120 s) is never waited for."""
    profile.create()
    before = profile.snapshot()
    started = time.monotonic()
    run = login_run(paths=("test_00_fresh_login.py", "test_16_credentials_valid.py"), terminal=False)
    wall = time.monotonic() - started
    cases = run.testcases()
    case = cases[LOGIN]
    assert case.outcome == "failed", run.output
    assert "needs an interactive terminal" in case.message
    assert "you were not logged out" in case.message
    assert "run it in an interactive terminal: pytest checks --fresh-login" in case.prop("remedy")[0]
    assert fake.events("logout") == [] and fake.events("login") == []
    assert profile.snapshot() == before  # still signed in with the old session
    assert cases["test_credentials_hold_a_claude_max_session"].outcome == "passed"
    assert run.ret == 1
    assert "Traceback" not in run.output
    assert wall < 60  # far below the 120 s login limit it no longer waits for


@needs_pty
def test_render_secret_with_fresh_login_talks_to_the_terminal(pytester, fake, profile, tmp_path):
    """``python render_secret.py --fresh-login`` runs pytest in-process with stdout redirected:
    the login still gets the terminal, and the Secret carries the new session."""
    profile.create()
    out = tmp_path / "out"
    secret = out / "secrets" / "s.yaml"
    cmd = [sys.executable, str(RENDER_SECRET), "--fresh-login", "--claude-config-dir", str(profile.dir),
           "--claude-bin", str(fake.bin), "--reports-dir", str(out / "reports"), "--secret-out", str(secret)]
    run = run_in_terminal(cmd, out, pytester.path, env=fake.env())
    assert run.ret == 0, run.stdout
    assert fake.events("login")[0]["tty"] is True
    assert [c["received"] for c in fake.events("login_code")] == [True]
    assert "Login successful." in run.stdout
    assert refresh_token_in(profile) != CANARY_REFRESH
    assert secret.is_file()
    assert CANARY_MARKER not in run.stdout


# --- the fake itself follows the real CLI's commands (docs/claude-cli-facts.md, Commands) ------

def fake_login(fake, tmp_path, timeout):
    env = {**os.environ, **fake.env(), "CLAUDE_CONFIG_DIR": str(tmp_path / "fake-profile")}
    detach = {} if os.name == "nt" else {"start_new_session": True}
    # the fake's Python itself, not the shim: at the timeout the killed process is the one that waits
    return subprocess.run([sys.executable, str(fake.dir / "claude_fake.py"), "auth", "login"], env=env,
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout, **detach)


def test_the_fake_login_waits_forever_without_a_terminal(fake, tmp_path):
    with pytest.raises(subprocess.TimeoutExpired):
        fake_login(fake, tmp_path, timeout=3)
    assert fake.events("login")[0]["tty"] is False
    assert len(fake.events("login_waits")) == 1
    assert not (tmp_path / "fake-profile" / ".credentials.json").exists()


def test_the_fake_login_without_a_terminal_completes_only_when_told_to(fake, tmp_path):
    fake.control(login_needs_tty=False)  # the browser's callback completed the sign-in
    done = fake_login(fake, tmp_path, timeout=30)
    assert done.returncode == 0 and "Login successful." in done.stdout
    assert fake.events("login_code") == []  # nothing was read
    assert (tmp_path / "fake-profile" / ".credentials.json").is_file()


def test_an_old_cli_without_auth_commands_is_not_asked_to_log_in(checks, fake, profile):
    profile.create()
    fake.control("old")
    run = run_checks(checks, fake, profile, "--fresh-login", paths=("test_00_fresh_login.py",))
    case = run.testcases()[LOGIN]
    assert case.outcome == "failed"
    assert "npm install -g @anthropic-ai/claude-code@latest" in case.prop("remedy")[0]
    assert fake.events("logout") == []
    assert refresh_token_in(profile) == CANARY_REFRESH
