"""The refresh path with the real ``claude`` CLI: the rotated tokens are what the Secret carries.

Issue 5, item 2. The local Messages API (helpers/messages_api.py) accepts only a NEW access
token, so it answers the packaged (old) one with 401, as the real API does for a revoked or
expired access token. The real CLI then refreshes at its OAuth token host
(``platform.claude.com``), which it reaches through helpers/oauth_proxy.py: a local CONNECT proxy
that terminates TLS with a throw-away CA (helpers/throwaway_ca.py, trusted through
``NODE_EXTRA_CA_CERTS``), hands out a new access and a new refresh token once, and refuses
every other host. The CLI retries with the new access token, which the API accepts.

Everything stays on 127.0.0.1: the Messages API is reached directly (``NO_PROXY``), everything
else goes to the proxy, which refuses it.
"""

from __future__ import annotations

import base64
import json
import time

import pytest
import yaml
from helpers.leaks import assert_no_leak
from helpers.messages_api import MessagesAPI
from helpers.oauth_proxy import OAuthRefreshProxy
from helpers.profiles import (
    CANARY_ACCESS,
    CANARY_REFRESH,
    HOUR_MS,
    ProfileBuilder,
    now_ms,
)
from helpers.real_cli import QUIET, real_claude
from helpers.throwaway_ca import mint

pytestmark = pytest.mark.realcli

TOKEN_HOST = "platform.claude.com"  # the CLI's refresh URL: https://platform.claude.com/v1/oauth/token
NEW_ACCESS = "sk-ant-oat01-CANARYrotatedACCESS0123456789abcdefXYZ"
NEW_REFRESH = "sk-ant-ort01-CANARYrotatedREFRESH0123456789abcdefXYZ"
ALL_TOKENS = (CANARY_ACCESS, CANARY_REFRESH, NEW_ACCESS, NEW_REFRESH)
# Assertions compare these names, so a failure says which token was where without showing one.
NAMES = {CANARY_ACCESS: "old access", CANARY_REFRESH: "old refresh", NEW_ACCESS: "new access",
         NEW_REFRESH: "new refresh"}
PROMPT_CHECK = "test_prompt_answers_on_what_ships"
RENDER_CHECK = "test_render_secret"


def named(tokens) -> list[str]:
    return [NAMES.get(token, "an unknown token") for token in tokens]


def run_refreshing_checks(checks, profile: ProfileBuilder, tmp_path, trust_test_ca: bool = True):
    """``pytest checks`` with the real CLI, a Messages API that wants the new token, and the proxy.
    ``trust_test_ca=False`` leaves ``NODE_EXTRA_CA_CERTS`` out: the CLI must then refuse the proxy's
    certificate (the control that shows the refresh really went through TLS verification)."""
    home = tmp_path / "home"
    home.mkdir()
    secret = tmp_path / "secret" / "secret.yaml"  # outside the reports dir, which is searched for leaks
    certificates = mint(tmp_path / "ca", TOKEN_HOST)
    with MessagesAPI(accept=NEW_ACCESS) as api, OAuthRefreshProxy(certificates, NEW_ACCESS, NEW_REFRESH) as proxy:
        env: dict[str, str | None] = {
            "ANTHROPIC_BASE_URL": api.url, "HOME": str(home), "USERPROFILE": str(home),
            "CLAUDE_CONFIG_DIR": None, "ANTHROPIC_API_KEY": None, "ANTHROPIC_AUTH_TOKEN": None,
            "CLAUDE_CODE_OAUTH_TOKEN": None, "NODE_TLS_REJECT_UNAUTHORIZED": None, **QUIET,
            **proxy.environment()}
        if not trust_test_ca:
            env["NODE_EXTRA_CA_CERTS"] = None
        start = time.monotonic()
        run = checks.run("--claude-config-dir", str(profile.dir), "--claude-bin", str(real_claude()),
                         f"--secret-out={secret}", env=env, timeout=90)
        seconds = time.monotonic() - start
    return run, api, proxy, secret, seconds


