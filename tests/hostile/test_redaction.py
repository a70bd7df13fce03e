"""Secrets in the CLI's own words are masked on the raw bytes: URL passwords, broken tokens, key fragments.

Unit cases of ``redaction.redact``, then the whole path: the fake ``claude`` writes a hostile
message (raw bytes, an invalid byte inside a token) and the terminal, the JUnit XML and
summary.md must show its words without any canary.
"""

from __future__ import annotations

import pytest
from helpers.fake_claude import FakeClaude
from helpers.leaks import assert_no_leak
from helpers.profiles import CANARY_ACCESS, CANARY_MARKER, CANARY_REFRESH

from claude_session_tokens.core.masked import Masked
from claude_session_tokens.core.redaction import FRAGMENT, environment_secrets, redact

API_KEY = "sk-ant-api03-CANARYenvKEY0123456789abcdefghijklmnop"
PROXY = "http://proxyuser:CANARYproxyPW@127.0.0.1:9"
BASE_URL = "https://me:CANARYbasepw@gw.example:8443/v1"


def _broken(token: str, at: int = 13) -> bytes:
    """``token`` with one invalid UTF-8 byte inside (after ``sk-ant-oat01-`` by default)."""
    return token[:at].encode() + b"\xff" + token[at:].encode()


def _fragments(token: str) -> list[str]:
    return [token[i:i + FRAGMENT] for i in range(len(token) - FRAGMENT + 1)]


# --- the function ----------------------------------------------------------------------------

@pytest.mark.parametrize("said, shown", [
    (b"connect to https://me:CANARYpw@gw.example:8443/v1 failed", "connect to https://***@gw.example:8443/v1 failed"),
    (b"proxy http://u:p@ss:CANARY@proxy:3128 refused", "proxy http://***@proxy:3128 refused"),
    (b"wss://CANARYtoken@stream.example/x", "wss://***@stream.example/x"),
    (b"see https://docs.example/a@b", "see https://docs.example/a@b"),  # an @ in the path is no user info
])
def test_every_urls_user_info_is_masked_even_unknown(said, shown):
    assert redact(said) == shown


@pytest.mark.parametrize("at", [13, 20, len(CANARY_ACCESS) - 5])
def test_a_known_token_with_an_invalid_byte_inside_shows_no_fragment(at):
    text = redact(b"echo: " + _broken(CANARY_ACCESS, at) + b" end", [Masked(CANARY_ACCESS)])
    assert not any(fragment in text for fragment in _fragments(CANARY_ACCESS)), text
    assert text.startswith("echo: ") and text.endswith(" end")


def test_an_unknown_token_shape_with_an_invalid_byte_inside_is_masked_whole():
    text = redact(b"token=" + _broken(CANARY_REFRESH) + b" next")
    assert CANARY_MARKER not in text and text == "token=sk-ant-*** next"


def test_a_fragment_of_a_key_from_the_environment_is_masked():
    known = environment_secrets({"ANTHROPIC_API_KEY": API_KEY, "PATH": "/usr/bin"})
    assert len(known) == 1
    piece = API_KEY[10:40]  # not token-shaped any more: only the fragment rule catches it
    assert CANARY_MARKER in piece and not piece.startswith("sk-ant-")
    assert CANARY_MARKER not in redact(f"invalid x-api-key '{piece}'".encode(), known)
    short = API_KEY[30:30 + FRAGMENT - 1]  # shorter than a fragment: left as it is
    assert short in redact(f"near {short}!".encode(), known)


def test_proxy_and_base_url_passwords_are_known_secrets_on_their_own():
    known = environment_secrets({"HTTPS_PROXY": PROXY, "ANTHROPIC_BASE_URL": BASE_URL})
    text = redact(b"auth failed for proxyuser with CANARYproxyPW; basic CANARYbasepw", known)
    assert CANARY_MARKER not in text and "proxyuser" not in text
    assert text.startswith("auth failed for ***")


