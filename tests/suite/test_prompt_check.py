"""The test-prompt check (FR-004, SC-002) against the fake claude: every outcome, its remedy, no leaks.

The fake follows domain.md (errors on stdout as a JSON result with is_error, transcripts in the
profile it runs in, auth-variable precedence, retries unless CLAUDE_CODE_MAX_RETRIES=0).
"""

from __future__ import annotations

import os
import time

import pytest
from helpers.fake_claude import process_gone
from helpers.leaks import assert_no_leak
from helpers.profiles import HOUR_MS, now_ms

AUTH_CHECKS = ("test_16_credentials_valid.py", "test_20_claude_cli.py",
               "test_30_session_lifetime.py", "test_40_test_prompt.py")
PROMPT = "test_prompt_answers_on_what_ships"


def run_checks(checks, fake, profile, *args, env=None, paths=AUTH_CHECKS):
    return checks.run("--claude-config-dir", str(profile.dir), "--claude-bin", str(fake.bin), *args,
                      paths=paths, env={**fake.env(), **(env or {})})


def test_a_working_session_passes_and_records_seconds(checks, fake, profile):
    profile.create()
    run = run_checks(checks, fake, profile)
    case = run.testcases()[PROMPT]
    assert case.outcome == "passed", run.output
    assert float(case.prop("prompt_seconds")[0]) > 0
    assert case.prop("prompt_verdict") == ["success"]
    assert {"FR-004", "SC-002", "US1.2"} <= set(case.requirements())
    assert run.ret == 0
    assert "FR-004  PASS" in run.stdout and "SC-002  PASS" in run.stdout
    prompts = fake.events("prompt")
    assert len(prompts) == 1, "the prompt runs once, however many checks use its verdict"
    assert prompts[0]["max_retries"] == "0"
    assert prompts[0]["profile"] != str(profile.dir)
    assert_no_leak(run, no_traceback=True)


def test_the_users_profile_is_unchanged_byte_for_byte(checks, fake, profile):
    profile.create()
    profile.add_transcripts(3)
    before = profile.snapshot()
    run = run_checks(checks, fake, profile)
    assert run.testcases()[PROMPT].outcome == "passed", run.output
    assert profile.snapshot() == before, "no file of the user's profile changed, none was added"
    # The fake did write a transcript: into the throw-away copy, which is gone now.
    prompt = fake.events("prompt")[0]
    assert not os.path.exists(prompt["profile"])


FAILURES = {
    # kind: (fake mode, oauth overrides, words of the cause, words of the remedy)
    "not logged in": ("ok", {"scopes": ["user:profile"]}, "found no usable login", "claude auth login"),
    "401": ("401", {}, "rejected the session (401", "--fresh-login"),
    "network": ("network", {}, "could not reach the Claude API", "HTTPS_PROXY"),
    "crash": ("crash", {}, "the claude CLI crashed", "npm install -g @anthropic-ai/claude-code@latest"),
    "garbage": ("garbage", {}, "gave no usable answer", "--output-format json"),
    "empty": ("empty", {}, "gave no usable answer", "upgrade the CLI"),
    "refresh fails": ("refresh_fails", {}, "rejected the session", "--fresh-login"),
}


@pytest.mark.parametrize("kind", FAILURES)
def test_each_failure_has_its_own_cause_and_remedy(checks, fake, profile, kind):
    mode, overrides, cause, remedy = FAILURES[kind]
    profile.create(**overrides)
    fake.control(mode)
    started = time.monotonic()
    run = run_checks(checks, fake, profile, paths=("test_40_test_prompt.py",))
    case = run.testcases()[PROMPT]
    assert case.outcome == "failed"
    assert cause in case.message, case.message
    assert remedy in case.prop("remedy")[0]
    assert run.ret == 1
    assert time.monotonic() - started < 60, "network failures must not wait for the CLI's retries"
    assert_no_leak(run, no_traceback=True)


def test_garbage_output_is_shown_without_any_token(checks, fake, profile):
    profile.create()
    fake.control("garbage")  # it prints both tokens of the session
    run = run_checks(checks, fake, profile, "-vv", "-l", "--tb=long", "-rA", paths=("test_40_test_prompt.py",))
    message = run.testcases()[PROMPT].message
    assert "502 Bad Gateway" in message  # the CLI's words are shown...
    assert "sk-ant-***" in message or "***" in message  # ...with the tokens masked
    assert_no_leak(run, no_traceback=True)


