"""The session-lifetime check (SC-005) and its gate on the test prompt."""

from __future__ import annotations

import pytest
from helpers.fake_claude import FakeClaude
from helpers.leaks import assert_no_leak
from helpers.profiles import HOUR_MS, now_ms, oauth_entry

from claude_session_tokens.core.masked import Masked
from claude_session_tokens.session.credentials import parse_credentials
from claude_session_tokens.session.lifetime import assess

LIFETIME = "test_session_lasts_long_enough"
PROMPT = "test_prompt_answers_on_what_ships"
MINUTE_MS = 60 * 1000


def session_of(**overrides):
    import json
    return parse_credentials(Masked(json.dumps({"claudeAiOauth": oauth_entry(**overrides)}).encode()))


CASES = {
    # name: (overrides, built when the test runs; passes; words in the failure; prompt may run)
    "expired": (lambda: {"expiresAt": now_ms() - 2 * HOUR_MS}, False, "the access token expired 2.0 h ago", False),
    "4 minutes left": (lambda: {"expiresAt": now_ms() + 4 * MINUTE_MS + 30_000}, False, "expires in 4 min", False),
    "7 h left with a refresh token": (lambda: {"expiresAt": now_ms() + 7 * HOUR_MS}, True, "", True),
    "empty refresh token": (lambda: {"refreshToken": ""}, False, "the refresh token is empty", True),
    "sign-in ends within 24 h": (lambda: {"refreshTokenExpiresAt": now_ms() + 20 * HOUR_MS}, False,
                                 "the sign-in itself ends in 20.0 h", True),
}


@pytest.mark.parametrize("name", CASES)
def test_lifetime_cases_in_the_suite(checks, profile, tmp_path, name):
    make_overrides, passes, words, prompt_runs = CASES[name]
    profile.create(**make_overrides())
    fake = FakeClaude(tmp_path / "fake-bin")
    run = checks.run("--claude-config-dir", str(profile.dir), "--claude-bin", str(fake.bin),
                     paths=("test_30_session_lifetime.py", "test_40_test_prompt.py"), env=fake.env())
    cases = run.testcases()
    lifetime = cases[LIFETIME]
    assert lifetime.outcome == ("passed" if passes else "failed"), lifetime.message
    assert lifetime.prop("access_token_hours_left")
    if not passes:
        assert words in lifetime.message
        assert "--fresh-login" in lifetime.prop("remedy")[0]
        assert run.ret == 1
    if not prompt_runs:
        assert "test prompt was not run" in cases[PROMPT].message
        assert fake.events("prompt") == []
    else:
        assert len(fake.events("prompt")) == 1
    assert "writable persistent volume, seeded once from the Secret" in run.summary_path.read_text()
    assert_no_leak(run)


def test_hours_are_reported_for_the_access_token_and_the_sign_in():
    at = now_ms()
    life = assess(session_of(expiresAt=at + 7 * HOUR_MS, refreshTokenExpiresAt=at + 30 * 24 * HOUR_MS), at, 24)
    assert life.finding() is None and life.prompt_blocker() is None
    assert round(life.access_hours_left, 2) == 7.0
    assert round(life.refresh_end_hours_left) == 720
    assert any("720.0 h" in line for line in life.lines())


def test_the_window_follows_min_validity():
    at = now_ms()
    session = session_of(refreshTokenExpiresAt=at + 30 * HOUR_MS)
    assert assess(session, at, 24).finding() is None
    assert "inside the 48 h window" in assess(session, at, 48).finding().message()


def test_five_minutes_is_the_refresh_margin():
    at = now_ms()
    assert assess(session_of(expiresAt=at + 5 * MINUTE_MS + 1000), at, 24).prompt_blocker() is None
    assert assess(session_of(expiresAt=at + 5 * MINUTE_MS - 1000), at, 24).prompt_blocker() is not None


def test_a_wiped_login_and_a_missing_scope_are_named():
    at = now_ms()
    problems = assess(session_of(accessToken="", refreshToken="", expiresAt=0, scopes=["user:profile"]), at, 24).problems
    text = "\n".join(problems)
    assert "expiresAt is 0" in text and "refresh token is empty" in text and "user:inference" in text


def test_an_ended_sign_in_says_so():
    at = now_ms()
    finding = assess(session_of(refreshTokenExpiresAt=at - HOUR_MS), at, 24).finding()
    assert "the sign-in itself has ended" in finding.message()