def test_the_text_is_masked_before_it_is_shortened():
    text = redact(b"x" * 290 + CANARY_ACCESS.encode(), [Masked(CANARY_ACCESS)])
    assert "sk-ant" in text or "***" in text
    assert not any(fragment in text for fragment in _fragments(CANARY_ACCESS))


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be", "utf-16"])
def test_a_token_in_utf16_is_masked_known_or_not(encoding):
    """Before: a NUL beside every character hid the token from every rule, and the text showed
    it whole with a "?" between its characters."""
    said = f"echo: {CANARY_ACCESS} end".encode(encoding)
    for known in ([Masked(CANARY_ACCESS)], []):
        text = redact(said, known).replace("?", "").replace("\ufffd", "")
        assert CANARY_MARKER not in text, (encoding, known != [])
    piece = CANARY_ACCESS[15:45].encode(encoding)  # no longer token-shaped: the known fragment
    text = redact(b"near " + piece, [Masked(CANARY_ACCESS)]).replace("?", "")
    assert CANARY_MARKER not in text and "near" in text


def test_a_basic_authorization_header_is_masked():
    """Before: the base64 user:password of a Proxy-Authorization header was shown as it was."""
    import base64

    header = b"Proxy-Authorization: Basic " + base64.b64encode(b"proxyuser:CANARYproxyPW")
    assert redact(header + b"\r\n407") == "Proxy-Authorization: Basic ***?\n407"
    assert redact(b"basic auth is not supported") == "basic auth is not supported"


# --- the whole path: terminal, JUnit, summary.md ------------------------------------------------

def test_a_hostile_cli_message_reaches_no_output_or_report_with_a_secret(checks, profile, tmp_path):
    profile.create()
    message = (b"Error: connect ECONNREFUSED via " + BASE_URL.encode() + b" and " + PROXY.encode()
               + b"; token " + _broken(CANARY_ACCESS) + b"; key " + API_KEY[10:40].encode()
               + b"; refresh " + _broken(CANARY_REFRESH, 30) + b"\n")
    fake = FakeClaude(tmp_path / "fake-bin").control("say", stdout_hex=message.hex(), exit=1)
    run = checks.run(f"--claude-config-dir={profile.dir}", f"--claude-bin={fake.bin}", "-vv", "-l", "--tb=long",
                     paths=("test_40_test_prompt.py",),
                     env={**fake.env(), "ANTHROPIC_API_KEY": API_KEY, "HTTPS_PROXY": PROXY,
                          "ANTHROPIC_BASE_URL": BASE_URL, "CLAUDE_CONFIG_DIR": None})
    case = run.testcases()["test_prompt_answers_on_what_ships"]
    assert case.outcome == "failed"
    assert "the CLI said: Error: connect ECONNREFUSED via https://***@gw.example:8443/v1 and http://***@127.0.0.1:9" \
        in case.message, case.message
    tokens = (CANARY_ACCESS, CANARY_REFRESH, API_KEY)
    assert_no_leak(run.output, "the terminal", tokens)
    assert_no_leak(run.junit_path.read_text(encoding="utf-8"), "junit.xml", tokens)
    assert_no_leak(run.summary_path.read_text(encoding="utf-8"), "summary.md", tokens)
    for secret in ("proxyuser", "CANARYproxyPW", "CANARYbasepw", "me:"):
        assert secret not in run.every_text()


def test_the_version_line_is_masked_where_it_is_quoted(checks, profile, tmp_path):
    profile.create()
    version = f"2.1.332 via {BASE_URL} {API_KEY[5:35]}"
    fake = FakeClaude(tmp_path / "fake-bin").control("old", version=version)  # no 'claude auth': the line is quoted
    run = checks.run(f"--claude-config-dir={profile.dir}", f"--claude-bin={fake.bin}",
                     paths=("test_20_claude_cli.py",), env={**fake.env(), "ANTHROPIC_API_KEY": API_KEY})
    case = run.testcases()["test_claude_cli_can_log_out_and_in"]
    assert case.outcome == "failed"
    assert "2.1.332 via https://***@gw.example:8443/v1 ***" in case.message, case.message
    assert_no_leak(run.every_text(), "the output or a report", (CANARY_ACCESS, API_KEY))