def test_a_hanging_cli_is_stopped_at_the_limit_with_everything_it_started(checks, fake, profile):
    profile.create()
    fake.control("hang")
    limit = 2.0
    started = time.monotonic()
    run = run_checks(checks, fake, profile, "--prompt-timeout", str(limit), paths=("test_40_test_prompt.py",))
    wall = time.monotonic() - started
    case = run.testcases()[PROMPT]
    assert case.outcome == "failed"
    assert f"did not answer within {limit:g} s" in case.message
    assert "--prompt-timeout" in case.prop("remedy")[0]
    assert limit <= float(case.prop("prompt_seconds")[0]) < limit + 10
    # Correctness bound of the kill (pytest start-up included), not a speed target.
    assert wall < limit + 30
    if os.name != "nt":
        helper = fake.events("hang")[0]["helper_pid"]
        assert process_gone(helper), "the CLI's helper process must be killed with it"
    assert_no_leak(run, no_traceback=True)


def test_a_slow_cli_within_the_limit_passes(checks, fake, profile):
    profile.create()
    fake.control("slow", delay=1.5)
    run = run_checks(checks, fake, profile, "--prompt-timeout", "20", paths=("test_40_test_prompt.py",))
    case = run.testcases()[PROMPT]
    assert case.outcome == "passed", run.output
    assert float(case.prop("prompt_seconds")[0]) >= 1.5


@pytest.mark.parametrize("variable", ["ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "CLAUDE_CODE_OAUTH_TOKEN"])
def test_a_key_in_the_environment_does_not_rescue_a_dead_session(checks, fake, profile, variable):
    profile.create()
    fake.control("401")  # the API rejects the session; the fake would accept any key
    key = "sk-ant-api03-CANARYenvKEY0123456789abcdefghijklmnop"
    run = run_checks(checks, fake, profile, env={variable: key}, paths=("test_40_test_prompt.py",))
    case = run.testcases()[PROMPT]
    assert case.outcome == "failed"
    assert "rejected the session" in case.message
    assert fake.events("prompt")[0]["auth_variables"] == []
    assert any(variable in w for w in case.prop("warning")), "the variable is named as a warning"
    assert "value not shown" in run.output
    assert_no_leak(run, no_traceback=True)


def test_network_settings_pass_through_and_the_base_url_is_named(checks, fake, profile):
    profile.create()
    run = run_checks(checks, fake, profile, paths=("test_40_test_prompt.py",),
                     env={"ANTHROPIC_BASE_URL": "http://user:pw@127.0.0.1:9/", "HTTPS_PROXY": "http://proxy:3128"})
    case = run.testcases()[PROMPT]
    assert case.outcome == "passed", run.output
    assert case.prop("anthropic_base_url") == ["http://***@127.0.0.1:9/"]
    assert "pw@" not in run.every_text()


def test_an_expired_session_does_not_run_the_prompt(checks, fake, profile):
    profile.create(expiresAt=now_ms() - HOUR_MS)
    run = run_checks(checks, fake, profile)
    cases = run.testcases()
    assert cases["test_session_lasts_long_enough"].outcome == "failed"
    prompt = cases[PROMPT]
    assert prompt.outcome == "failed"
    assert "test prompt was not run" in prompt.message and "SC-005" in prompt.message
    assert "--fresh-login" in prompt.prop("remedy")[0]
    assert fake.events("prompt") == [], "running it would have spent the session"
    assert_no_leak(run, no_traceback=True)


def test_refresh_with_rotation_warns_that_the_laptop_session_is_spent(checks, fake, profile):
    profile.create()
    before = profile.snapshot()
    fake.control("rotate")
    run = run_checks(checks, fake, profile, paths=("test_40_test_prompt.py",))
    case = run.testcases()[PROMPT]
    assert case.outcome == "passed", run.output
    assert any("session on this machine is spent" in w for w in case.prop("warning"))
    assert "single-use" in run.output
    assert profile.snapshot() == before
    assert_no_leak(run, no_traceback=True)
