"""No token leaks from the WHOLE suite, in any fault of the CLI, however verbose the run.

Each case runs every check in ``checks/`` (session files, CLI, lifetime, test prompt, git
safety, render; the fresh login in its own case on a pseudo-terminal, POSIX) in one subprocess, with ``-vv -l --tb=long -rA``, against the fake
``claude`` in one of its modes (domain.md: ``garbage`` prints ``Authorization: Bearer <token>``,
``rotate`` refreshes, ``refresh_fails`` wipes the tokens, ...), or with a canary planted where
no token belongs (``subscriptionType``, ``scopes``, a top-level key). The canary tokens (and any
token the fake minted by a refresh) must be in no output and no file the run wrote: stdout,
stderr, junit.xml, summary.md, the Secret's directory (but the Secret itself), and the temporary
directory the run used (the prompt's copy of the session must be gone). Neither as text, nor
as the marker, nor as base64 at any alignment. With ``--dry-run`` the manifest is printed: there,
and only inside its ``data`` values, the base64 of the session may appear.
"""

from __future__ import annotations

import base64
import json
import re
import sys

import pytest
import yaml
from helpers.fake_claude import FakeClaude
from helpers.foundation import assert_no_crash
from helpers.leaks import CANARY_TOKENS, assert_no_leak
from helpers.profiles import CANARY_ACCESS, ProfileBuilder, oauth_entry
from helpers.terminal_runs import checks_command, run_in_terminal

VERBOSE = ("-vv", "-l", "--tb=long", "-rA")
PROMPT = "test_prompt_answers_on_what_ships"
RENDER = "test_render_secret"
VALID = "test_credentials_hold_a_claude_max_session"
DRY_RUN_MARKER = "Secret (--dry-run: printed, not written)"

SUBSCRIPTION_CANARY = "CANARYsubscriptionSECRET"
SCOPE_CANARY = "sk-ant-oat01-CANARYscopeTOKEN0123456789abcdefXYZ"
KEY_CANARY = "sk-ant-oat01-CANARYkeyTOKEN0123456789abcdefXYZ"
PLANTED = (SUBSCRIPTION_CANARY, SCOPE_CANARY, KEY_CANARY)


def _session(p: ProfileBuilder) -> None:
    p.create()


def _with_credentials(content: dict):
    def build(p: ProfileBuilder) -> None:
        p.create()
        p.write_credentials(content)
    return build


# A gateway URL with credentials in every part a URL can carry them (shown without them, review 1.5).
BASE_URL = "https://CANARYuser:CANARYpassword@gw.example:8443/v1?api_key=CANARYkey#token=CANARY"

# name -> (profile, fake mode, extra args, the check that must fail (None: every check passes),
#          whether a Secret file is written[, extra environment])
CASES = {
    "success": (_session, "ok", (), None, True),
    "success, --dry-run": (_session, "ok", ("--dry-run",), None, False),
    "refresh with rotation": (_session, "rotate", (), None, True),
    "garbage with a Bearer token": (_session, "garbage", (), PROMPT, False),
    "garbage, --dry-run": (_session, "garbage", ("--dry-run",), PROMPT, False),
    "401 revoked": (_session, "401", (), PROMPT, False),
    "refresh fails": (_session, "refresh_fails", (), PROMPT, False),
    "CLI crash": (_session, "crash", (), PROMPT, False),
    "canary in subscriptionType": (lambda p: p.create(subscriptionType=SUBSCRIPTION_CANARY), "ok", (), VALID, False),
    "canary in scopes": (lambda p: p.create(scopes=["user:profile", SCOPE_CANARY]), "ok", (), VALID, False),
    "canary as the only top-level key": (_with_credentials({KEY_CANARY: oauth_entry()}), "ok", (), VALID, False),
    "canary as a top-level key beside the session, --dry-run": (
        _with_credentials({"claudeAiOauth": oauth_entry(), KEY_CANARY: {"accessToken": CANARY_ACCESS}}),
        "ok", ("--dry-run",), None, False),
    "base URL with credentials": (_session, "ok", (), None, True, {"ANTHROPIC_BASE_URL": BASE_URL}),
    "network down, base URL with credentials": (_session, "network", (), PROMPT, False,
                                                {"ANTHROPIC_BASE_URL": BASE_URL}),
}


def _printed_manifest(stdout: str) -> dict:
    """The Secret printed by --dry-run: the YAML document after the marker line."""
    assert stdout.count(DRY_RUN_MARKER) == 1
    lines = stdout.split(DRY_RUN_MARKER, 1)[1].split("\n")[1:]
    document = []
    for line in lines:
        if re.match(r"^[-=]{3,}", line) or (document and not line.strip()):
            break  # the next terminal section, or the end of the document
        document.append(line)
    manifest = yaml.safe_load("\n".join(document))
    assert isinstance(manifest, dict) and manifest.get("kind") == "Secret"
    return manifest


def _tokens_in(credentials: bytes) -> list[str]:
    """The token values of a credentials file (the fake mints new ones when it refreshes)."""
    oauth = json.loads(credentials).get("claudeAiOauth", {})
    return [v for v in (oauth.get("accessToken"), oauth.get("refreshToken")) if v]