def test_a_refresh_during_the_prompt_ships_the_rotated_tokens(checks, profile, tmp_path):
    expires_at = now_ms() + 8 * HOUR_MS
    profile.create(expiresAt=expires_at)
    before = profile.snapshot()
    run, api, proxy, secret, seconds = run_refreshing_checks(checks, profile, tmp_path)
    cases = run.testcases()
    seen = (api.summary(), proxy.summary())  # no token values in either

    # FR-004 passes: the CLI refreshed after the 401 and its retry was answered
    prompt = cases[PROMPT_CHECK]
    assert prompt.outcome == "passed", (prompt.message, seen)
    assert [line.split()[1] for line in run.stdout.splitlines() if line.startswith("FR-004 ")] == ["PASS"]
    # the API saw the old access token (401), then the new one (200), and nothing else
    assert api.summary() == ["POST /v1/messages -> 401", "POST /v1/messages -> 200"], seen
    assert named(api.bearer_tokens()) == ["old access", "new access"], seen
    assert api.api_keys() == []
    # exactly one refresh, with the old refresh token; the proxy reached nothing else
    assert named(proxy.refresh_tokens_seen) == ["old refresh"], seen
    assert proxy.other_requests == [], seen
    accepted = [c for c in proxy.connects if c.endswith("-> accepted")]
    assert accepted == [f"{TOKEN_HOST}:443 -> accepted"], seen
    assert all(c.endswith("-> refused") for c in proxy.connects if c not in accepted), seen

    # the Secret carries the rotated credentials, exactly as the CLI wrote them after the refresh
    assert cases[RENDER_CHECK].outcome == "passed", cases[RENDER_CHECK].message
    data = yaml.safe_load(secret.read_text())["data"]
    shipped = json.loads(base64.b64decode(data[".credentials.json"]))["claudeAiOauth"]
    assert named([shipped["accessToken"], shipped["refreshToken"]]) == ["new access", "new refresh"]
    assert shipped["expiresAt"] > expires_at  # the CLI's new expiry (now + expires_in), not the old one
    assert "user:inference" in shipped["scopes"] and shipped["subscriptionType"] == "max"
    assert "the CLI refreshed the tokens: the refreshed credentials are what ships" in run.stdout
    assert any("the session on this machine is spent" in w for w in prompt.prop("warning")), prompt.properties
    assert run.ret == 0, run.stdout[-3000:]

    # the user is told that the session on this machine is spent
    text = " ".join(run.stdout.split())
    assert "refreshed the session during the test prompt" in text
    assert "the session on this machine is spent" in text
    assert "deploy the Secret this run writes (it holds the only live refresh token)" in text

    # the user's profile is byte-identical (the CLI refreshed only the test copy); nothing leaked
    assert profile.snapshot() == before
    assert named([json.loads(profile.credentials.read_bytes())["claudeAiOauth"]["refreshToken"]]) == ["old refresh"]
    assert list((tmp_path / "home").iterdir()) == []
    assert_no_leak(run.every_text(), "the output or a report of the checks", ALL_TOKENS)
    assert seconds < 60


def test_without_the_test_ca_the_cli_refuses_the_proxy_and_nothing_ships(checks, profile, tmp_path):
    """The control: the same run, but the CLI does not trust the throw-away CA. Its refresh must
    fail at TLS (so the passing test above really went through certificate verification), the
    prompt fails with the 401 remedy (the gateway and proxy named first), and no Secret is written."""
    profile.create()
    before = profile.snapshot()
    run, api, proxy, secret, seconds = run_refreshing_checks(checks, profile, tmp_path, trust_test_ca=False)
    seen = (api.summary(), proxy.summary())
    prompt = run.testcases()[PROMPT_CHECK]
    assert prompt.outcome == "failed", seen
    # the 401 came through a base URL and a proxy: both are named, the gateway is checked first
    assert "The test prompt failed with 401 (not authenticated), and the request went through " \
           "ANTHROPIC_BASE_URL=" in prompt.message and "HTTPS_PROXY=" in prompt.message
    assert "check the gateway/proxy first" in prompt.message
    assert set(named(api.bearer_tokens())) == {"old access"}, seen  # it retries, but only with the old token
    assert f"{TOKEN_HOST}:443 -> accepted" in proxy.connects, seen  # it tried to refresh...
    assert proxy.refresh_tokens_seen == [], seen  # ...but never sent the refresh token over the untrusted TLS
    assert any(r.startswith("tls: ") for r in proxy.other_requests), seen
    assert not secret.exists()
    assert run.ret != 0
    assert profile.snapshot() == before
    assert_no_leak(run.every_text(), "the output or a report of the checks", ALL_TOKENS)
    assert seconds < 60
