"""Unit tests of the fresh login's guards: per-check time limits (review 2.3), the CI refusal
(review 2.5), the command that signs in again (review 2.4), the console's encoding (review 3.3)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from helpers.runner import CHECKS

from claude_session_tokens.claude import console as console_module
from claude_session_tokens.claude.console import Console
from claude_session_tokens.claude.login import ci_problem, sign_in_again
from claude_session_tokens.suite import timeouts
from claude_session_tokens.suite.options import Settings
from claude_session_tokens.suite.timeouts import (
    LOGIN_CHECK,
    NEEDS,
    PROMPT_CHECK,
    raise_limits,
    seconds_needed,
)


def test_the_checks_given_their_own_limits_exist():
    names = {p.name for p in CHECKS.glob("test_*.py")}
    assert set(NEEDS) <= names  # a rename must not switch the limits off silently
    assert {LOGIN_CHECK, PROMPT_CHECK} == set(NEEDS)


def test_the_limits_follow_the_options():
    short, long = Settings(login_timeout=120, prompt_timeout=60), Settings(login_timeout=700, prompt_timeout=900)
    assert seconds_needed(LOGIN_CHECK, long) > 700 and seconds_needed(PROMPT_CHECK, long) > 900
    assert seconds_needed(LOGIN_CHECK, long) - seconds_needed(LOGIN_CHECK, short) == 580
    assert seconds_needed(PROMPT_CHECK, short) < 600  # the shipped defaults fit pytest-timeout's 600 s
    assert seconds_needed(LOGIN_CHECK, short) < 600
    assert seconds_needed("test_16_credentials_valid.py", long) is None


class FakeItem:
    def __init__(self, name: str, marker_seconds: float | None = None) -> None:
        self.path = Path("/x/checks") / name
        self.markers = [] if marker_seconds is None else [pytest.mark.timeout(marker_seconds).mark]

    def get_closest_marker(self, name):
        return self.markers[-1] if self.markers else None

    def add_marker(self, marker):
        self.markers.append(marker.mark)


@pytest.mark.parametrize("run_limit, marker, expected", [
    (600, None, "raised"),      # the ini's 600 s is too short for --login-timeout 700
    (0, None, None),            # no limit at all: nothing to raise
    (5000, None, None),         # already long enough
    (600, 4000, None),          # a longer mark of the user's own is kept
    (600, 10, "raised"),        # a shorter one is raised
])
def test_a_short_run_limit_is_raised_for_the_login_only(monkeypatch, run_limit, marker, expected):
    monkeypatch.setattr(timeouts, "run_timeout", lambda config: run_limit)
    settings = Settings(login_timeout=700)
    login, other = FakeItem(LOGIN_CHECK, marker), FakeItem("test_16_credentials_valid.py")
    raise_limits(SimpleNamespace(), [login, other], settings)
    assert other.markers == []
    if expected == "raised":
        assert login.markers[-1].args == (seconds_needed(LOGIN_CHECK, settings),)
    else:
        assert len(login.markers) == (0 if marker is None else 1)


@pytest.mark.parametrize("value, refused", [("true", True), ("1", True), ("True", True), ("yes", True),
                                            ("false", False), ("0", False), ("", False), (None, False)])
def test_ci_refuses_the_login(value, refused):
    environ = {} if value is None else {"CI": value}
    problem = ci_problem(environ)
    assert (problem is not None) == refused
    if refused:
        assert f"CI={value} is set" in problem.cause and "interactive terminal" in problem.cause
        assert "you were not logged out" in problem.why


def test_the_sign_in_command_names_the_users_own_directory():
    from claude_session_tokens.core import remedy

    assert sign_in_again(SimpleNamespace(cli_config_dir=None)) == "claude auth login"
    assert sign_in_again(SimpleNamespace(cli_config_dir="/p/claude")) == "CLAUDE_CONFIG_DIR=/p/claude claude auth login"
    with remedy.using(remedy.Spelling(windows=True)):
        assert sign_in_again(SimpleNamespace(cli_config_dir="D:\\my claude")) == \
            "$env:CLAUDE_CONFIG_DIR='D:\\my claude'; claude auth login"


def test_the_windows_console_is_written_in_utf8(monkeypatch, tmp_path):
    monkeypatch.setattr(console_module.os, "name", "nt")
    assert Console.encoding() == "utf-8"
    monkeypatch.undo()
    with Console(open(tmp_path / "in", "wb+"), open(tmp_path / "out", "wb")) as console, \
            console.mode_kept():  # not a terminal: nothing saved, nothing restored, no error
        console.say("ok")
    assert (tmp_path / "out").read_bytes() == b"ok\n"
