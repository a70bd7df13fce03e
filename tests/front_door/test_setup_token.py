"""``--setup-token``: the real ``claude setup-token`` under a pseudo-terminal, its code exchange
answered offline, the token captured from its wrapped screen and never shown.

The real CLI 2.1.332 runs: after the code is pasted it POSTs ``grant_type=authorization_code``
(code, state, code_verifier, redirect_uri, client_id, expires_in one year) to
``https://platform.claude.com/v1/oauth/token``; helpers/oauth_proxy.py answers it through a
CONNECT proxy with a throw-away CA, and the CLI prints the token wrapped at the terminal's
width, in colour, words placed with cursor moves. The suite runs it on a pseudo-terminal of
its own (the size of the user's) and relays the screen with every token masked.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import stat
import sys

import pytest
import yaml
from helpers.leaks import assert_no_leak
from helpers.messages_api import MessagesAPI
from helpers.oauth_proxy import OAuthRefreshProxy
from helpers.profiles import CANARY_ACCESS, CANARY_REFRESH, ProfileBuilder
from helpers.real_cli import offline
from helpers.render_support import (
    REAL_CLAUDE,
    RENDER_SECRET,
    comparable,
    kubectl_secret,
)
from helpers.runner import ROOT
from helpers.terminal_runs import run_in_terminal, run_without_terminal
from helpers.throwaway_ca import mint

from claude_session_tokens.claude.setup_token import MaskingRelay

SETUP_TOKEN = "sk-ant-oat01-CANARYcapturedTOKEN-" + "Zy9Xw8Vu7Ts6Rq5Po4Nm3Lk2Ji1Hg0Fe_-" * 2 + "DcBa0123456789abcdef"
CANARIES = (SETUP_TOKEN, CANARY_ACCESS, CANARY_REFRESH)
POSIX_ONLY = pytest.mark.skipif(os.name == "nt", reason="--setup-token runs the CLI on a POSIX pseudo-terminal")


def _masked(chunks: list[bytes]) -> bytes:
    relay = MaskingRelay()
    return b"".join(relay.feed(c) for c in chunks) + relay.flush()


@pytest.mark.parametrize("step", [1, 2, 7, 4096])
def test_relay_masks_a_wrapped_token_split_anywhere(step):
    screen = (b"\x1b[2GYour\x1b[7GOAuth\x1b[13Gtoken:\r\r\n\r\r\n\x1b[2G\x1b[38;5;220m" + SETUP_TOKEN[:50].encode()
              + b"\x1b[39m\r\r\n\x1b[2G\x1b[38;5;220m" + SETUP_TOKEN[50:].encode() + b"\x1b[39m\r\r\n\r\r\n"
              b"\x1b[2GStore\x1b[8Gthis\x1b[13Gtoken\r\r\n")
    chunks = [screen[i:i + step] for i in range(0, len(screen), step)]
    shown = _masked(chunks)
    assert_no_leak(shown.decode("utf-8", "replace"), "the relayed screen", CANARIES)
    for piece in (SETUP_TOKEN[13:30], SETUP_TOKEN[50:70], SETUP_TOKEN[-12:]):
        assert piece.encode() not in shown
    assert b"Store" in shown and b"Your" in shown and b"\x1b[38;5;220m" in shown  # the rest is untouched
    assert shown.count(b"*") == len(SETUP_TOKEN) - len("sk-ant-")


def test_relay_passes_ordinary_text_and_escapes_unchanged():
    text = "Paste code here if prompted ╭──╮ sk-a… not a token; https://claude.ai/oauth/authorize?x\n".encode()
    osc = b"\x1b]8;id=1;https://claude.ai/oauth/authorize?x\x07link\x1b]8;;\x07"
    assert _masked([text, osc]) == text + osc


def _snapshot(directory) -> dict[str, str]:
    return {str(p.relative_to(directory)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(directory.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def platform_certificates(tmp_path_factory):
    """The throw-away CA and platform.claude.com's certificate, minted once: only read by the tests."""
    return mint(tmp_path_factory.mktemp("ca"), "platform.claude.com")


@pytest.fixture
def setup_token_world(tmp_path, platform_certificates):
    """A home with a session of its own, the OAuth stand-in answering setup-token's code exchange,
    and the Messages API accepting the token it hands out."""
    home = tmp_path / "home"
    ProfileBuilder(home / ".claude").create()
    certs = platform_certificates
    with OAuthRefreshProxy(certificates=certs, setup_token=SETUP_TOKEN) as proxy, \
            MessagesAPI(accept=SETUP_TOKEN) as api:
        # CI=true (set by CI runners) would make --setup-token refuse at once: the terminal is real here
        env = {k: v for k, v in os.environ.items()
               if not k.upper().startswith(("ANTHROPIC_", "CLAUDE_")) and k.upper() != "CI"}
        env.update(offline())
        env.update(proxy.environment(), HOME=str(home), ANTHROPIC_BASE_URL=api.url,
                   TERM="xterm-256color", BROWSER="true", PYTHONPATH=str(ROOT))
        yield home, env, proxy, api


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _render(tmp_path, env, *extra, size=(30, 60)):
    out = tmp_path / "out"
    cmd = [sys.executable, str(RENDER_SECRET), "--setup-token", "--claude-bin", str(REAL_CLAUDE),
           "--reports-dir", str(out / "reports"), "--secret-out", str(tmp_path / "secrets" / "t.yaml"), *extra]
    keys = ((b"prompted", b"pasted-code#pasted-state"), (b"-state", b"\r"))  # the CLI echoes the paste masked
    return run_in_terminal(cmd, out, ROOT, env=env, code=None, keys=keys, size=size, timeout=150), out


