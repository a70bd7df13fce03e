"""discover(): where the session is, in the CLI's order (FR-003, docs/claude-cli-facts.md, Where the session lives)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from claude_session_tokens.core.findings import FindingError
from claude_session_tokens.session.discovery import discover, home_directory
from claude_session_tokens.session.sources import FileCredentialSource


def test_option_beats_environment_beats_home(tmp_path):
    env = {"CLAUDE_CONFIG_DIR": str(tmp_path / "env"), "HOME": str(tmp_path / "home")}
    by_option = discover(str(tmp_path / "opt"), env, "linux")
    assert (by_option.config_dir, by_option.origin) == (tmp_path / "opt", "--claude-config-dir")
    by_env = discover(None, env, "linux")
    assert (by_env.config_dir, by_env.origin) == (tmp_path / "env", "CLAUDE_CONFIG_DIR")
    by_home = discover(None, {"HOME": str(tmp_path / "home")}, "linux")
    assert (by_home.config_dir, by_home.origin) == (tmp_path / "home" / ".claude", "$HOME")


@pytest.mark.parametrize("platform, fix", [
    ("linux", 'unset CLAUDE_CONFIG_DIR   (the CLI then uses ~/.claude), or export CLAUDE_CONFIG_DIR="$HOME/.claude"'),
    ("win32", "Remove-Item Env:CLAUDE_CONFIG_DIR"),
])
@pytest.mark.parametrize("value, says", [("", "set but empty"), ("~/.claude", 'with the "~" not expanded')])
def test_empty_or_unexpanded_environment_variable_is_refused(tmp_path, platform, fix, value, says):
    """The CLI uses the current directory for "" and ./~/.claude for "~/.claude" (as the real-CLI
    tier proves, tests/realcli/test_credentials_forms.py): the suite must not verify ~/.claude instead."""
    env = {"CLAUDE_CONFIG_DIR": value, "HOME": str(tmp_path), "USERPROFILE": str(tmp_path)}
    with pytest.raises(FindingError) as info:
        discover(None, env, platform)
    assert says in info.value.finding.cause and fix in info.value.finding.remedy
    # naming the directory with the option is what the user meant: no refusal
    assert discover(str(tmp_path / "cfg"), env, platform).config_dir == tmp_path / "cfg"


def test_global_config_follows_the_origin(tmp_path):
    home = {"HOME": str(tmp_path / "home")}
    explicit = discover(str(tmp_path / "opt"), home, "linux")
    assert explicit.global_config == tmp_path / "opt" / ".claude.json"
    assert explicit.explicit
    env = discover(None, {**home, "CLAUDE_CONFIG_DIR": str(tmp_path / "env")}, "linux")
    assert env.global_config == tmp_path / "env" / ".claude.json"
    default = discover(None, home, "linux")
    assert default.global_config == tmp_path / "home" / ".claude.json"
    assert default.global_config_origin == "in the home directory"
    assert not default.explicit


def test_windows_uses_userprofile_and_never_home(tmp_path):
    env = {"USERPROFILE": str(tmp_path / "Users" / "dev"), "HOME": str(tmp_path / "msys-home")}
    location = discover(None, env, "win32")
    assert location.config_dir == tmp_path / "Users" / "dev" / ".claude"
    assert location.origin == "%USERPROFILE%"
    assert location.global_config == tmp_path / "Users" / "dev" / ".claude.json"


def test_windows_falls_back_to_homedrive_homepath():
    home = home_directory({"HOMEDRIVE": "C:", "HOMEPATH": "\\Users\\dev"}, "win32")
    assert str(home) == "C:\\Users\\dev"


def test_windows_without_a_home_explains_itself():
    with pytest.raises(FindingError) as info:
        discover(None, {"HOME": "/home/dev"}, "win32")
    finding = info.value.finding
    assert finding.cause == "The home directory is unknown: USERPROFILE is not set."
    assert finding.remedy.startswith("pass the directory yourself: pytest checks --claude-config-dir")


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="the passwd fallback exists on POSIX only")
def test_posix_without_home_uses_the_password_database():
    import pwd

    location = discover(None, {}, "linux")
    assert location.config_dir == Path(pwd.getpwuid(os.getuid()).pw_dir) / ".claude"


def test_an_explicit_directory_needs_no_home(tmp_path):
    location = discover(str(tmp_path / "opt"), {}, "win32")  # no USERPROFILE: fine, the dir is given
    assert location.config_dir == tmp_path / "opt"


def test_relative_and_tilde_paths_are_made_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert discover("rel/dir", {"HOME": "/h"}, "linux").config_dir == tmp_path / "rel" / "dir"
    assert discover("~/.claude-work", {"HOME": str(tmp_path / "h")}, "linux").config_dir \
        == tmp_path / "h" / ".claude-work"


def test_non_empty_legacy_config_json_overrides(tmp_path):
    (tmp_path / ".config.json").write_text('{"hasCompletedOnboarding": true}')
    location = discover(str(tmp_path), {}, "linux")
    assert location.global_config == tmp_path / ".config.json"
    assert location.global_config_origin == "legacy .config.json, which overrides .claude.json"


@pytest.mark.parametrize("kind", ["empty", "directory"])
def test_unusable_legacy_config_json_does_not_override(tmp_path, kind):
    legacy = tmp_path / ".config.json"
    legacy.write_bytes(b"") if kind == "empty" else legacy.mkdir()
    assert discover(str(tmp_path), {}, "linux").global_config == tmp_path / ".claude.json"


def test_credentials_are_the_file_in_the_config_dir(tmp_path):
    location = discover(str(tmp_path), {}, "linux")
    assert isinstance(location.credentials, FileCredentialSource)
    assert location.credentials.path == tmp_path / ".credentials.json"
    assert location.credentials.label == f"credentials file {tmp_path / '.credentials.json'}"


def test_describe_gives_paths_only(tmp_path):
    location = discover(str(tmp_path), {}, "linux")
    assert dict(location.describe()) == {
        "config dir": f"{tmp_path} (from --claude-config-dir)",
        "credentials": f"credentials file {tmp_path / '.credentials.json'}",
        "global config": f"{tmp_path / '.claude.json'} (in the config dir)",
    }


def test_discovery_never_touches_the_directory(tmp_path):
    target = tmp_path / "absent"
    discover(str(target), {}, "linux")
    assert not target.exists()
