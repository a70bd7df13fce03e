"""Nothing that may hold a token is shown: file values, raw CLI output, the manifest: no token is ever shown.

Review 1.1, 1.2, 1.3, 1.5: values from the credentials file only when provably harmless; the
repr of objects holding raw CLI output or the manifest; masking before shortening; URLs
without query or fragment.
"""

from __future__ import annotations

import base64
from datetime import datetime, timezone
from pathlib import Path

import pytest
from helpers.profiles import CANARY_ACCESS, CANARY_MARKER, CANARY_REFRESH

from claude_session_tokens.claude import child_env
from claude_session_tokens.claude.processes import Completed
from claude_session_tokens.claude.prompt import SHOWN_CHARS, PromptRun, judge, redact
from claude_session_tokens.core.masked import Masked
from claude_session_tokens.core.shown_values import (
    described,
    is_harmless,
    shown,
    shown_list,
)
from claude_session_tokens.k8s.manifest import SecretInfo
from claude_session_tokens.k8s.render import RenderResult


@pytest.mark.parametrize("value", ["max", "pro", "team", "enterprise", "user:inference", "user:profile",
                                   "user:sessions:claude_code", "org:create_api_key", "default_claude_max_20x",
                                   "mcpOAuth", "pluginSecrets", "accessToken"])
def test_plain_names_and_known_field_names_are_shown(value):
    assert is_harmless(value)
    assert shown(value) == f'"{value}"' and shown(value, quote=False) == value


@pytest.mark.parametrize("value", [
    CANARY_ACCESS, CANARY_REFRESH, "sk-ant-oat01-x", "sk-ant", "CANARY", "Max", "",
    "0f3a9c2e7b1d4f6a8c0e2b4d6f8a1c3e",  # lower-case hex
    "abcdefghijklmnopq",  # one part longer than 16 characters
    "a1b2c3d4e5",  # more than 4 digits
    "a" * 33, "max\n", "max ", "ma\u00efx", "max\u200b", "1max", "-max", '"max"', "mcpoauth ",
])
def test_anything_else_is_described_by_type_and_length(value):
    assert not is_harmless(value)
    assert shown(value) == described(value)
    if value:
        assert value not in shown(value)


@pytest.mark.parametrize("value, text", [
    ("CANARYsubscriptionSECRET", "a 24-character string"), ("", "an empty string"), (None, "null"),
    (True, "a boolean"), (3, "a number"), (1.5, "a number"), ([1, 2], "an array of 2 items"),
    (["x"], "an array of 1 item"), ({"a": 1}, "an object with 1 key"), ({}, "an object with 0 keys"),
])
def test_described_names_only_type_and_size(value, text):
    assert described(value) == text and shown(value) == text


def test_shown_list():
    assert shown_list([]) == "none"
    assert shown_list(["user:profile", CANARY_ACCESS]) == f"user:profile, a {len(CANARY_ACCESS)}-character string"
    assert shown_list(["mcpOAuth"], quote=True) == '"mcpOAuth"'


# --- repr of objects holding raw output or the manifest (review 1.2) --------------------------

def _completed(out: str = f"Authorization: Bearer {CANARY_ACCESS}", err: str = CANARY_REFRESH) -> Completed:
    return Completed(("claude", "-p", "hi"), 0, out, err, 1.25, False)


def test_completed_repr_hides_the_output():
    completed = _completed()
    assert CANARY_MARKER not in repr(completed) and CANARY_MARKER not in str(completed)
    assert "returncode=0" in repr(completed) and "seconds=1.25" in repr(completed)
    assert completed.stdout.endswith(CANARY_ACCESS)  # the data itself is still there for judging


def test_prompt_run_repr_hides_output_and_url():
    run = PromptRun(_completed(), Masked(CANARY_ACCESS.encode()), ("ANTHROPIC_API_KEY",),
                    f"https://u:{CANARY_MARKER}pw@gw.example/?key={CANARY_MARKER}", None)
    assert CANARY_MARKER not in repr(run) and CANARY_MARKER not in str(run)
    assert "ANTHROPIC_API_KEY" in repr(run)


