"""Good profiles pass every session-file check, wherever and however the session is stored.

Covers the happy path (header, JUnit properties, final table, summary.md, the listing), symlinked
credentials including a Kubernetes ``..data`` chain, discovery through ``CLAUDE_CONFIG_DIR`` and
``$HOME``, the legacy ``.config.json`` override, and the two warnings that must not fail a run:
a group/other-readable credentials file and a missing global config.
"""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path

import pytest
from helpers.foundation import (
    FOUNDATION_FILES,
    ORDER,
    assert_no_crash,
    assert_requirements_tagged,
    case,
    outcomes,
)
from helpers.leaks import assert_no_leak
from helpers.profiles import ProfileBuilder
from helpers.runner import ChecksRun


def assert_all_pass(run: ChecksRun) -> None:
    assert run.ret == 0, run.output
    assert_no_crash(run)
    assert outcomes(run) == {c: "passed" for c in ORDER}
    assert_requirements_tagged(run)
    assert_no_leak(run)


def header(run: ChecksRun) -> dict[str, str]:
    """The resolved paths printed in the run's header (``config dir: ...``)."""
    names = ("config dir", "credentials", "global config")
    found = {}
    for line in run.stdout.splitlines():
        for name in names:
            if line.startswith(f"{name}: ") and name not in found:
                found[name] = line[len(name) + 2:]
    return found


def test_happy_path(checks, profile):
    profile.create()
    before = profile.snapshot()
    run = checks.run(f"--claude-config-dir={profile.dir}", paths=FOUNDATION_FILES, env={"CLAUDE_CONFIG_DIR": None})
    assert_all_pass(run)
    assert profile.snapshot() == before, "the checks modified the user's profile"

    # the resolved paths: in the header and in the JUnit testsuite properties
    assert header(run) == {
        "config dir": f"{profile.dir} (from --claude-config-dir)",
        "credentials": f"credentials file {profile.credentials}",
        "global config": f"{profile.global_config} (in the config dir)",
    }
    suite = run.suite_properties()
    assert suite["config_dir"] == f"{profile.dir} (from --claude-config-dir)"
    assert suite["global_config"] == f"{profile.global_config} (in the config dir)"

    # no remedy and no warning on a good profile
    for short in ORDER:
        assert case(run, short).prop("remedy") == [] and case(run, short).prop("warning") == []
    assert case(run, "present").prop("global_config") == [f"{profile.global_config}: present"]

    # FR-005: the listing is shown, recorded per entry, and written to summary.md
    entries = case(run, "list").prop("entry")
    assert len(entries) == 2
    assert any(e.split()[:2] == ["0600", "file"] and e.endswith(".credentials.json") for e in entries)
    assert "session directory listing (FR-005)" in run.stdout
    summary = run.summary_path.read_text(encoding="utf-8")
    assert "## session directory listing (FR-005)" in summary
    assert f"- **config dir**: {profile.dir} (from --claude-config-dir)" in summary  # the report names the paths

    # the final table: every FR and SC of the spec, this PASS, the rest NOT RUN
    for rid in ("FR-003", "FR-005", "SC-003"):
        assert f"{rid}  PASS" in run.stdout
        assert f"| {rid} | PASS |" in summary
    for rid in ("FR-001", "FR-002", "FR-004", "FR-006", "FR-007", "FR-008",
                "SC-001", "SC-002", "SC-004", "SC-005", "SC-006"):
        assert f"{rid}  NOT RUN" in run.stdout
        assert f"| {rid} | NOT RUN |" in summary
    assert "## Warnings" not in summary


def _symlinked(profile: ProfileBuilder) -> None:
    profile.create()
    real = profile.dir.parent / "elsewhere" / "creds.json"
    real.parent.mkdir()
    profile.credentials.rename(real)
    profile.credentials.symlink_to(real)


def _kubernetes_data_chain(profile: ProfileBuilder) -> None:
    """How a mounted Secret looks: file -> ..data/file, ..data -> ..<timestamp>/ (domain.md 6)."""
    profile.create()
    stamp = profile.dir / "..2026_01_01_00_00_00.123456789"
    stamp.mkdir()
    profile.credentials.rename(stamp / ".credentials.json")
    (profile.dir / "..data").symlink_to(stamp.name)
    profile.credentials.symlink_to(Path("..data") / ".credentials.json")


@pytest.mark.skipif(os.name == "nt", reason="creating symlinks needs extra rights on Windows")
@pytest.mark.parametrize("build", [_symlinked, _kubernetes_data_chain], ids=["symlink", "kubernetes ..data chain"])
def test_symlinked_credentials_pass(build, checks, profile):
    build(profile)
    run = checks.run(f"--claude-config-dir={profile.dir}", paths=FOUNDATION_FILES, env={"CLAUDE_CONFIG_DIR": None})
    assert_all_pass(run)
    entries = case(run, "list").prop("entry")
    assert any("symlink -> file" in e and e.endswith(".credentials.json") for e in entries)
    # the target's mode (0600) is judged, not the link's (0777): no warning
    assert case(run, "readable").prop("warning") == []


def test_claude_config_dir_environment_variable(checks, profile):
    profile.create()
    run = checks.run(paths=FOUNDATION_FILES, env={"CLAUDE_CONFIG_DIR": str(profile.dir)})
    assert_all_pass(run)
    assert header(run)["config dir"] == f"{profile.dir} (from CLAUDE_CONFIG_DIR)"
    assert header(run)["global config"] == f"{profile.global_config} (in the config dir)"