@POSIX_ONLY
@pytest.mark.parametrize("columns", [44, 60, 200], ids=["narrow", "medium", "wide"])
def test_real_setup_token_is_captured_from_its_wrapped_screen_and_rendered(setup_token_world, tmp_path, columns):
    home, env, proxy, api = setup_token_world
    before = _snapshot(home)
    run, out = _render(tmp_path, env, size=(40, columns))
    everything = run.every_text()
    assert_no_leak(everything, "the terminal during --setup-token or a report", CANARIES)
    assert run.ret == 0, everything[-3000:]
    assert [e["code"] for e in proxy.code_exchanges] == ["pasted-code"]
    assert proxy.code_exchanges[0]["grant_type"] == "authorization_code"
    assert "sk-ant-" in run.stdout and "*" * 20 in run.stdout  # the user saw where the token was, masked
    # the test prompt used exactly the captured token as its bearer
    bearers = api.bearer_tokens()
    assert bearers and all(b == SETUP_TOKEN for b in bearers), "the stand-in saw another bearer"
    secret_path = tmp_path / "secrets" / "t.yaml"  # outside the reports: every_text() reads those
    assert stat.S_IMODE(secret_path.stat().st_mode) == 0o600
    manifest = yaml.safe_load(secret_path.read_text())
    assert _digest(base64.b64decode(manifest["data"]["CLAUDE_CODE_OAUTH_TOKEN"])) == _digest(SETUP_TOKEN.encode())  # by digest: a failure never shows the token
    expected = yaml.safe_load(kubectl_secret({"CLAUDE_CODE_OAUTH_TOKEN": SETUP_TOKEN.encode()}, "claude-oauth-token",
                                             "${NAMESPACE}", "yaml", tmp_path / "kubectl"))
    assert comparable(manifest) == comparable(expected)
    assert "FR-002  PASS" in run.stdout and "SC-001  PASS" in run.stdout and "FR-003  N/A" in run.stdout
    assert _snapshot(home) == before  # the user's own profile was not touched


@POSIX_ONLY
def test_setup_token_refuses_at_once_without_a_terminal_and_in_ci(setup_token_world, tmp_path):
    _, env, proxy, _ = setup_token_world
    cmd = [sys.executable, str(RENDER_SECRET), "--setup-token", "--claude-bin", str(REAL_CLAUDE),
           "--reports-dir", str(tmp_path / "r1"), "--secret-out", str(tmp_path / "s" / "t.yaml")]
    run = run_without_terminal(cmd, tmp_path / "r1", ROOT, env=env, timeout=120)
    assert run.ret == 1 and "needs an interactive terminal" in run.output
    assert "--oauth-token-file FILE" in run.output
    ci = run_in_terminal(cmd, tmp_path / "r2", ROOT, env={**env, "CI": "true"}, code=None, timeout=120)
    assert ci.ret == 1 and "CI=true is set" in ci.stdout
    assert not proxy.code_exchanges and not (tmp_path / "s").exists()


@POSIX_ONLY
def test_setup_token_stopped_at_the_time_limit_restores_the_terminal(setup_token_world, tmp_path):
    from helpers.terminal_runs import TerminalModes

    _, env, proxy, _ = setup_token_world
    modes = TerminalModes()
    out = tmp_path / "out"
    cmd = [sys.executable, str(RENDER_SECRET), "--setup-token", "--claude-bin", str(REAL_CLAUDE),
           "--login-timeout", "6", "--reports-dir", str(out / "reports"),
           "--secret-out", str(tmp_path / "secrets" / "t.yaml")]
    run = run_in_terminal(cmd, out, ROOT, env=env, code=None, modes=modes, timeout=120)  # nobody pastes a code
    assert run.ret == 1
    assert "did not print a token within 6 s and was stopped (SC-001)" in run.stdout
    assert "--login-timeout 300" in run.stdout
    assert modes.before == modes.after  # raw mode undone
    assert not proxy.code_exchanges and not (tmp_path / "secrets").exists()


