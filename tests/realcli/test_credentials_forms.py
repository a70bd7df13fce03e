"""The checks judge a credentials file the way the pinned ``claude`` CLI reads it.

For each unusual form of ``.credentials.json`` the real CLI (node_modules, offline against
helpers/messages_api.py) runs ``claude -p``: it either answers with the profile's access token
("accepted") or says "Not logged in" without calling the API ("refused"). The checks' verdict
on the same bytes (parse, session problems, lifetime) must be the same. The facts are written
down in docs/cli-credentials-forms.md; this file is their proof. Likewise for
``CLAUDE_CONFIG_DIR`` set to "" or to an unexpanded "~/.claude": the CLI then uses another
profile than ~/.claude, and the checks refuse instead of verifying ~/.claude.
"""

from __future__ import annotations

import json
import subprocess

import pytest
from helpers.leaks import digests
from helpers.messages_api import MessagesAPI
from helpers.profiles import CANARY_ACCESS, DROP, HOUR_MS, ProfileBuilder, oauth_entry
from helpers.real_cli import clean_environment, offline, real_claude, run_prompt

from claude_session_tokens.core.findings import FindingError
from claude_session_tokens.core.masked import Masked
from claude_session_tokens.k8s.payload import credentials_to_ship
from claude_session_tokens.session.credentials import (
    form_warnings,
    parse_credentials,
    session_problems,
)
from claude_session_tokens.session.discovery import discover
from claude_session_tokens.session.lifetime import assess, now_ms

pytestmark = pytest.mark.realcli

OTHER_ACCESS = "sk-ant-oat01-CANARYotherACCESS0123456789abcdefXYZ"


def with_raw(field: str, raw: str, **overrides) -> bytes:
    """A credentials file whose ``field`` is the raw JSON text ``raw`` (NaN, 1e400, "\\ud800" ...)."""
    text = json.dumps({"claudeAiOauth": oauth_entry(**{field: "@@RAW@@"}, **overrides)})
    return text.replace('"@@RAW@@"', raw).encode()


def plain(**overrides) -> bytes:
    return json.dumps({"claudeAiOauth": oauth_entry(**overrides)}).encode()


IN_8_H = now_ms() + 8 * HOUR_MS
FORMS = {  # name: (bytes, what the pinned CLI does)
    "expiresAt with a fraction": (plain(expiresAt=IN_8_H + 0.5), "accepted"),
    "expiresAt as a numeric string": (plain(expiresAt=str(IN_8_H)), "accepted"),
    "expiresAt a string that is no number": (plain(expiresAt="tomorrow"), "accepted"),
    "expiresAt missing": (plain(expiresAt=DROP), "accepted"),
    "expiresAt null": (plain(expiresAt=None), "accepted"),
    "expiresAt 1e400": (with_raw("expiresAt", "1e400"), "accepted"),
    "expiresAt 400 digits": (with_raw("expiresAt", "9" * 400), "accepted"),
    "expiresAt NaN": (with_raw("expiresAt", "NaN"), "refused"),
    "expiresAt Infinity": (with_raw("expiresAt", "Infinity"), "refused"),
    "NaN in a field the checks do not judge": (with_raw("rateLimitTier", "NaN"), "refused"),
    "Infinity in a field the checks do not judge": (with_raw("rateLimitTier", "Infinity"), "refused"),
    "NaN in another top-level entry": (
        json.dumps({"claudeAiOauth": oauth_entry(), "mcpOAuth": "@@"}).replace('"@@"', "NaN").encode(), "refused"),
    "scopes as one string": (plain(scopes="user:inference user:profile"), "accepted"),
    "scopes as one string, comma-separated": (plain(scopes="user:profile,user:inference"), "accepted"),
    "scopes as one string without user:inference": (plain(scopes="user:profile"), "refused"),
    "scopes an array with a number in it": (plain(scopes=["user:inference", 5]), "accepted"),
    "scopes missing": (plain(scopes=DROP), "refused"),
    "subscriptionType missing": (plain(subscriptionType=DROP), "accepted"),
    "subscriptionType null": (plain(subscriptionType=None), "accepted"),
    "lone surrogate in the access token": (
        with_raw("accessToken", json.dumps(CANARY_ACCESS).replace("CANARY", "CANARY\\ud800")), "refused"),
    "lone surrogate in a field the checks do not judge": (with_raw("rateLimitTier", '"\\ud800"'), "accepted"),
    "refreshTokenExpiresAt a string": (plain(refreshTokenExpiresAt="later"), "accepted"),
    "refreshTokenExpiresAt 400 digits": (with_raw("refreshTokenExpiresAt", "9" * 400), "accepted"),
    # more digits than Python's int() converts by default (4300): JSON.parse reads Infinity
    "expiresAt 5000 digits": (with_raw("expiresAt", "9" * 5000), "accepted"),
    "expiresAt a hex string beyond a double": (plain(expiresAt="0x" + "f" * 400), "accepted"),
    "refreshTokenExpiresAt 5000 digits": (with_raw("refreshTokenExpiresAt", "9" * 5000), "accepted"),
}


def checks_verdict(blob: bytes) -> str:
    """"accepted" when the credentials check and the lifetime check both pass on ``blob``."""
    try:
        session = parse_credentials(Masked(blob))
    except FindingError:
        return "refused"
    problems = session_problems(session, "max")
    lifetime = assess(session, now_ms(), 24).finding()
    form_warnings(session, "max")  # the warnings of an accepted form must build too
    return "refused" if problems or lifetime else "accepted"


