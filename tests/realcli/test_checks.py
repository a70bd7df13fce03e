"""``pytest checks`` with the real ``claude`` CLI against a local Messages API.

Each test runs the real checks in a subprocess with ``--claude-bin node_modules/.bin/claude``
and ``ANTHROPIC_BASE_URL`` pointing at helpers/messages_api.py, which accepts only the access
token of the profile under test. Six cases: a good session, a 401, no or invalid credentials,
an unreachable API, an API key in the environment with a dead session, and the user's profile
left unchanged. ``HOME``/``USERPROFILE`` point at an empty temporary home, so nothing here can
read or write the real ``~/.claude``.
"""

from __future__ import annotations

import base64
import json
import time

import pytest
import yaml
from helpers.leaks import CANARY_TOKENS, assert_no_leak, digests
from helpers.messages_api import MessagesAPI
from helpers.profiles import CANARY_ACCESS, ProfileBuilder, oauth_entry
from helpers.real_cli import closed_port, offline, real_claude

pytestmark = pytest.mark.realcli

PROMPT_CHECK = "test_prompt_answers_on_what_ships"
RENDER_CHECK = "test_render_secret"
API_KEY = "sk-ant-api03-CANARYapiKEY0123456789abcdefXYZ"


@pytest.fixture
def run_checks(checks, tmp_path):
    """``run_checks(profile, base_url, *args, **env)``: the real checks with the real CLI."""
    home = tmp_path / "home"
    home.mkdir()

    def run(profile: ProfileBuilder, base_url: str, *args: str, paths: tuple[str, ...] = (), **env: str | None):
        variables: dict[str, str | None] = {
            "ANTHROPIC_BASE_URL": base_url, "HOME": str(home), "USERPROFILE": str(home),
            "CLAUDE_CONFIG_DIR": None, "ANTHROPIC_API_KEY": None, "ANTHROPIC_AUTH_TOKEN": None,
            "CLAUDE_CODE_OAUTH_TOKEN": None, **offline()}
        variables.update(env)
        return checks.run("--claude-config-dir", str(profile.dir), "--claude-bin", str(real_claude()),
                          f"--secret-out={secret_path(tmp_path)}", *args, paths=paths, env=variables, timeout=180)

    run.home = home
    return run


def secret_path(tmp_path):
    return tmp_path / "out" / "secret.yaml"


def requirement_line(run, requirement: str) -> str:
    return next(line for line in run.stdout.splitlines() if line.startswith(requirement + " "))


def shipped_credentials(tmp_path) -> dict:
    secret = yaml.safe_load(secret_path(tmp_path).read_text())
    return json.loads(base64.b64decode(secret["data"][".credentials.json"]))


def test_good_session_passes_and_ships_the_token_the_api_saw(run_checks, profile, tmp_path):
    profile.create()
    before = profile.snapshot()
    with MessagesAPI(accept=CANARY_ACCESS) as api:
        run = run_checks(profile, api.url)
    cases = run.testcases()
    prompt = cases[PROMPT_CHECK]
    assert prompt.outcome == "passed", (prompt.message, api.summary())
    assert {"FR-004", "SC-002"} <= set(prompt.requirements())
    assert requirement_line(run, "FR-004").split()[1] == "PASS"
    assert requirement_line(run, "SC-002").split()[1] == "PASS"
    assert float(prompt.prop("prompt_seconds")[0]) < 10
    # the API saw the session's access token, as a bearer token, and nothing else
    assert api.bearer_tokens() and digests(api.bearer_tokens()) == digests([CANARY_ACCESS])
    assert api.api_keys() == []
    # the Secret renders (the render check), carrying exactly that access token
    if RENDER_CHECK in cases:
        assert cases[RENDER_CHECK].outcome == "passed", cases[RENDER_CHECK].message
        assert shipped_credentials(tmp_path)["claudeAiOauth"]["accessToken"] == api.bearer_tokens()[0]
    assert run.ret == 0
    # case 6: the user's profile is byte for byte unchanged, no transcript was written into it
    assert profile.snapshot() == before
    assert not (profile.dir / "projects").exists()
    assert list(run_checks.home.iterdir()) == []  # nothing in the (stand-in) home either
    assert_no_leak(run, encoded=False)  # the reports hold the rendered Secret


