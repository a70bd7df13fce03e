"""Parsing and judging .credentials.json without ever showing a token (docs/claude-cli-facts.md, The credentials file)."""

from __future__ import annotations

import json

import pytest
from helpers.profiles import (
    CANARY_ACCESS,
    CANARY_MARKER,
    CANARY_REFRESH,
    DROP,
    now_ms,
    oauth_entry,
)

from claude_session_tokens.core.findings import FindingError
from claude_session_tokens.core.masked import Masked
from claude_session_tokens.session.credentials import (
    RELOGIN,
    form_warnings,
    load_json_object,
    parse_credentials,
    session_problems,
    token_shape_warning,
)


def blob(content) -> Masked[bytes]:
    return Masked(content if isinstance(content, bytes) else json.dumps(content).encode())


def finding_of(content):
    with pytest.raises(FindingError) as info:
        parse_credentials(blob(content))
    finding = info.value.finding
    assert CANARY_MARKER not in finding.message()  # no message ever quotes the file
    assert CANARY_MARKER not in str(info.value)
    assert finding.remedy == str(RELOGIN) == "claude auth logout && claude auth login"
    return finding


def test_a_valid_session_is_parsed_with_tokens_masked():
    expires = now_ms() + 3_600_000
    session = parse_credentials(blob({"claudeAiOauth": oauth_entry(expiresAt=expires), "mcpOAuth": {}}))
    assert session.access_token == Masked(CANARY_ACCESS)
    assert session.refresh_token == Masked(CANARY_REFRESH)
    assert session.expires_at_ms == expires
    assert "user:inference" in session.scopes
    assert session.subscription_type == "max"
    assert session.other_keys == ("mcpOAuth",)
    assert session.fingerprint == Masked(CANARY_REFRESH).fingerprint()
    assert CANARY_MARKER not in repr(session)
    assert session_problems(session, "max") == []
    assert token_shape_warning(session) is None


@pytest.mark.parametrize("content, cause", [
    (b"", ".credentials.json is not valid JSON (Expecting value at line 1, column 1)."),
    (b"{", ".credentials.json is not valid JSON ("),
    (b"null", ".credentials.json holds a JSON null, not an object."),
    (b"[]", ".credentials.json holds a JSON array, not an object."),
    (b'"' + CANARY_ACCESS.encode() + b'"', ".credentials.json holds a JSON string, not an object."),
    (b"42", ".credentials.json holds a JSON number, not an object."),
    (b"{}", 'there is no "claudeAiOauth" entry (top-level keys: none).'),
    (b'{"claudeAiOauth": null}', 'there is no "claudeAiOauth" entry'),
    (b'{"claudeAiOauth": []}', '"claudeAiOauth" is a JSON array, not an object.'),
    (b"\xff\xfe{}", ".credentials.json is not UTF-8 text (bad byte at offset 0)."),
    (b"\xef\xbb\xbf{}", ".credentials.json starts with a byte-order mark"),
    (b"[" * 100_000, ".credentials.json is nested too deeply to be a credentials file."),
    (b'{"a": "' + CANARY_ACCESS.encode() + b'" "b"}', ".credentials.json is not valid JSON ("),
])
def test_malformed_files(content, cause):
    assert cause in finding_of(content).cause


@pytest.mark.parametrize("overrides, detail", [
    ({"accessToken": DROP}, "accessToken is missing"),
    ({"refreshToken": None}, "refreshToken is a null, expected a string"),
    ({"accessToken": 7}, "accessToken is a number, expected a string"),
    ({"scopes": DROP}, "scopes is missing"),
    ({"scopes": 5}, "scopes is a number, expected an array of strings"),
    ({"accessToken": "sk-ant-oat01-\ud800x"}, "accessToken holds a lone surrogate escape"),
    ({"subscriptionType": 3}, "subscriptionType is a number, expected a string or null"),
])
def test_wrong_field_types(overrides, detail):
    finding = finding_of({"claudeAiOauth": oauth_entry(**overrides)})
    assert finding.cause.endswith("some fields have the wrong type.")
    assert any(detail in line for line in finding.details), finding.details


def problems(**overrides) -> list[str]:
    return session_problems(parse_credentials(blob({"claudeAiOauth": oauth_entry(**overrides)})), "max")


