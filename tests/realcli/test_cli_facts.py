"""What the real ``claude`` CLI does against the local Messages API (docs/claude-cli-facts.md, The headless prompt).

These pin the behaviour the checks' test prompt relies on, with the installed CLI (package.json
pins the version): the bearer token it sends, its answers to 401, to no credentials and to a
closed port, and that an API key in the environment wins over the stored session.
"""

from __future__ import annotations

import time

import pytest
from helpers.leaks import digests
from helpers.messages_api import MessagesAPI
from helpers.profiles import CANARY_ACCESS, ProfileBuilder
from helpers.real_cli import clean_environment, closed_port, run_prompt

pytestmark = pytest.mark.realcli

API_KEY = "sk-ant-api03-CANARYapiKEY0123456789abcdefXYZ"


@pytest.fixture
def workdir(tmp_path):
    (tmp_path / "home").mkdir()
    (tmp_path / "work").mkdir()
    return tmp_path


def test_good_session_completes_with_the_access_token_as_bearer(workdir):
    profile = ProfileBuilder(workdir / "cfg").create()
    with MessagesAPI(accept=CANARY_ACCESS) as api:
        run = run_prompt(profile.dir, clean_environment(workdir / "home", ANTHROPIC_BASE_URL=api.url), workdir / "work")
    assert run.returncode == 0, api.summary()
    assert run.result["is_error"] is False and run.text == "ok"
    assert api.bearer_tokens() and digests(api.bearer_tokens()) == digests([CANARY_ACCESS])
    assert api.api_keys() == []
    # it writes a transcript into the config dir it was given
    assert list((profile.dir / "projects").rglob("*.jsonl"))


def test_401_is_an_authentication_failure(workdir):
    profile = ProfileBuilder(workdir / "cfg").create()
    with MessagesAPI(accept=CANARY_ACCESS, status=401) as api:
        run = run_prompt(profile.dir, clean_environment(workdir / "home", ANTHROPIC_BASE_URL=api.url), workdir / "work")
    assert run.returncode == 1 and run.result["is_error"] is True
    assert run.text.startswith("Failed to authenticate") and "401" in run.text
    assert run.result.get("subtype") == "success"  # why the checks judge by is_error, not subtype


@pytest.mark.parametrize("content", [None, "{not json", "{}"])
def test_no_or_invalid_credentials_is_not_logged_in(workdir, content):
    profile = ProfileBuilder(workdir / "cfg").create()
    if content is None:
        profile.credentials.unlink()
    else:
        profile.write_credentials(content)
    with MessagesAPI(accept=CANARY_ACCESS) as api:
        run = run_prompt(profile.dir, clean_environment(workdir / "home", ANTHROPIC_BASE_URL=api.url), workdir / "work")
    assert run.returncode == 1 and run.result["is_error"] is True
    assert run.text == "Not logged in · Please run /login"
    assert api.messages_calls() == []


def test_closed_port_fails_fast_without_retries(workdir):
    profile = ProfileBuilder(workdir / "cfg").create()
    env = clean_environment(workdir / "home", ANTHROPIC_BASE_URL=f"http://127.0.0.1:{closed_port()}",
                            CLAUDE_CODE_MAX_RETRIES="0")
    start = time.monotonic()
    run = run_prompt(profile.dir, env, workdir / "work")
    assert time.monotonic() - start < 30
    assert run.returncode == 1 and run.result["is_error"] is True
    assert "ECONNREFUSED" in run.text


def test_an_api_key_in_the_environment_wins_over_the_session(workdir):
    """Why the checks scrub the environment: the CLI sends the key and not the session's token."""
    profile = ProfileBuilder(workdir / "cfg").create()
    with MessagesAPI(accept=CANARY_ACCESS) as api:
        env = clean_environment(workdir / "home", ANTHROPIC_BASE_URL=api.url, ANTHROPIC_API_KEY=API_KEY)
        run = run_prompt(profile.dir, env, workdir / "work")
    assert run.result["is_error"] is True and "401" in run.text
    assert api.api_keys() == [API_KEY] * len(api.messages_calls())
    assert api.bearer_tokens() == []