def test_401_fails_the_prompt_with_the_expired_or_revoked_remedy(run_checks, profile, tmp_path):
    profile.create()
    before = profile.snapshot()
    with MessagesAPI(accept=CANARY_ACCESS, status=401) as api:
        run = run_checks(profile, api.url)
        url = api.url
    prompt = run.testcases()[PROMPT_CHECK]
    assert prompt.outcome == "failed"
    # the 401 came through ANTHROPIC_BASE_URL: the gateway is named and checked before a new sign-in
    assert f"The test prompt failed with 401 (not authenticated), and the request went through " \
           f"ANTHROPIC_BASE_URL={url}" in prompt.message
    fix = prompt.message.split("Fix: ")[1]
    assert fix.startswith(f"check the gateway/proxy first: curl -sI {url}") and "pytest checks --fresh-login" in fix
    assert digests(api.bearer_tokens()) == digests([CANARY_ACCESS])
    assert requirement_line(run, "FR-004").split()[1] == "FAIL"
    assert not secret_path(tmp_path).exists()  # nothing rendered
    assert run.ret != 0
    assert profile.snapshot() == before
    assert_no_leak(run, encoded=False)  # the reports hold the rendered Secret


@pytest.mark.parametrize("credentials", [None, "{not json", "{}", "no-inference-scope"],
                         ids=["missing", "invalid-json", "empty-object", "no-inference-scope"])
def test_no_or_invalid_credentials_fail_with_the_login_remedy(run_checks, profile, tmp_path, credentials):
    profile.create()
    if credentials is None:
        profile.credentials.unlink()
    elif credentials == "no-inference-scope":  # well-formed, but the CLI does not count it as a login
        profile.write_credentials({"claudeAiOauth": oauth_entry(scopes=["user:profile"])})
    else:
        profile.write_credentials(credentials)
    with MessagesAPI(accept=CANARY_ACCESS) as api:
        run = run_checks(profile, api.url)
    cases = run.testcases()
    prompt = cases[PROMPT_CHECK]
    assert prompt.outcome == "failed"
    credentials_check = cases["test_credentials_hold_a_claude_max_session"]
    assert "claude auth login" in credentials_check.message + prompt.message and "Fix:" in prompt.message
    if credentials in ("{}", "no-inference-scope"):  # the files build, but the Secret preview fails:
        # the prompt is not run in a run that cannot write the Secret (review 2, 5.1), and shown as NOT RUN
        assert "The test prompt was not run: checks before it failed" in prompt.message
        assert "test_38_secret_preview.py" in prompt.message
        assert requirement_line(run, "FR-004").split()[1:3] == ["NOT", "RUN"]
    else:  # the files cannot even be packaged; the prompt is not run on them
        assert "The test prompt was not run" in prompt.message and "claude auth login" in prompt.message
        assert requirement_line(run, "FR-004").split()[1] == "FAIL"
    assert api.messages_calls() == []
    assert not secret_path(tmp_path).exists()
    assert "Traceback" not in run.output
    assert_no_leak(run, encoded=False)  # the reports hold the rendered Secret


def test_a_session_without_the_inference_scope_is_no_login_to_the_real_cli(run_checks, profile):
    """The prompt check alone (the full suite stops before it): the real CLI says so itself."""
    profile.create()
    profile.write_credentials({"claudeAiOauth": oauth_entry(scopes=["user:profile"])})
    with MessagesAPI(accept=CANARY_ACCESS) as api:
        run = run_checks(profile, api.url, paths=("test_40_test_prompt.py",))
    prompt = run.testcases()[PROMPT_CHECK]
    assert prompt.outcome == "failed"
    assert "found no usable login in the files that would ship" in prompt.message
    assert "the CLI said: Not logged in" in prompt.message and "claude auth login" in prompt.message
    assert api.messages_calls() == []
    assert_no_leak(run, encoded=False)  # the reports hold the rendered Secret