@pytest.mark.parametrize("overrides, fragment", [
    ({"accessToken": ""}, "accessToken is empty"),
    ({"accessToken": "sk-ant-api03-" + "x" * 40}, "accessToken has the shape of an API key"),
    ({"accessToken": "sk-ant-admin01-" + "x" * 40}, "accessToken has the shape of an API key"),
    ({"refreshToken": ""}, "refreshToken is empty: the CLI wipes it when a login has died"),
    ({"expiresAt": 0}, "expiresAt is 0: the CLI sets 0 when it wipes a dead login"),
    ({"expiresAt": 1_767_225_600}, "which looks like seconds"),
    ({"scopes": ["user:profile"]}, 'scopes lack "user:inference" (found: user:profile)'),
    ({"scopes": []}, 'scopes lack "user:inference" (found: none)'),
    ({"subscriptionType": "pro"}, 'subscriptionType is "pro", expected "max"'),
    ({"expiresAt": True}, "expiresAt is 1, which looks like seconds"),  # Number(true) is 1 for the CLI
])
def test_unusable_sessions(overrides, fragment):
    found = problems(**overrides)
    assert len(found) == 1 and fragment in found[0]
    assert CANARY_MARKER not in found[0]


def test_the_wiped_dead_login_reports_every_sign():
    found = problems(accessToken="", refreshToken="", expiresAt=0)
    assert [p.split(" ")[0] for p in found] == ["accessToken", "refreshToken", "expiresAt"]


def test_another_expected_subscription():
    session = parse_credentials(blob({"claudeAiOauth": oauth_entry(subscriptionType="team")}))
    assert session_problems(session, "team") == []
    assert 'expected "max"' in session_problems(session, "max")[0]
    assert "--expected-subscription team" in session_problems(session, "max")[0]


def test_unusual_token_shape_is_only_a_note():
    session = parse_credentials(blob({"claudeAiOauth": oauth_entry(accessToken="opaque-token-of-a-new-format")}))
    assert session_problems(session, "max") == []
    note = token_shape_warning(session)
    assert note and "usual sk-ant-oat" in note and "opaque" not in note


def test_load_json_object_names_what_it_reads():
    with pytest.raises(FindingError) as info:
        load_json_object(Masked(b"[]"), "the global config")
    assert "the global config holds a JSON array" in info.value.finding.cause


# --- values taken from the file are shown only when provably harmless (review 1.1) -------------

LOWER_SECRET = "0f3a9c2e7b1d4f6a8c0e2b4d6f8a1c3e"  # a lower-case hex secret: fits the plain-name regex


@pytest.mark.parametrize("planted", [CANARY_ACCESS, "CANARYsubscriptionSECRET", LOWER_SECRET,
                                     "sk-ant-oat01-short", "canarysubscriptionsecretvalue"])
def test_a_secret_in_subscription_type_is_described_never_quoted(planted):
    found = problems(subscriptionType=planted)
    assert len(found) == 1
    assert planted not in found[0] and CANARY_MARKER not in found[0] and "canary" not in found[0]
    assert f"subscriptionType is a {len(planted)}-character string, expected \"max\"" in found[0]
    assert "--expected-subscription with the intended value" in found[0]  # no command that quotes it


def test_a_secret_in_the_scopes_is_described_never_quoted():
    found = problems(scopes=["user:profile", CANARY_REFRESH, LOWER_SECRET])
    assert len(found) == 1 and CANARY_MARKER not in found[0] and LOWER_SECRET not in found[0]
    assert (f'scopes lack "user:inference" (found: user:profile, a {len(CANARY_REFRESH)}-character string, '
            f"a {len(LOWER_SECRET)}-character string)") in found[0]


def test_a_secret_as_a_top_level_key_is_described_never_quoted():
    finding = finding_of({CANARY_ACCESS: {"accessToken": "x"}, "mcpOAuth": {}, LOWER_SECRET: 1})
    assert LOWER_SECRET not in finding.message()
    assert (f'(top-level keys: a {len(LOWER_SECRET)}-character string, mcpOAuth, '
            f"a {len(CANARY_ACCESS)}-character string)") in finding.cause


def test_a_null_subscription_is_a_warning_that_suggests_no_option_that_cannot_match():
    # the pinned CLI signs in without subscriptionType (docs/cli-credentials-forms.md): a warning, not a failure
    assert problems(subscriptionType=None) == []
    session = parse_credentials(blob({"claudeAiOauth": oauth_entry(subscriptionType=None)}))
    warned = " ".join(w.message() for w in form_warnings(session, "max"))
    assert "cannot confirm the plan" in warned
    assert "--expected-subscription null" not in warned  # "null" the string would never equal JSON null