@POSIX_ONLY
def test_no_token_in_pytest_output_at_full_verbosity_when_the_token_is_revoked(checks, tmp_path):
    token_file = tmp_path / "token"
    token_file.write_text(SETUP_TOKEN + "\r\n")
    with MessagesAPI(accept="sk-ant-oat01-another") as api:
        run = checks.run("--oauth-token-file", str(token_file), "--claude-bin", str(REAL_CLAUDE), "-vv", "-l",
                         "--tb=long", "--secret-out", str(tmp_path / "s" / "t.yaml"),
                         env={**offline(), "HOME": str(tmp_path), "ANTHROPIC_BASE_URL": api.url,
                              "CLAUDE_CONFIG_DIR": None, "CLAUDE_CODE_OAUTH_TOKEN": None}, timeout=180)
    assert_no_leak(run.every_text(), "pytest -vv -l --tb=long or a report", CANARIES)
    assert run.ret == 1 and "rejected the token" in run.output and "Traceback" not in run.output
    assert not (tmp_path / "s").exists()


@POSIX_ONLY
def test_pytest_checks_front_door_captures_the_token_too(setup_token_world, tmp_path):
    from helpers.terminal_runs import checks_command

    _, env, proxy, api = setup_token_world
    out = tmp_path / "out"
    cmd = checks_command(out, tmp_path / "basetemp", "--setup-token", "--claude-bin", str(REAL_CLAUDE),
                         "--secret-out", str(tmp_path / "secrets" / "t.yaml"))
    keys = ((b"prompted", b"pasted-code#pasted-state"), (b"-state", b"\r"))
    run = run_in_terminal(cmd, out, ROOT, env=env, code=None, keys=keys, size=(30, 50), timeout=150)
    assert_no_leak(run.every_text(), "pytest checks --setup-token's terminal or a report", CANARIES)
    assert run.ret == 0, run.stdout[-3000:]
    assert [e["code"] for e in proxy.code_exchanges] == ["pasted-code"]
    assert all(b == SETUP_TOKEN for b in api.bearer_tokens())
    cases = run.testcases()
    assert cases["test_fresh_login"].outcome == "passed" and cases["test_fresh_login"].prop("token_fingerprint")
    # the CLI drew at the new width: the masked token continues on a line of its own
    assert re.search(r"\n(?:\x1b\[[0-9;]*[A-Za-z])*\*{10,}", run.stdout), "the token did not wrap at 46 columns"
    manifest = yaml.safe_load((tmp_path / "secrets" / "t.yaml").read_text())
    assert _digest(base64.b64decode(manifest["data"]["CLAUDE_CODE_OAUTH_TOKEN"])) == _digest(SETUP_TOKEN.encode())  # by digest: a failure never shows the token


@POSIX_ONLY
def test_ctrl_c_typed_during_setup_token_stops_it_and_writes_nothing(setup_token_world, tmp_path):
    from helpers.terminal_runs import TerminalModes

    _, env, proxy, _ = setup_token_world
    modes = TerminalModes()
    out = tmp_path / "out"
    cmd = [sys.executable, str(RENDER_SECRET), "--setup-token", "--claude-bin", str(REAL_CLAUDE),
           "--reports-dir", str(out / "reports"), "--secret-out", str(tmp_path / "secrets" / "t.yaml")]
    run = run_in_terminal(cmd, out, ROOT, env=env, code=None, keys=((b"prompted", b"\x03"),), modes=modes,
                          timeout=60)
    assert run.ret == 130, run.stdout[-2000:]
    assert "Interrupted: no token was captured" in run.stdout
    assert modes.before == modes.after
    assert not proxy.code_exchanges and not (tmp_path / "secrets").exists()


@POSIX_ONLY
def test_a_terminal_resized_during_setup_token_still_gives_the_whole_token(setup_token_world, tmp_path):
    _, env, proxy, api = setup_token_world
    out = tmp_path / "out"
    cmd = [sys.executable, str(RENDER_SECRET), "--setup-token", "--claude-bin", str(REAL_CLAUDE),
           "--reports-dir", str(out / "reports"), "--secret-out", str(tmp_path / "secrets" / "t.yaml")]
    keys = ((b"prompted", (40, 46)), (b"prompted", b"pasted-code#pasted-state"), (b"-state", b"\r"))
    run = run_in_terminal(cmd, out, ROOT, env=env, code=None, keys=keys, size=(40, 200), timeout=150)
    assert_no_leak(run.every_text(), "the terminal during --setup-token", CANARIES)
    assert run.ret == 0, run.stdout[-3000:]
    # the CLI drew at the new width: the masked token continues on a line of its own
    assert re.search(r"\n(?:\x1b\[[0-9;]*[A-Za-z])*\*{10,}", run.stdout), "the token did not wrap at 46 columns"
    manifest = yaml.safe_load((tmp_path / "secrets" / "t.yaml").read_text())
    assert _digest(base64.b64decode(manifest["data"]["CLAUDE_CODE_OAUTH_TOKEN"])) == _digest(SETUP_TOKEN.encode())  # by digest: a failure never shows the token
