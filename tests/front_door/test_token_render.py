"""Setup-token mode end to end: ``python render_secret.py --oauth-token-file -`` with the real CLI offline.

The test prompt runs the real ``claude`` with ``CLAUDE_CODE_OAUTH_TOKEN`` as its only credential
against helpers/messages_api.py; the Secret is compared with the real ``kubectl`` and validated
with the real ``kubernetes-validate``. Every token is a canary that no output may contain.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import stat
import subprocess
import sys

import kubernetes_validate
import pytest
import yaml
from helpers.leaks import assert_no_leak, digests
from helpers.messages_api import MessagesAPI
from helpers.profiles import CANARY_ACCESS, CANARY_REFRESH, ProfileBuilder
from helpers.real_cli import offline
from helpers.render_support import (
    REAL_CLAUDE,
    RENDER_SECRET,
    comparable,
    kubectl_secret,
)
from helpers.runner import ROOT

from claude_session_tokens.suite.options import Settings
from claude_session_tokens.suite.plugin import PROJECT_ROOT

TOKEN = "sk-ant-oat01-CANARYfileTOKEN-" + "Mn0Pq1Rs2Tu3Vw4Xy5Z_" * 4 + "abcdefghijklmnopqr"
OTHER = "sk-ant-oat01-CANARYotherTOKEN-" + "Ab1Cd2Ef3Gh4Ij5Kl6M_" * 4 + "stuvwxyz0123456789"
API_KEY = "sk-ant-api03-CANARYapiKEY-" + "q" * 80
CANARIES = (TOKEN, OTHER, API_KEY, CANARY_ACCESS, CANARY_REFRESH)


def _snapshot(directory) -> dict[str, str]:
    return {str(p.relative_to(directory)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(directory.rglob("*")) if p.is_file()}


@pytest.fixture
def world(tmp_path):
    """A user's home with a session of its own; render_secret.py runs with that HOME."""
    home = tmp_path / "home"
    ProfileBuilder(home / ".claude").create()
    out = tmp_path / "out"

    def run(stdin: bytes, *args, accept=TOKEN, extra_env=None):
        with MessagesAPI(accept=accept) as api:
            env = {k: v for k, v in os.environ.items() if not k.upper().startswith(("ANTHROPIC_", "CLAUDE_"))}
            env.update(offline())
            env.update(HOME=str(home), ANTHROPIC_BASE_URL=api.url, PYTHONPATH=str(ROOT))
            env.update(extra_env or {})
            result = subprocess.run(
                [sys.executable, str(RENDER_SECRET), "--oauth-token-file", "-", "--claude-bin", str(REAL_CLAUDE),
                 "--reports-dir", str(out / "reports"), "--secret-out", str(out / "secrets" / "t.yaml"), *args],
                input=stdin, capture_output=True, timeout=180, env=env, cwd=ROOT)
        # with --dry-run the manifest on stdout is the one place the token may be
        shown = b"" if "--dry-run" in args else result.stdout
        text = shown.decode("utf-8", "replace") + result.stderr.decode("utf-8", "replace")
        for report in sorted((out / "reports").glob("*")):
            text += report.read_text(errors="replace")
        assert_no_leak(text, "render_secret.py's output or a report", CANARIES)
        assert "Traceback" not in text
        return result, text, api

    run.home, run.out, run.secret = home, out, out / "secrets" / "t.yaml"
    return run


def test_default_name_and_destination_of_the_token_secret():
    settings = Settings(oauth_token_file="-", project_root=PROJECT_ROOT)
    assert settings.secret_name == "claude-oauth-token"
    assert settings.secret_path() == PROJECT_ROOT / "secrets" / "claude-oauth-token.yaml"
    assert Settings(project_root=PROJECT_ROOT).secret_name == "claude-session-tokens"
    assert Settings(oauth_token_file="-", secret_name="mine").secret_name == "mine"