def test_render_result_repr_hides_the_manifest():
    text = "data:\n  .credentials.json: " + base64.b64encode(CANARY_ACCESS.encode()).decode() + "\n"
    info = SecretInfo(captured_at=datetime.now(timezone.utc), access_token_expires_at_ms=1,
                      sign_in_expires_at_ms=None, cli_version=None, fingerprint="0" * 12)
    result = RenderResult(text=text, name="claude-session", namespace="agents", fmt="yaml", sizes={"a": 1},
                          info=info, kubernetes_version="1.30", path=Path("secret.yaml"))
    encoded = base64.b64encode(CANARY_ACCESS.encode()).decode()
    for shown_text in (repr(result), str(result)):
        assert CANARY_MARKER not in shown_text and encoded not in shown_text and "data:" not in shown_text
    assert "claude-session" in repr(result)


# --- redaction masks before it shortens (review 1.3) -----------------------------------------

def test_a_secret_cut_at_the_shown_length_is_still_masked():
    """A non-sk-ant secret (e.g. an mcpOAuth token kept with --keep-credential-keys) that straddles
    the cut: masking the shortened text would leave its prefix in the report."""
    secret = "mcp-" + "Q" * 40 + "CANARYtail"
    pad = "x" * (SHOWN_CHARS - 40)  # the JSON text reaches the cut inside the secret
    said = judge(Completed(("claude",), 1, '{"type":"result","is_error":true,"result":{"detail":"'
                           + pad + secret + '"}}', "", 0.5, False), 10, [Masked(secret)]).finding.message()
    assert "QQQQ" not in said and "mcp-" not in said
    text = redact(pad + secret, [Masked(secret)])
    assert "QQQQ" not in text and "mcp-" not in text


# --- URLs without query and fragment (review 1.5) --------------------------------------------

@pytest.mark.parametrize("url, expected", [
    ("https://gw.example/v1?api_key=CANARYkey", "https://gw.example/v1"),
    ("https://gw.example/v1#token=CANARYfrag", "https://gw.example/v1"),
    ("https://me:CANARYpw@gw.example:8443/v1?token=CANARY#x",
     "https://***@gw.example:8443/v1"),
    ("https://gw.example/v1", "https://gw.example/v1"),
    ("http://h:99999999/", "(unparsable URL)"),
    ("http://[::1", "(unparsable URL)"),
    # a proxy without a scheme (curl reads it as http://): before, shown with its password
    ("proxyuser:CANARYpw@proxy.corp:3128", "***@proxy.corp:3128"),
    ("proxy.corp:3128", "proxy.corp:3128"),
    ("http://u:CANARYpw@[::1]:8080/x", "http://***@[::1]:8080/x"),  # the IPv6 host keeps its brackets
    ("http://u:p@ss:CANARY@proxy:3128", "http://***@proxy:3128"),
])
def test_shown_url_drops_credentials_query_and_fragment(url, expected):
    assert child_env.shown_url(url) == expected
    assert CANARY_MARKER not in child_env.shown_url(url)


def test_a_401_through_a_scheme_less_proxy_names_it_without_its_password():
    from claude_session_tokens.claude.prompt import intermediaries

    via = intermediaries({"HTTPS_PROXY": "proxyuser:CANARYpw@proxy.corp:3128"})
    assert via == (("HTTPS_PROXY", "***@proxy.corp:3128"),)
    said = judge(Completed(("claude",), 1, '{"type":"result","is_error":true,"api_error_status":401,'
                           '"result":"401"}', "", 0.5, False), 10, via=via).finding
    assert CANARY_MARKER not in said.message() and "proxyuser" not in said.message()
    assert "curl -sI proxy.corp:3128" in str(said.remedy)