@pytest.fixture
def workdir(tmp_path):
    (tmp_path / "home").mkdir()
    (tmp_path / "work").mkdir()
    return tmp_path


@pytest.mark.parametrize("form", list(FORMS))
def test_the_checks_accept_what_the_cli_accepts_and_refuse_what_it_refuses(workdir, form):
    blob, expected = FORMS[form]
    profile = ProfileBuilder(workdir / "cfg").create()
    profile.write_credentials(blob)
    with MessagesAPI(accept=CANARY_ACCESS) as api:
        run = run_prompt(profile.dir, clean_environment(workdir / "home", ANTHROPIC_BASE_URL=api.url), workdir / "work")
    if run.returncode == 0 and run.text == "ok" and set(api.bearer_tokens()) == {CANARY_ACCESS}:
        cli = "accepted"
    elif run.text == "Not logged in · Please run /login" and api.messages_calls() == []:
        cli = "refused"
    else:
        cli = f"something else (exit {run.returncode})"
    assert cli == expected, f"the pinned CLI no longer does what docs/cli-credentials-forms.md says ({form})"
    assert checks_verdict(blob) == cli, f"the checks and the CLI disagree on: {form}"


@pytest.mark.parametrize("value, cli_dir", [("", "."), ("~/.claude", "./~/.claude")])
def test_claude_config_dir_empty_or_unexpanded_is_another_profile_and_the_checks_refuse(workdir, value, cli_dir):
    home, work = workdir / "home", workdir / "work"
    ProfileBuilder(home / ".claude").create(accessToken=OTHER_ACCESS)  # what the tool would read, unexpanded
    ProfileBuilder(work / cli_dir).create()  # where the CLI really looks
    with MessagesAPI(accept=CANARY_ACCESS) as api:
        env = clean_environment(home, ANTHROPIC_BASE_URL=api.url, CLAUDE_CONFIG_DIR=value)
        done = subprocess.run([str(real_claude()), "-p", "Reply with the single word: ok", "--output-format", "json"],
                              env=env, cwd=work, capture_output=True, text=True, timeout=120,
                              stdin=subprocess.DEVNULL, check=False)
    assert done.returncode == 0, api.summary()
    assert digests(api.bearer_tokens()) == digests([CANARY_ACCESS])  # the profile in the current directory, not ~/.claude
    assert list((work / cli_dir / "projects").rglob("*.jsonl"))  # its transcript went there too
    with pytest.raises(FindingError) as info:
        discover(None, {"CLAUDE_CONFIG_DIR": value, "HOME": str(home)}, "linux")
    assert "unset CLAUDE_CONFIG_DIR" in info.value.finding.remedy
    assert 'export CLAUDE_CONFIG_DIR="$HOME/.claude"' in info.value.finding.remedy


def test_the_whole_suite_passes_on_forms_the_cli_accepts_with_a_warning(checks, profile, tmp_path):
    """End to end with the real CLI: a fractional expiresAt, scopes as a string and no
    subscriptionType pass every check and render, with the warnings that name the forms."""
    home = tmp_path / "home"
    home.mkdir()
    profile.create(expiresAt=IN_8_H + 0.5, scopes="user:inference user:profile", subscriptionType=DROP)
    before = profile.snapshot()
    secret = tmp_path / "out" / "secret.yaml"
    with MessagesAPI(accept=CANARY_ACCESS) as api:
        env = {"ANTHROPIC_BASE_URL": api.url, "HOME": str(home), "USERPROFILE": str(home), "CLAUDE_CONFIG_DIR": None,
               "ANTHROPIC_API_KEY": None, "ANTHROPIC_AUTH_TOKEN": None, "CLAUDE_CODE_OAUTH_TOKEN": None, **offline()}
        run = checks.run("--claude-config-dir", str(profile.dir), "--claude-bin", str(real_claude()),
                         f"--secret-out={secret}", env=env, timeout=180)
    assert run.ret == 0, run.output
    assert secret.exists()
    assert "scopes is a string, not an array" in run.output
    assert "subscriptionType is missing or null" in run.output
    assert profile.snapshot() == before
    assert "CANARY" not in run.output


@pytest.mark.parametrize("raw", ["1e400", "9" * 5000], ids=["1e400", "5000 digits"])
def test_a_number_beyond_a_double_still_signs_in_once_the_other_entries_are_left_out(workdir, raw):
    """The Secret carries only claudeAiOauth when the file has other entries, re-encoded. Before:
    Python wrote the Infinity it read from 1e400 as ``Infinity``, which JSON.parse refuses, so the
    shipped file signed the pod's CLI out ("Not logged in"); 5000 digits were refused outright."""
    blob = json.dumps({"claudeAiOauth": oauth_entry(expiresAt="@@RAW@@"), "mcpOAuth": {"s": {"t": "@@RAW@@"}}})
    blob = blob.replace('"@@RAW@@"', raw).encode()
    shipped, notes = credentials_to_ship(Masked(blob), keep_other_keys=False)
    assert notes and b"Infinity" not in shipped.reveal()
    assert checks_verdict(shipped.reveal()) == "accepted"
    profile = ProfileBuilder(workdir / "cfg").create()
    profile.write_credentials(shipped.reveal())
    with MessagesAPI(accept=CANARY_ACCESS) as api:
        run = run_prompt(profile.dir, clean_environment(workdir / "home", ANTHROPIC_BASE_URL=api.url), workdir / "work")
    assert run.returncode == 0 and run.text == "ok", run.text
    assert digests(api.bearer_tokens()) == digests([CANARY_ACCESS])