@pytest.mark.parametrize("name", list(CASES))
def test_the_whole_suite_leaks_no_token(name, checks, profile, tmp_path):
    build, mode, args, failing, writes_secret, *extra = CASES[name]
    extra_env = extra[0] if extra else {}
    build(profile)
    fake = FakeClaude(tmp_path / "fake-bin").control(mode)
    secret = tmp_path / "deploy" / "secrets" / "claude.yaml"
    child_tmp = tmp_path / "child-tmp"
    child_tmp.mkdir()
    run = checks.run(f"--claude-config-dir={profile.dir}", f"--claude-bin={fake.bin}", f"--secret-out={secret}",
                     *args, *VERBOSE, timeout=180, inline=False,  # a child: every byte it writes is seen
                     env={**fake.env(), "CLAUDE_CONFIG_DIR": None, "ANTHROPIC_BASE_URL": None,
                          "TMPDIR": str(child_tmp), "TEMP": str(child_tmp), "TMP": str(child_tmp), **extra_env})

    # the run did what the case is about (so the leak check looks at a real failure or success)
    cases = run.testcases()
    assert cases, "no JUnit testcases"
    outcome = "(output withheld: it may leak)"
    if failing is None:
        assert run.ret == 0, outcome
        assert {c.outcome for c in cases.values()} <= {"passed", "skipped"}
    else:
        assert run.ret == 1, outcome
        assert cases[failing].outcome == "failed"
        assert cases[RENDER].outcome == "failed" and "The Secret was not rendered" in cases[RENDER].message
    assert_no_crash(run)
    if mode != "ok" and failing != VALID:
        assert fake.events("prompt"), "the test prompt ran"
    assert secret.exists() == writes_secret

    tokens = [*CANARY_TOKENS, *PLANTED]
    if writes_secret:  # what ships may hold tokens the fake minted: look for those too
        shipped = yaml.safe_load(secret.read_text(encoding="utf-8"))["data"]
        tokens += _tokens_in(base64.b64decode(shipped[".credentials.json"]))
    if mode == "rotate":
        assert tokens[-1] not in CANARY_TOKENS, "the refreshed tokens shipped"

    stdout = run.stdout
    if "--dry-run" in args and failing is None:
        manifest = _printed_manifest(stdout)
        files = {k: base64.b64decode(v) for k, v in manifest["data"].items()}
        session = json.loads(profile.credentials.read_bytes())["claudeAiOauth"]
        assert json.loads(files[".credentials.json"]) == {"claudeAiOauth": session}  # the real Secret...
        for value in manifest["data"].values():  # ...and the only place its base64 may be
            assert stdout.count(value) == 1
            stdout = stdout.replace(value, "<data>")
    assert_no_leak(stdout, "stdout", tokens)
    assert_no_leak(run.stderr, "stderr", tokens)
    for path in sorted(p for root in (run.out_dir, secret.parent.parent, child_tmp) for p in root.rglob("*")):
        if path.is_file() and path != secret:
            assert_no_leak(path.read_bytes().decode("utf-8", "replace"), f"the file {path.name}", tokens)
    assert not list(child_tmp.glob("claude-session-tokens-*")), "the prompt's copy of the session was removed"
    assert run.junit_path.exists() and run.summary_path.exists()
    if extra_env.get("ANTHROPIC_BASE_URL"):  # the URL is named, without what it carries
        assert "https://***@gw.example:8443/v1" in run.junit_path.read_text(encoding="utf-8")


LOGIN_ACCESS = "sk-ant-oat01-CANARYloginACCESS0123456789abcdefXYZ"
LOGIN_REFRESH = "sk-ant-ort01-CANARYloginREFRESH0123456789abcdefXYZ"


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals (pty) are POSIX-only")
def test_the_whole_suite_with_a_fresh_login_leaks_no_token(pytester, profile, tmp_path):
    """Review 1.1: the fresh login prints on the terminal and handles new tokens. The whole
    suite runs with ``--fresh-login`` on a pseudo-terminal (the code is typed when asked), the
    login hands out canary tokens, and neither the old nor the new ones may appear in what
    the terminal showed, junit.xml, summary.md or any other file the run wrote but the Secret."""
    profile.create()
    fake = FakeClaude(tmp_path / "fake-bin").control(
        login="restore", login_tokens={"accessToken": LOGIN_ACCESS, "refreshToken": LOGIN_REFRESH})
    out = tmp_path / "out"
    secret = tmp_path / "deploy" / "secrets" / "claude.yaml"
    cmd = checks_command(out, pytester.path / "basetemp-canary-login", f"--claude-config-dir={profile.dir}",
                         f"--claude-bin={fake.bin}", f"--secret-out={secret}", "--fresh-login", *VERBOSE)
    run = run_in_terminal(cmd, out, pytester.path, env={**fake.env(), "CLAUDE_CONFIG_DIR": None,
                                                        "ANTHROPIC_BASE_URL": None}, timeout=180)
    cases = run.testcases()
    assert cases["test_fresh_login"].outcome == "passed", "(output withheld: it may leak)"
    assert run.ret == 0, "(output withheld: it may leak)"
    assert [c["received"] for c in fake.events("login_code")] == [True]  # the login ran on the terminal
    assert "Login successful." in run.stdout and "FR-001  PASS" in run.stdout  # the whole run was on it
    shipped = json.loads(base64.b64decode(yaml.safe_load(secret.read_text(encoding="utf-8"))["data"]
                                          [".credentials.json"]))["claudeAiOauth"]
    assert shipped["refreshToken"] == LOGIN_REFRESH  # the Secret carries the login's tokens
    tokens = [*CANARY_TOKENS, LOGIN_ACCESS, LOGIN_REFRESH]
    assert_no_leak(run.stdout, "the terminal", tokens)
    assert run.junit_path.exists() and run.summary_path.exists()
    for path in sorted(p for root in (run.out_dir, secret.parent.parent) for p in root.rglob("*")):
        if path.is_file() and path != secret:
            assert_no_leak(path.read_bytes().decode("utf-8", "replace"), f"the file {path.name}", tokens)