def test_a_good_token_on_stdin_is_verified_and_rendered_as_kubectl_would(world, tmp_path):
    before = _snapshot(world.home)
    # as copied from a terminal: CRLF, split over two lines
    result, text, api = world(TOKEN[:57].encode() + b"\r\n" + TOKEN[57:].encode() + b"\r\n")
    assert result.returncode == 0, text[-3000:]
    bearers = api.bearer_tokens()
    assert bearers and all(b == TOKEN for b in bearers), "the stand-in saw another bearer than the token"
    assert all(r.api_key is None for r in api.requests)
    assert stat.S_IMODE(world.secret.stat().st_mode) == 0o600
    manifest = yaml.safe_load(world.secret.read_text())
    kubernetes_validate.validate(manifest, kubernetes_validate.latest_version(), strict=True)
    expected = yaml.safe_load(kubectl_secret({"CLAUDE_CODE_OAUTH_TOKEN": TOKEN.encode()}, "claude-oauth-token",
                                             "${NAMESPACE}", "yaml", tmp_path / "kubectl"))
    assert comparable(manifest) == comparable(expected)  # exactly the token's bytes, no newline
    assert digests([base64.b64decode(manifest["data"]["CLAUDE_CODE_OAUTH_TOKEN"])]) == digests([TOKEN])
    notes = manifest["metadata"]["annotations"]
    assert notes["claude-session-tokens/credential-kind"] == "setup-token"
    assert notes["claude-session-tokens/token-fingerprint"] == hashlib.sha256(TOKEN.encode()).hexdigest()[:12]
    assert {"claude-session-tokens/captured-at", "claude-session-tokens/estimated-expiry"} <= set(notes)
    assert not any("refresh" in k for k in notes)
    out = result.stdout.decode()
    for rid in ("FR-001", "FR-002", "FR-003", "FR-005", "SC-001", "SC-003"):
        assert f"{rid}  N/A" in out, rid
    for rid in ("FR-004", "FR-006", "FR-007", "FR-008", "SC-002", "SC-004", "SC-005", "SC-006"):
        assert f"{rid}  PASS" in out, rid
    assert "estimate: capture + 365 days" in out and "examples/claude-agent-oauth-token.yaml" in out
    summary = (world.out / "reports" / "summary.md").read_text()
    assert "| FR-003 | N/A |" in summary and "| SC-003 | N/A |" in summary and "| FR-003 | PASS" not in summary
    junit = (world.out / "reports" / "junit.xml").read_text()
    assert 'name="not_applicable"' in junit and 'name="FR-003_not_applicable"' in junit
    assert _snapshot(world.home) == before  # the user's profile is byte-identical


def test_a_revoked_token_fails_with_the_setup_token_remedy_and_writes_nothing(world):
    world.secret.parent.mkdir(parents=True)
    world.secret.write_bytes(b"earlier secret\n")
    result, text, api = world(TOKEN.encode() + b"\n", accept=OTHER)  # the API no longer accepts it
    assert result.returncode == 1
    out = result.stdout.decode() + result.stderr.decode()  # the failures go to stderr
    assert "rejected the token (401: it was revoked, or its year has ended)" in out
    assert "claude setup-token again" in out and "python render_secret.py --setup-token" in out
    assert world.secret.read_bytes() == b"earlier secret\n"


def test_an_api_key_in_the_environment_never_stands_in_for_a_revoked_token(world):
    result, text, api = world(TOKEN.encode(), accept=OTHER, extra_env={"ANTHROPIC_API_KEY": API_KEY,
                                                                      "ANTHROPIC_AUTH_TOKEN": API_KEY})
    assert result.returncode == 1
    assert api.messages_calls(), "the test prompt ran"
    for seen in api.requests:
        assert seen.api_key is None and seen.bearer != API_KEY, "the stand-in saw the API key"
    assert not world.secret.exists()


@pytest.mark.parametrize("given, words", [
    (API_KEY.encode() + b"\n", "Anthropic API key"),
    (b"", "no text at all"),
    (TOKEN[:60].encode(), "characters long"),
], ids=["api-key", "empty", "truncated"])
def test_a_bad_token_exits_1_with_the_reason_without_running_the_cli(world, given, words):
    result, text, api = world(given)
    assert result.returncode == 1
    assert words in result.stdout.decode() + result.stderr.decode()
    assert not api.requests
    assert not world.secret.exists()


def test_dry_run_prints_kubectl_identical_json_and_writes_nothing(world, tmp_path):
    result, text, api = world(TOKEN.encode() + b"\n", "--dry-run", "-o", "json", "--namespace", "agents")
    assert result.returncode == 0, text[-2000:]
    printed = json.loads(result.stdout)
    expected = json.loads(kubectl_secret({"CLAUDE_CODE_OAUTH_TOKEN": TOKEN.encode()}, "claude-oauth-token",
                                         "agents", "json", tmp_path / "kubectl"))
    assert comparable(printed) == comparable(expected)
    assert not world.secret.exists()


