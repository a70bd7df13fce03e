"""The parts under the test prompt: the child's environment, the process-tree kill, the verdicts,
and adopting refreshed credentials. Plain functions, no pytest subprocess."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import pytest
from helpers.fake_claude import FakeClaude, process_gone
from helpers.profiles import CANARY_ACCESS, CANARY_MARKER, CANARY_REFRESH

from claude_session_tokens.claude import child_env, prompt
from claude_session_tokens.claude.auth_env import override_warnings
from claude_session_tokens.claude.processes import Completed, LaunchError, run_captured
from claude_session_tokens.core.masked import Masked
from claude_session_tokens.session.discovery import discover
from claude_session_tokens.suite.options import Settings
from claude_session_tokens.suite.session import SessionUnderTest

# --- the child's environment -----------------------------------------------------------------

USER_ENV = {
    "PATH": "/usr/bin", "HOME": "/home/dev", "LANG": "C.UTF-8",
    "ANTHROPIC_API_KEY": "k1", "ANTHROPIC_AUTH_TOKEN": "k2", "CLAUDE_CODE_OAUTH_TOKEN": "k3",
    "CLAUDE_CODE_OAUTH_REFRESH_TOKEN": "k4", "CLAUDE_CODE_USE_BEDROCK": "1", "ANTHROPIC_CUSTOM_HEADERS": "x",
    "CLAUDE_CODE_SOME_FUTURE_TOKEN": "k5", "CLAUDE_CONFIG_DIR": "/home/dev/.claude",
    "ANTHROPIC_BASE_URL": "http://127.0.0.1:8080", "HTTPS_PROXY": "http://proxy:3128", "NO_PROXY": "localhost",
    "NODE_EXTRA_CA_CERTS": "/etc/ca.pem", "CLAUDE_CODE_CLIENT_CERT": "/c.pem", "CLAUDE_CODE_CLIENT_KEY": "/k.pem",
    "CLAUDE_CODE_MAX_RETRIES": "10",
}


def test_the_prompt_environment_drops_every_credential_and_keeps_the_network(tmp_path):
    child = child_env.prompt_environment(USER_ENV, tmp_path / "home", "linux")
    for name in ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "CLAUDE_CODE_OAUTH_TOKEN",
                 "CLAUDE_CODE_OAUTH_REFRESH_TOKEN", "CLAUDE_CODE_USE_BEDROCK", "ANTHROPIC_CUSTOM_HEADERS",
                 "CLAUDE_CODE_SOME_FUTURE_TOKEN"):
        assert name not in child.env and name in child.removed
    for name in ("ANTHROPIC_BASE_URL", "HTTPS_PROXY", "NO_PROXY", "NODE_EXTRA_CA_CERTS",
                 "CLAUDE_CODE_CLIENT_CERT", "CLAUDE_CODE_CLIENT_KEY", "PATH", "LANG"):
        assert child.env[name] == USER_ENV[name]
    assert child.env["HOME"] == str(tmp_path / "home")
    assert child.env["CLAUDE_CONFIG_DIR"] == str(tmp_path / "home" / ".claude")
    assert child.env["CLAUDE_CODE_MAX_RETRIES"] == "0"
    assert "USERPROFILE" not in child.env
    assert child.base_url == "http://127.0.0.1:8080"
    assert all(v not in " ".join(child.removed) for v in ("k1", "k2", "k3"))


def test_on_windows_the_profile_is_userprofile(tmp_path):
    environ = {**USER_ENV, "USERPROFILE": "C:\\Users\\dev", "HOMEDRIVE": "C:", "HOMEPATH": "\\Users\\dev"}
    child = child_env.prompt_environment(environ, tmp_path / "home", "win32")
    assert child.env["USERPROFILE"] == child.env["HOME"] == str(tmp_path / "home")
    assert "HOMEDRIVE" not in child.env and "HOMEPATH" not in child.env


def test_the_login_environment_keeps_the_users_profile():
    default = child_env.login_environment(USER_ENV, None)
    assert "CLAUDE_CONFIG_DIR" not in default.env and default.env["HOME"] == "/home/dev"
    assert "ANTHROPIC_API_KEY" not in default.env
    named = child_env.login_environment(USER_ENV, "~/work/claude/")
    assert named.env["CLAUDE_CONFIG_DIR"] == "~/work/claude/"  # exactly as the CLI must see it


def test_the_login_uses_the_users_own_claude_config_dir_spelling(tmp_path):
    """On macOS the CLI hashes CLAUDE_CONFIG_DIR as given into the Keychain item's name, so the
    login must get the user's value unchanged, and none for the default profile."""
    home = tmp_path / "home"
    raw = str(tmp_path / "work" / "claude") + "/"  # trailing slash: a different hash
    env = {"HOME": str(home), "CLAUDE_CONFIG_DIR": raw}
    from_env = discover(None, env, "darwin", credentials_source="file")
    assert from_env.cli_config_dir == raw
    same_by_option = discover(str(tmp_path / "work" / "claude"), env, "darwin", credentials_source="file")
    assert same_by_option.cli_config_dir == raw
    default_by_option = discover(str(home / ".claude"), {"HOME": str(home)}, "darwin", credentials_source="file")
    assert default_by_option.cli_config_dir is None
    assert "CLAUDE_CONFIG_DIR" not in child_env.login_environment(env, default_by_option.cli_config_dir).env
    assert discover(None, {"HOME": str(home)}, "linux").cli_config_dir is None


