"""The Secret's exact files: credentials byte for byte (or only claudeAiOauth), a minimal
global config, and nothing that leaks history (docs/claude-cli-facts.md: Where the session lives, The Kubernetes Secret)."""

from __future__ import annotations

import json
import os

import pytest
from helpers.profiles import CANARY_ACCESS, CANARY_MARKER, ProfileBuilder, oauth_entry

from claude_session_tokens.core.findings import FindingError
from claude_session_tokens.core.masked import Masked
from claude_session_tokens.k8s.payload import (
    CREDENTIALS_KEY,
    GLOBAL_CONFIG_KEY,
    Payload,
    build_payload,
    credentials_to_ship,
    include_problem,
    minimal_global_config,
)


def test_credentials_with_only_the_session_ship_byte_for_byte():
    raw = b'{\n  "claudeAiOauth": ' + json.dumps(oauth_entry()).encode() + b"\n}\n"
    shipped, notes = credentials_to_ship(Masked(raw), keep_other_keys=False)
    assert shipped.reveal() == raw and notes == ()


def test_other_top_level_entries_are_left_out_unless_kept():
    data = {"claudeAiOauth": oauth_entry(), "mcpOAuth": {"srv": {"accessToken": "m"}}}
    raw = json.dumps(data).encode()
    shipped, notes = credentials_to_ship(Masked(raw), keep_other_keys=False)
    assert json.loads(shipped.reveal()) == {"claudeAiOauth": data["claudeAiOauth"]}
    assert notes == ('left out of .credentials.json: "mcpOAuth" (pass --keep-credential-keys to ship it)',)
    kept, kept_notes = credentials_to_ship(Masked(raw), keep_other_keys=True)
    assert kept.reveal() == raw and kept_notes == ()


def test_minimal_global_config_keeps_onboarding_and_account_only(profile):
    profile.create()
    config, notes = minimal_global_config(profile.global_config)
    data = json.loads(config.reveal())
    assert set(data) == {"hasCompletedOnboarding", "oauthAccount"}
    assert data["hasCompletedOnboarding"] is True
    assert data["oauthAccount"]["emailAddress"] == "dev@example.com"
    assert notes == ()


@pytest.mark.parametrize("content, note", [
    (None, "does not exist"),
    (b"{not json", "could not be read as JSON"),
    (b"\xff\xfe", "could not be read as JSON"),
    (b"[]", "has no oauthAccount"),
    (b'{"userID": "u"}', "has no oauthAccount"),
])
def test_minimal_global_config_without_a_usable_account(tmp_path, content, note):
    path = tmp_path / ".claude.json"
    if content is not None:
        path.write_bytes(content)
    config, notes = minimal_global_config(path)
    assert json.loads(config.reveal()) == {"hasCompletedOnboarding": True}
    assert len(notes) == 1 and note in notes[0]


@pytest.mark.parametrize("name, reason", [
    ("projects", "projects/ holds full conversation transcripts"),
    ("projects/-home-dev/1.jsonl", "projects/ holds full conversation transcripts"),
    ("../etc/passwd", "only top-level files"),
    ("/etc/passwd", "only top-level files"),
    ("C:\\Users\\dev\\x", "only top-level files"),
    ("telemetry", "telemetry/ holds usage telemetry"),
    (".credentials.json.lock", "lock files"),
    (".credentials.json", "is always included"),
    (".claude.json", "is always included"),
    ("has space", "a Secret key may only hold"),
    ("absent.json", "no such file"),
    ("statsig", "it is a directory"),
])
def test_refused_includes(tmp_path, name, reason):
    (tmp_path / "statsig").mkdir()
    problem = include_problem(tmp_path, name)
    assert problem is not None and reason in problem


def test_accepted_include(tmp_path):
    (tmp_path / "settings.json").write_text("{}")
    assert include_problem(tmp_path, "settings.json") is None


def test_too_large_include(tmp_path):
    (tmp_path / "big.json").write_bytes(b"x" * (1024 * 1024 + 1))
    assert "larger than a Secret can hold" in include_problem(tmp_path, "big.json")


def test_build_payload(tmp_path):
    profile = ProfileBuilder(tmp_path / ".claude").create()
    (profile.dir / "settings.json").write_text('{"model": "opus"}')
    blob = Masked(profile.credentials.read_bytes())
    payload = build_payload(blob, profile.global_config, profile.dir, includes=("settings.json",))
    assert sorted(payload.files) == sorted([CREDENTIALS_KEY, GLOBAL_CONFIG_KEY, "settings.json"])
    assert payload.credentials == blob  # the very bytes the checks read
    assert payload.files["settings.json"].reveal() == b'{"model": "opus"}'
    assert payload.total_size() == sum(payload.sizes().values())
    assert CANARY_MARKER not in repr(payload)


def test_build_payload_refuses_every_bad_include_at_once(tmp_path):
    profile = ProfileBuilder(tmp_path / ".claude").create()
    with pytest.raises(FindingError) as info:
        build_payload(Masked(profile.credentials.read_bytes()), profile.global_config, profile.dir,
                      includes=("projects", "absent.json"))
    finding = info.value.finding
    assert finding.details == ("projects: projects/ holds full conversation transcripts",
                               "absent.json: no such file in the config dir")
    assert finding.remedy == "drop those --include options"


def test_with_credentials_replaces_only_the_credentials(tmp_path):
    profile = ProfileBuilder(tmp_path / ".claude").create()
    payload = build_payload(Masked(profile.credentials.read_bytes()), profile.global_config, profile.dir)
    refreshed = Masked(b'{"claudeAiOauth": {}}')
    updated = payload.with_credentials(refreshed)
    assert updated.credentials == refreshed and payload.credentials != refreshed
    assert updated.files[GLOBAL_CONFIG_KEY] == payload.files[GLOBAL_CONFIG_KEY]


def test_write_to_lays_out_a_config_dir(tmp_path):
    payload = Payload(files={CREDENTIALS_KEY: Masked(CANARY_ACCESS.encode()), GLOBAL_CONFIG_KEY: Masked(b"{}")})
    target = tmp_path / "copy"
    target.mkdir()
    payload.write_to(target)
    assert (target / CREDENTIALS_KEY).read_bytes() == CANARY_ACCESS.encode()
    if os.name != "nt":
        assert (target / CREDENTIALS_KEY).stat().st_mode & 0o777 == 0o600