@pytest.mark.parametrize("args", [["--setup-token"], ["--hand-off"], ["--fresh-login"], ["--include", "x"]])
def test_options_that_do_not_fit_the_token_mode_are_a_usage_error(world, args):
    result, text, _ = world(TOKEN.encode(), *args)
    assert result.returncode == 2 and "cannot be combined" in text


def test_pytest_checks_reads_a_token_file_and_reports_na_checks(checks, tmp_path):
    token_file = tmp_path / "token.txt"
    token_file.write_text(TOKEN + "\n")
    home = tmp_path / "home"
    home.mkdir()
    with MessagesAPI(accept=TOKEN) as api:
        run = checks.run("--oauth-token-file", str(token_file), "--claude-bin", str(REAL_CLAUDE),
                         "--secret-out", str(tmp_path / "s" / "t.yaml"),
                         env={**offline(), "HOME": str(home), "ANTHROPIC_BASE_URL": api.url, "CLAUDE_CONFIG_DIR": None,
                              "ANTHROPIC_API_KEY": None, "CLAUDE_CODE_OAUTH_TOKEN": None}, timeout=180)
    assert_no_leak(run.every_text(), "pytest checks' output or a report", CANARIES)
    assert run.ret == 0, run.output[-3000:]
    cases = run.testcases()
    listing = cases["test_session_directory_can_be_listed"]
    assert listing.outcome == "skipped" and listing.prop("not_applicable")
    assert cases["test_prompt_answers_on_what_ships"].outcome == "passed"
    assert "FR-005  N/A" in run.stdout and "FR-005  PASS" not in run.stdout
    assert (tmp_path / "s" / "t.yaml").exists()


def test_a_committed_token_secret_is_found_by_the_git_scan(tmp_path):
    from helpers.render_support import git, make_repo

    from claude_session_tokens.k8s.git_safety import tracked_session_secrets

    repo = make_repo(tmp_path / "repo")
    secret = yaml.safe_load(kubectl_secret({"CLAUDE_CODE_OAUTH_TOKEN": TOKEN.encode()}, "claude-oauth-token",
                                           "agents", "yaml", tmp_path / "kubectl"))
    (repo / "k8s").mkdir()
    (repo / "k8s" / "token.yaml").write_text(yaml.safe_dump(secret))
    (repo / "k8s" / "deployment.yaml").write_text((ROOT / "examples" / "claude-agent-oauth-token.yaml").read_text())
    git(repo, "add", "k8s")
    found, _ = tracked_session_secrets(repo)
    assert found == ["k8s/token.yaml"]  # the Deployment names the key but is no Secret


def test_the_token_that_ships_wins_over_one_left_in_the_environment(world):
    result, text, api = world(TOKEN.encode(), accept=TOKEN, extra_env={"CLAUDE_CODE_OAUTH_TOKEN": OTHER})
    assert result.returncode == 0, text[-2000:]
    bearers = api.bearer_tokens()
    assert bearers and all(b == TOKEN for b in bearers), "the prompt used the environment's token"
    assert "CLAUDE_CODE_OAUTH_TOKEN is set in your environment" not in text


def test_an_unreachable_api_fails_fast_with_the_network_remedy(world):
    from helpers.real_cli import closed_port

    result, text, api = world(TOKEN.encode(), extra_env={"ANTHROPIC_BASE_URL": f"http://127.0.0.1:{closed_port()}"})
    assert result.returncode == 1
    assert "could not reach the Claude API" in text and "check the network: curl -sI http://127.0.0.1:" in text
    assert "--oauth-token-file FILE" in text
    assert not api.requests and not world.secret.exists()


def test_the_suites_own_remedies_repeat_the_token_file(tmp_path):
    from claude_session_tokens.suite.session import SessionUnderTest
    from claude_session_tokens.suite.spelling import spelling_for

    settings = Settings(oauth_token_file=str(tmp_path / "token.txt"), project_root=PROJECT_ROOT)
    spelling = spelling_for(SessionUnderTest(settings, environ={"HOME": str(tmp_path)}), PROJECT_ROOT)
    assert ("--oauth-token-file", str(tmp_path / "token.txt")) in spelling.suite_options