def test_override_warnings_name_the_variable_never_the_value():
    warnings = override_warnings({"ANTHROPIC_API_KEY": "sk-ant-api03-secretvalue", "PATH": "/bin"}, "linux")
    assert len(warnings) == 1
    text = warnings[0].message()
    assert "ANTHROPIC_API_KEY" in text and "secretvalue" not in text and "pod" in text
    assert "unset ANTHROPIC_API_KEY" in warnings[0].remedy
    assert "Remove-Item Env:ANTHROPIC_API_KEY" in override_warnings({"ANTHROPIC_API_KEY": "x"}, "win32")[0].remedy
    assert override_warnings({"ANTHROPIC_API_KEY": ""}, "linux") == []


def test_a_base_url_with_a_password_is_shown_without_it():
    assert child_env.shown_url("https://me:pw@gw.example:8443/v1") == "https://***@gw.example:8443/v1"
    assert child_env.shown_url("http://127.0.0.1:9") == "http://127.0.0.1:9"


# --- the hard limit -----------------------------------------------------------------------------

SPAWNER = """
import subprocess, sys, time
helper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
print(helper.pid, flush=True)
time.sleep(600)
"""


def test_the_limit_kills_the_child_and_what_it_started():
    started = time.monotonic()
    done = run_captured([sys.executable, "-c", SPAWNER], env=dict(os.environ), limit=1.5)
    assert done.timed_out and done.returncode is None
    assert time.monotonic() - started < 1.5 + 8  # the kill's bound, generous for a loaded machine
    helper = int(done.stdout.split()[0])
    if os.name != "nt":
        assert process_gone(helper)


def test_a_normal_run_keeps_its_output_and_exit_code():
    done = run_captured([sys.executable, "-c", "import sys; print('out'); print('err', file=sys.stderr); sys.exit(3)"],
                        env=dict(os.environ), limit=30)
    assert (done.returncode, done.stdout.strip(), done.stderr.strip(), done.timed_out) == (3, "out", "err", False)


def test_a_missing_program_is_a_launch_error(tmp_path):
    with pytest.raises(LaunchError) as err:
        run_captured([str(tmp_path / "nope")], env=dict(os.environ), limit=5)
    assert err.value.reason == "not found"


# --- verdicts -------------------------------------------------------------------------------------

def completed(stdout="", stderr="", code=0, timed_out=False, seconds=0.5):
    return Completed(("claude",), None if timed_out else code, stdout, stderr, seconds, timed_out)


def result_json(text, is_error, status=None):
    return json.dumps({"type": "result", "subtype": "success", "is_error": is_error, "result": text,
                       "api_error_status": status})


@pytest.mark.parametrize("run, kind", [
    (completed(result_json("ok", False)), prompt.SUCCESS),
    (completed(result_json("Not logged in · Please run /login", True), code=1), prompt.NOT_LOGGED_IN),
    (completed(result_json("Failed to authenticate. API Error: 401 Invalid bearer token", True, 401), code=1),
     prompt.REJECTED),
    (completed(result_json("Failed to authenticate: OAuth session expired and could not be refreshed", True), code=1),
     prompt.REJECTED),
    (completed(result_json("API Error: Can't reach the API server (ENOTFOUND)", True), code=1), prompt.NETWORK),
    (completed(result_json("API Error: Connection refused — a firewall or proxy may be blocking it (ECONNREFUSED)",
                           True), code=1), prompt.NETWORK),
    (completed(result_json("API Error: 529 Overloaded", True, 529), code=1), prompt.API_ERROR),
    (completed(result_json("", False)), prompt.UNEXPECTED),  # exit 0 without running the prompt
    (completed(""), prompt.UNEXPECTED),
    (completed("<html>502</html>"), prompt.UNEXPECTED),
    (completed("", "TypeError: x is undefined", code=134), prompt.CRASHED),
    (completed("", "", code=-11), prompt.CRASHED),
    (completed("Not logged in · Please run /login", code=1), prompt.NOT_LOGGED_IN),  # text output
    (completed("", timed_out=True, seconds=10.2), prompt.TIME_LIMIT),
])
def test_verdicts_follow_is_error_and_result_never_the_exit_code_alone(run, kind):
    verdict = prompt.judge(run, 10)
    assert verdict.kind == kind
    assert (verdict.finding is None) == (kind == prompt.SUCCESS)


