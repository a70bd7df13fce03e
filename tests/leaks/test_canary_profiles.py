"""No token leaks, whatever the profile and however verbose the run.

Profiles carry the canary tokens of helpers/profiles.py. Each run uses ``-vv -l --tb=long -rA``
(the most pytest can show: every local, long tracebacks, every outcome's captured output), and
the canaries (and their base64 at every alignment) must be in no output and no report:
stdout, stderr, junit.xml, summary.md. The odd inputs double as proof that the plugin never
crashes (no INTERNALERROR, no traceback) whatever the files hold.
"""

from __future__ import annotations

import base64
import json
import os

import pytest
from helpers.foundation import FOUNDATION_FILES, ORDER, assert_no_crash, case, outcomes
from helpers.leaks import assert_no_leak, leak_needles, leaked
from helpers.profiles import (
    CANARY_ACCESS,
    CANARY_MARKER,
    CANARY_REFRESH,
    ProfileBuilder,
    oauth_entry,
)

import claude_session_tokens.session.credentials as credentials_module

VERBOSE = ("-vv", "-l", "--tb=long", "-rA")
# Canaries where no token belongs: a hand-edited file can hold a token anywhere (review 1.1).
SUBSCRIPTION_CANARY = "CANARYsubscriptionSECRET"
SCOPE_CANARY = "sk-ant-oat01-CANARYscopeTOKEN0123456789abcdefXYZ"
KEY_CANARY = "sk-ant-oat01-CANARYkeyTOKEN0123456789abcdefXYZ"
PLANTED = (CANARY_ACCESS, CANARY_REFRESH, SUBSCRIPTION_CANARY, SCOPE_CANARY, KEY_CANARY)


@pytest.mark.parametrize("prefix", [b'{"a":"', b'{"ab":"', b'{"abc":"'])
def test_leak_needles_find_a_leak(prefix):
    """The base64 needles really match a Secret's encoding of a file holding the token, at each alignment."""
    encoded = base64.b64encode(prefix + CANARY_ACCESS.encode() + b'"}').decode()
    assert any(n in encoded for n in leak_needles()[3:])
    assert leaked(encoded) == ["base64 of token #0"]
    assert leaked(encoded.replace("+", "-").replace("/", "_")) == ["base64 of token #0"]
    assert leaked(f"x{CANARY_REFRESH}x") == ["the canary marker", "token #1"]
    assert leaked("nothing here") == []


def _profile_with(content):
    def build(p: ProfileBuilder) -> None:
        p.create()
        p.write_credentials(content)
    return build


def _odd_directory(p: ProfileBuilder) -> None:
    """A config dir full of things a listing can trip over."""
    p.create()
    (p.dir / os.fsdecode(b"bad-\xff\xfe-name")).write_bytes(b"x")
    (p.dir / "new\nline.json").write_text("{}")
    (p.dir / "dangling").symlink_to(p.dir / "nowhere")
    (p.dir / "loop").symlink_to(p.dir / "loop")
    os.mkfifo(p.dir / "fifo")
    (p.dir / "statsig").mkdir()
    (p.dir / "statsig" / "closed").mkdir(mode=0)  # counted as unreadable when modes apply


def _credentials_symlink_loop(p: ProfileBuilder) -> None:
    p.create()
    p.credentials.unlink()
    p.credentials.symlink_to(p.credentials)