def test_option_wins_over_environment_variable(checks, profile, tmp_path):
    profile.create()
    run = checks.run(f"--claude-config-dir={profile.dir}", paths=FOUNDATION_FILES,
                     env={"CLAUDE_CONFIG_DIR": str(tmp_path / "nowhere")})
    assert_all_pass(run)
    assert header(run)["config dir"] == f"{profile.dir} (from --claude-config-dir)"


def test_home_directory_default(checks, pytester):
    """No option, no variable: ``$HOME/.claude``; the global config is ``$HOME/.claude.json``."""
    home = pytester.path  # pytester points HOME at it for the inner run
    profile = ProfileBuilder(home / ".claude").create()
    profile.global_config.rename(home / ".claude.json")
    run = checks.run(paths=FOUNDATION_FILES, env={"CLAUDE_CONFIG_DIR": None, "HOME": str(home)})
    assert_all_pass(run)
    assert header(run) == {
        "config dir": f"{profile.dir} (from $HOME)",
        "credentials": f"credentials file {profile.credentials}",
        "global config": f"{home / '.claude.json'} (in the home directory)",
    }
    assert case(run, "present").prop("warning") == []


def test_legacy_config_json_overrides_the_global_config(checks, profile):
    profile.create()
    legacy = profile.dir / ".config.json"
    legacy.write_text('{"hasCompletedOnboarding": true}')
    run = checks.run(f"--claude-config-dir={profile.dir}", paths=FOUNDATION_FILES, env={"CLAUDE_CONFIG_DIR": None})
    assert_all_pass(run)
    expected = f"{legacy} (legacy .config.json, which overrides .claude.json)"
    assert header(run)["global config"] == expected
    assert run.suite_properties()["global_config"] == expected


def test_empty_legacy_config_json_does_not_override(checks, profile):
    profile.create()
    (profile.dir / ".config.json").write_bytes(b"")
    run = checks.run(f"--claude-config-dir={profile.dir}", paths=FOUNDATION_FILES, env={"CLAUDE_CONFIG_DIR": None})
    assert_all_pass(run)
    assert header(run)["global config"] == f"{profile.global_config} (in the config dir)"


@pytest.mark.skipif(os.name == "nt", reason="POSIX modes: Windows is covered by tests/platforms/test_windows_profile.py")
@pytest.mark.parametrize("mode", [0o640, 0o604, 0o644])
def test_credentials_readable_by_others_is_a_warning(mode, checks, profile):
    profile.create()
    profile.credentials.chmod(mode)
    run = checks.run(f"--claude-config-dir={profile.dir}", paths=FOUNDATION_FILES, env={"CLAUDE_CONFIG_DIR": None})
    assert_all_pass(run)  # a warning, not a failure: exit code 0
    cause = f"The credentials file {profile.credentials} has mode {mode:04o}: group or others can read it."
    assert case(run, "readable").prop("warning") == [cause]
    assert cause in run.stdout and f"Fix: chmod 600 {profile.credentials}" in run.stdout
    summary = run.summary_path.read_text(encoding="utf-8")
    assert f"- {cause} Fix: chmod 600 {profile.credentials}" in summary
    assert "| SC-003 | PASS |" in summary
    assert oct(profile.credentials.stat().st_mode & 0o777) == oct(mode), "the check changed the mode itself"


def test_missing_global_config_is_a_warning_not_a_failure(checks, profile):
    profile.create()
    profile.global_config.unlink()
    run = checks.run(f"--claude-config-dir={profile.dir}", paths=FOUNDATION_FILES, env={"CLAUDE_CONFIG_DIR": None})
    assert_all_pass(run)
    cause = f"The global config {profile.global_config} is missing."
    assert case(run, "present").prop("warning") == [cause]
    assert case(run, "present").prop("global_config") == [f"{profile.global_config}: missing"]
    assert cause in run.stdout
    fix = next(line for line in run.stdout.splitlines() if "(start it once in a terminal" in line)
    # the CLI's first start writes the global config of the profile CLAUDE_CONFIG_DIR names
    assert f"Fix: CLAUDE_CONFIG_DIR={shlex.quote(str(profile.dir))} " in fix, fix
    assert cause in run.summary_path.read_text(encoding="utf-8")


def test_expected_subscription_option(checks, profile):
    profile.create(subscriptionType="team")
    run = checks.run(f"--claude-config-dir={profile.dir}", "--expected-subscription", "team",
                     paths=FOUNDATION_FILES, env={"CLAUDE_CONFIG_DIR": None})
    assert_all_pass(run)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="only Linux file systems take any bytes as a name")
def test_config_dir_path_that_is_not_utf8(checks, tmp_path):
    """A path with undecodable bytes is shown escaped; summary.md stays valid UTF-8."""
    profile = ProfileBuilder(tmp_path / os.fsdecode(b"claude-\xff-dir")).create()
    # inline: pytester's subprocess runner cannot decode output holding the raw byte
    run = checks.run(f"--claude-config-dir={profile.dir}", paths=FOUNDATION_FILES, env={"CLAUDE_CONFIG_DIR": None},
                     inline=True)
    assert_all_pass(run)
    summary = run.summary_path.read_bytes().decode("utf-8")  # strict: must be valid UTF-8
    assert "claude-\\udcff-dir (from --claude-config-dir)" in summary
