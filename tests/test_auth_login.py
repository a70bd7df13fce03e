"""The fresh-login check (FR-001, FR-002, SC-001, US1.1, US1.3) against the fake claude.

The real ``claude auth login`` needs a browser and a person; the fake signs in at once (no
terminal needed) and writes new credentials atomically, as the real one does.
"""

from __future__ import annotations

import json
import time

import pytest

from helpers.fake_claude import FakeClaude
from helpers.profiles import CANARY_ACCESS, CANARY_MARKER, CANARY_REFRESH

LOGIN = "test_fresh_login"
LOGIN_CHECKS = ("test_00_fresh_login.py", "test_12_credentials_present.py", "test_16_credentials_valid.py",
                "test_40_test_prompt.py")


@pytest.fixture
def fake(tmp_path) -> FakeClaude:
    return FakeClaude(tmp_path / "fake-bin")


def run_checks(checks, fake, profile, *args, paths=LOGIN_CHECKS):
    return checks.run("--claude-config-dir", str(profile.dir), "--claude-bin", str(fake.bin), *args,
                      paths=paths, env=fake.env())


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
    assert "FR-001  PASS" in run.stdout, "the capability check passes FR-001 while the login is skipped"
    assert fake.events("logout") == [] and fake.events("login") == []
    assert profile.snapshot() == before


def test_a_fresh_login_replaces_the_session_and_every_check_sees_the_new_one(checks, fake, profile):
    profile.create()
    run = run_checks(checks, fake, profile, "--fresh-login")
    cases = run.testcases()
    login = cases[LOGIN]
    assert login.outcome == "passed", run.output
    assert [c["event"] for c in fake.calls() if c.get("event") in ("logout", "login")] == ["logout", "login"]
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
    from claude_session_tokens.secret import fingerprint
    assert prompt["session"] == fingerprint(new_access) != fingerprint(CANARY_ACCESS)
    # Output capture was suspended: the CLI's own words reached the terminal on a passing run.
    assert "Login successful." in run.stdout
    assert run.ret == 0
    assert CANARY_MARKER not in run.every_text()


def test_a_login_from_no_session_at_all_passes(checks, fake, profile):
    profile.dir.mkdir(parents=True)
    run = run_checks(checks, fake, profile, "--fresh-login")
    case = run.testcases()[LOGIN]
    assert case.outcome == "passed", run.output
    assert case.prop("fingerprint_before") == ["none"]
    assert profile.credentials.is_file()


def test_an_unchanged_fingerprint_fails(checks, fake, profile):
    profile.create()
    fake.control(login="restore", login_tokens={"accessToken": CANARY_ACCESS, "refreshToken": CANARY_REFRESH})
    run = run_checks(checks, fake, profile, "--fresh-login", paths=("test_00_fresh_login.py",))
    case = run.testcases()[LOGIN]
    assert case.outcome == "failed"
    assert "the session is the same as before" in case.message
    assert "claude auth logout && claude auth login" in case.prop("remedy")[0]
    assert run.ret == 1
    assert "Traceback" not in run.output
    assert CANARY_MARKER not in run.every_text()


def test_a_login_that_writes_nothing_fails(checks, fake, profile):
    profile.create()
    fake.control(login="nothing")
    run = run_checks(checks, fake, profile, "--fresh-login", paths=("test_00_fresh_login.py",))
    case = run.testcases()[LOGIN]
    assert case.outcome == "failed"
    assert "no new credentials were found" in case.message
    assert "claude auth login" in case.prop("remedy")[0]


def test_a_failing_logout_stops_before_the_login(checks, fake, profile):
    profile.create()
    fake.control(logout="fail")
    run = run_checks(checks, fake, profile, "--fresh-login", paths=("test_00_fresh_login.py",))
    case = run.testcases()[LOGIN]
    assert case.outcome == "failed"
    assert "'claude auth logout'" in case.message and "exited with code 1" in case.message
    assert fake.events("login") == []


def test_a_login_that_never_finishes_is_stopped_at_the_limit(checks, fake, profile):
    profile.create()
    fake.control(login="hang")
    limit = 2.0
    started = time.monotonic()
    run = run_checks(checks, fake, profile, "--fresh-login", "--login-timeout", str(limit),
                     paths=("test_00_fresh_login.py",))
    wall = time.monotonic() - started
    case = run.testcases()[LOGIN]
    assert case.outcome == "failed"
    assert f"did not finish within {limit:g} s" in case.message and "SC-001" in case.message
    assert "No terminal was attached" in case.message  # pytester gives the run no terminal
    assert "--login-timeout" in case.prop("remedy")[0]
    assert wall < limit + 30  # correctness bound of the kill, pytest start-up included


def test_an_old_cli_without_auth_commands_is_not_asked_to_log_in(checks, fake, profile):
    profile.create()
    fake.control("old")
    run = run_checks(checks, fake, profile, "--fresh-login", paths=("test_00_fresh_login.py",))
    case = run.testcases()[LOGIN]
    assert case.outcome == "failed"
    assert "npm install -g @anthropic-ai/claude-code@latest" in case.prop("remedy")[0]
    assert fake.events("logout") == []
    assert refresh_token_in(profile) == CANARY_REFRESH