def test_the_clis_words_are_shown_with_every_token_masked():
    secret = Masked("opaque-session-value-123456")
    run = completed("debug token=opaque-session-value-123456 key=sk-ant-api03-abcDEF_ghi "
                    "Bearer eyJhbGciOiJIUzI1NiJ9.cGF5bG9hZA; Invalid bearer token\n", code=1)
    text = prompt.judge(run, 10, [secret]).finding.message()
    assert "opaque-session-value" not in text and "abcDEF" not in text and "eyJhbGci" not in text
    assert "sk-ant-***" in text and "Invalid bearer token" in text


# --- the run on a copy, and adopting refreshed credentials ------------------------------------------

def make_session(profile, fake, **settings) -> SessionUnderTest:
    env = {**os.environ, **fake.env()}
    values = dict(claude_config_dir=str(profile.dir), claude_bin=str(fake.bin), project_root=Path("."))
    values.update(settings)
    return SessionUnderTest(Settings(**values), environ=env)


def test_refreshed_tokens_become_what_ships(profile, tmp_path):
    profile.create()
    fake = FakeClaude(tmp_path / "fake-bin").control("rotate")
    session = make_session(profile, fake)
    original = session.payload.credentials
    result = session.prompt_result
    assert result.passed and result.refreshed
    shipped = json.loads(session.payload.credentials.reveal())["claudeAiOauth"]
    assert session.payload.credentials != original
    assert shipped["refreshToken"] not in (CANARY_REFRESH, "") and "CANARYrotated" in shipped["refreshToken"]
    assert any("spent" in w.cause for w in result.warnings)
    assert session.prompt_result is result  # memoised: the CLI ran once
    assert len(fake.events("prompt")) == 1
    assert CANARY_MARKER not in repr(result) + "".join(w.message() for w in result.warnings)


def test_a_refresh_that_wiped_the_tokens_is_not_shipped(profile, tmp_path):
    profile.create()
    fake = FakeClaude(tmp_path / "fake-bin").control("refresh_fails")
    session = make_session(profile, fake)
    original = session.payload.credentials
    result = session.prompt_result
    assert result.kind == prompt.REJECTED and not result.refreshed
    assert session.payload.credentials == original
    assert any("emptied the tokens" in w.cause for w in result.warnings)


def test_the_copy_is_removed_even_when_the_cli_hangs(profile, tmp_path, monkeypatch):
    profile.create()
    fake = FakeClaude(tmp_path / "fake-bin").control("hang")
    temp_root = tmp_path / "temp"
    temp_root.mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(temp_root))
    session = make_session(profile, fake, prompt_timeout=1.0)
    result = session.prompt_result
    assert result.kind == prompt.TIME_LIMIT
    assert list(temp_root.iterdir()) == []
    assert json.loads(profile.credentials.read_text())["claudeAiOauth"]["accessToken"] == CANARY_ACCESS


def test_on_windows_the_tree_is_killed_with_taskkill(monkeypatch):
    """Simulated: Windows has no process groups to kill, taskkill /T /F ends the whole tree."""
    from claude_session_tokens.claude import processes

    calls = []
    monkeypatch.setattr(processes.subprocess, "run", lambda argv, **kw: calls.append(argv))
    monkeypatch.setattr(processes.os, "killpg", lambda *a: calls.append(("killpg",) + a), raising=False)

    class Proc:
        pid = 4242
        killed = False

        def kill(self):
            self.killed = True

    proc = Proc()
    processes.kill_tree(proc, "win32")
    assert calls == [["taskkill", "/T", "/F", "/PID", "4242"]] and proc.killed
    assert processes._group_kwargs("win32").keys() == {"creationflags"}
    assert processes._group_kwargs("linux") == {"start_new_session": True}