def test_unreachable_api_fails_with_a_network_remedy_inside_the_time_limit(run_checks, profile, tmp_path):
    profile.create()
    start = time.monotonic()
    run = run_checks(profile, f"http://127.0.0.1:{closed_port()}", "--prompt-timeout", "10")
    elapsed = time.monotonic() - start
    prompt = run.testcases()[PROMPT_CHECK]
    assert prompt.outcome == "failed"
    assert "could not reach the Claude API" in prompt.message
    assert "check the network" in prompt.message
    assert float(prompt.prop("prompt_seconds")[0]) < 10
    assert elapsed < 90  # the whole run, CLI probes included; without the limit the CLI retries ~3 min
    assert not secret_path(tmp_path).exists()
    assert_no_leak(run, encoded=False)  # the reports hold the rendered Secret


def test_api_key_in_the_environment_does_not_rescue_a_dead_session(run_checks, profile, tmp_path):
    """The API accepts the key; the checks must still fail because the session is dead."""
    profile.create()
    with MessagesAPI(accept=API_KEY) as api:  # accepts only the key, so the session gets 401
        run = run_checks(profile, api.url, ANTHROPIC_API_KEY=API_KEY)
    prompt = run.testcases()[PROMPT_CHECK]
    assert prompt.outcome == "failed"
    assert "The test prompt failed with 401" in prompt.message
    assert api.api_keys() == []  # the key never reached the API
    assert digests(api.bearer_tokens()) == digests([CANARY_ACCESS])  # the session's token did
    assert "ANTHROPIC_API_KEY" in run.output  # named (never its value) as a variable the pod must not have
    assert not secret_path(tmp_path).exists()
    assert_no_leak(run, tokens=(*CANARY_TOKENS, API_KEY), encoded=False)


def test_keychain_session_is_verified_and_shipped_like_the_file(run_checks, profile, tmp_path):
    """FR-003/SC-003 with the macOS source: the credentials come from the Keychain (a fake
    ``security``, forced with ``--credentials-source keychain``), the real CLI proves them and
    the Secret carries exactly the Keychain's bytes."""
    from helpers.fake_security import FakeKeychain

    from claude_session_tokens.session.keychain import service_name

    keychain_token = "sk-ant-oat01-CANARYkeychainACCESS0123456789abcdef"
    profile.create()
    profile.credentials.unlink()  # on macOS the file does not exist: the Keychain holds the session
    item = json.dumps({"claudeAiOauth": oauth_entry(accessToken=keychain_token)}, separators=(",", ":"))
    fake = FakeKeychain(tmp_path / "fakebin").add(service_name(str(profile.dir)), "dev", item)
    with MessagesAPI(accept=keychain_token) as api:
        run = run_checks(profile, api.url, "--credentials-source", "keychain",
                         PATH=fake.path_with_fake(), USER="dev")
    cases = run.testcases()
    failed = {n: c.message for n, c in cases.items() if c.outcome not in ("passed", "skipped")}
    assert not failed, failed
    assert f"credentials: macOS Keychain item '{service_name(str(profile.dir))}'" in run.stdout
    assert digests(api.bearer_tokens()) == digests([keychain_token])
    if RENDER_CHECK in cases:
        shipped = base64.b64decode(yaml.safe_load(secret_path(tmp_path).read_text())["data"][".credentials.json"])
        assert json.loads(shipped) == json.loads(item)
    assert_no_leak(run, tokens=(*CANARY_TOKENS, keychain_token), encoded=False)