GOOD = oauth_entry()
# name -> (build, exit code, the check that must fail (None: all pass), text its message must contain)
PROFILES = {
    "valid session": (lambda p: p.create(), 0, None, ""),
    "not a max subscription": (lambda p: p.create(subscriptionType="pro"), 1, "valid",
                               'subscriptionType is "pro", expected "max"'),
    "api key in accessToken": (lambda p: p.create(accessToken="sk-ant-api03-CANARYaccessTOKEN0123456789abcdefXYZ"),
                               1, "valid", "accessToken has the shape of an API key"),
    "truncated JSON holding the tokens": (
        _profile_with(b'{"claudeAiOauth":{"accessToken":"' + CANARY_ACCESS.encode() + b'","refreshToken":"'
                      + CANARY_REFRESH.encode()), 1, "valid", "is not valid JSON"),
    "tokens outside claudeAiOauth": (
        _profile_with({"accessToken": CANARY_ACCESS, "refreshToken": CANARY_REFRESH}), 1, "valid",
        'there is no "claudeAiOauth" entry (top-level keys: accessToken, refreshToken)'),
    "binary garbage": (_profile_with(bytes(range(256)) * 8 + CANARY_ACCESS.encode()), 1, "valid",
                       "is not UTF-8 text (bad byte at offset 128)"),
    "non-UTF-8 inside a token": (
        _profile_with(b'{"claudeAiOauth":{"accessToken":"' + CANARY_ACCESS.encode() + b'\xff\xfe"}}'),
        1, "valid", "is not UTF-8 text"),
    "UTF-16 from a Windows editor": (
        _profile_with(json.dumps({"claudeAiOauth": GOOD}).encode("utf-16")),
        1, "valid", "is not UTF-8 text (bad byte at offset 0)"),
    "UTF-8 byte-order mark": (
        _profile_with(b"\xef\xbb\xbf" + ('{"claudeAiOauth":{"accessToken":"' + CANARY_ACCESS + '"}}').encode()),
        1, "valid", "starts with a byte-order mark"),
    "NUL bytes": (_profile_with(b"\0" * 64 + CANARY_REFRESH.encode()), 1, "valid", "is not valid JSON"),
    "huge JSON nesting": (_profile_with(b'{"claudeAiOauth":' + b"[" * 200_000 + CANARY_ACCESS.encode()),
                          1, "valid", "is nested too deeply"),
    "credentials larger than a Secret": (
        _profile_with(b'{"claudeAiOauth":{"accessToken":"' + CANARY_ACCESS.encode() * 40_000 + b'"}}'),
        1, "readable", "is larger than 1048576 bytes (1 MiB)"),
    "credentials symlink loop": (_credentials_symlink_loop, 1, "present",
                                 "cannot be looked at by the current user (Too many levels of symbolic links)"),
    "odd entries in the session directory": (_odd_directory, 0, None, ""),
    "canary in subscriptionType": (lambda p: p.create(subscriptionType=SUBSCRIPTION_CANARY), 1, "valid",
                                   f'subscriptionType is a {len(SUBSCRIPTION_CANARY)}-character string, expected "max"'),
    "canary in scopes": (lambda p: p.create(scopes=["user:profile", SCOPE_CANARY]), 1, "valid",
                         f'scopes lack "user:inference" (found: user:profile, a {len(SCOPE_CANARY)}-character string)'),
    "canary as the only top-level key": (
        _profile_with({KEY_CANARY: GOOD}), 1, "valid",
        f'there is no "claudeAiOauth" entry (top-level keys: a {len(KEY_CANARY)}-character string)'),
    "canary as a top-level key beside the session": (
        _profile_with({"claudeAiOauth": GOOD, KEY_CANARY: {"accessToken": CANARY_ACCESS}}), 0, None, ""),
}


POSIX_ONLY = {"credentials symlink loop", "odd entries in the session directory"}


@pytest.mark.parametrize("name", list(PROFILES))
def test_no_token_in_any_output_or_report(name, checks, profile, tmp_path):
    if os.name == "nt" and name in POSIX_ONLY:
        pytest.skip("FIFOs, symlink loops and undecodable names are POSIX file-system cases")
    build, exit_code, failing, text = PROFILES[name]
    build(profile)
    run = checks.run(f"--claude-config-dir={profile.dir}", f"--secret-out={tmp_path / 'secret.yaml'}", *VERBOSE,
                     paths=FOUNDATION_FILES, env={"CLAUDE_CONFIG_DIR": None},
                     inline=False)  # a child: every byte it writes, up to its interpreter's exit, is seen
    assert run.ret == exit_code, run.output if CANARY_MARKER not in run.output else "(output withheld: it leaks)"
    assert_no_crash(run)
    assert_no_leak(run.every_text(), tokens=PLANTED)
    assert run.junit_path.exists() and run.summary_path.exists()  # the reports were written, and checked
    if failing is None:
        assert outcomes(run) == {c: "passed" for c in ORDER}
    else:
        assert outcomes(run)[failing] == "failed"
        assert text in case(run, failing).message
        assert case(run, failing).prop("remedy")


def test_a_bug_holding_a_token_leaks_nothing(checks, profile, monkeypatch):
    """A check that crashes with a token in its exception and its locals: the plugin withholds both."""
    def buggy_session_problems(session, expected):
        access = session.access_token.reveal()  # a local holding the raw token, shown by -l
        raise ValueError(f"bad token {access}")

    monkeypatch.setattr(credentials_module, "session_problems", buggy_session_problems)
    profile.create()
    run = checks.run(f"--claude-config-dir={profile.dir}", *VERBOSE, paths=FOUNDATION_FILES,
                     env={"CLAUDE_CONFIG_DIR": None}, inline=True)
    assert run.ret == 1
    assert_no_leak(run.every_text())
    valid = case(run, "valid")
    assert valid.outcome == "failed"
    assert "The check stopped on an unexpected ValueError." in valid.message
    assert "Traceback" not in run.output and "INTERNALERROR" not in run.output
