"""Each broken profile fails the right session-file check, with its cause and exact remedy.

One subprocess run of the real checks/test_10..16 per profile. For each: exit code 1, the
outcome of every foundation check, the failing check's message and ``remedy`` property, the
requirement IDs in the JUnit XML, the final table and summary.md, no traceback, no token.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from helpers import privileges
from helpers.foundation import (
    DIRECTORY_REMEDY,
    FOUNDATION_FILES,
    LOGIN,
    ORDER,
    RELOGIN,
    assert_no_crash,
    assert_requirements_tagged,
    case,
    fill,
    outcomes,
)
from helpers.leaks import assert_no_leak
from helpers.profiles import DROP, ProfileBuilder, oauth_entry


@dataclass(frozen=True)
class BadProfile:
    build: Callable[[ProfileBuilder], None]
    right_check: str  # the check that must report the problem
    fails: tuple[str, ...]  # every check that fails (the others pass)
    cause: str  # in the right check's message; {dir} and {cred} are the profile's paths
    remedy: str  # the right check's exact remedy
    also: tuple[str, ...] = ()  # further lines the message must contain
    modes_apply: bool = False  # run where file modes bind, even for root (helpers/privileges.py)
    args: tuple[str, ...] = field(default=())


def _oauth(**overrides):
    return lambda p: p.create(**overrides)


def _credentials(content):
    def build(p: ProfileBuilder) -> None:
        p.create()
        p.write_credentials(content)
    return build


def _missing_credentials(p: ProfileBuilder) -> None:
    p.create()
    p.credentials.unlink()


def _directory_instead_of_file(p: ProfileBuilder) -> None:
    p.create()
    p.credentials.unlink()
    (p.credentials / "inner").mkdir(parents=True)


def _broken_symlink(p: ProfileBuilder) -> None:
    p.create()
    p.credentials.unlink()
    p.credentials.symlink_to(p.dir / "..data" / ".credentials.json")


def _fifo(p: ProfileBuilder) -> None:
    p.create()
    p.credentials.unlink()
    os.mkfifo(p.credentials)


def _unreadable(p: ProfileBuilder) -> None:
    p.create()
    p.credentials.chmod(0)


def _unsearchable_dir(p: ProfileBuilder) -> None:
    p.create()
    p.dir.chmod(0)


def _unsearchable_parent(p: ProfileBuilder) -> None:
    p.create()
    p.dir.parent.chmod(0)


VALID_ONLY = ("valid",)
CREDENTIAL_CHECKS = ("present", "regular", "nonempty", "readable", "valid")

BAD_PROFILES = {
    "missing directory": BadProfile(
        lambda p: None, "dir", ORDER,
        "The session directory {dir} does not exist (found via --claude-config-dir).", DIRECTORY_REMEDY),
    "missing credentials": BadProfile(
        _missing_credentials, "present", CREDENTIAL_CHECKS,
        "The credentials file is missing: {cred} does not exist.", LOGIN),
    "broken symlink": BadProfile(
        _broken_symlink, "present", CREDENTIAL_CHECKS,
        "{cred} is a symlink whose target does not exist.", LOGIN),
    "empty file": BadProfile(
        _credentials(b""), "nonempty", ("nonempty", "valid"),
        "The credentials file at {cred} is empty (0 bytes).", RELOGIN),
    "directory instead of file": BadProfile(
        _directory_instead_of_file, "regular", ("regular", "nonempty", "readable", "valid"),
        "The credentials file at {cred} is a directory, not a regular file.",
        'mv "{cred}" "{cred}.bak"   (move it out of the way), then ' + LOGIN),
    "fifo instead of file": BadProfile(
        _fifo, "regular", ("regular", "nonempty", "readable", "valid"),
        "The credentials file at {cred} is a special file (a FIFO, socket or device), not a regular file.",
        'mv "{cred}" "{cred}.bak"   (move it out of the way), then ' + LOGIN),
    "invalid JSON": BadProfile(
        _credentials(b'{"claudeAiOauth": {"accessToken": "sk-ant-oat01-CANARYaccessTOKEN0123456789abcdefXYZ"'),
        "valid", VALID_ONLY,
        "The credentials are not a Claude Code session: .credentials.json is not valid JSON (", RELOGIN),
    "JSON null": BadProfile(
        _credentials(b"null"), "valid", VALID_ONLY,
        "The credentials are not a Claude Code session: .credentials.json holds a JSON null, not an object.",
        RELOGIN),
    "JSON array": BadProfile(
        _credentials(b"[]"), "valid", VALID_ONLY,
        "The credentials are not a Claude Code session: .credentials.json holds a JSON array, not an object.",
        RELOGIN),
    "empty object": BadProfile(
        _credentials(b"{}"), "valid", VALID_ONLY,
        'The credentials are not a Claude Code session: there is no "claudeAiOauth" entry (top-level keys: none).',
        RELOGIN),
    "claudeAiOauth not an object": BadProfile(
        _credentials({"claudeAiOauth": "sk-ant-oat01-CANARYaccessTOKEN0123456789abcdefXYZ"}), "valid", VALID_ONLY,
        'The credentials are not a Claude Code session: "claudeAiOauth" is a JSON string, not an object.',
        RELOGIN),
    "wrong field types": BadProfile(
        # a string expiresAt and scopes as one string are forms the CLI accepts
        # (docs/cli-credentials-forms.md); an object for scopes and a number for a token it does not
        _credentials({"claudeAiOauth": oauth_entry(expiresAt="tomorrow", scopes={"user:inference": 1},
                                                   refreshToken=12345)}),
        "valid", VALID_ONLY,
        "The credentials are not a Claude Code session: some fields have the wrong type.", RELOGIN,
        also=("refreshToken is a number, expected a string",
              "scopes is an object, expected an array of strings")),
    "missing accessToken": BadProfile(
        _oauth(accessToken=DROP), "valid", VALID_ONLY,
        "some fields have the wrong type.", RELOGIN, also=("accessToken is missing",)),
    "no user:inference scope": BadProfile(
        _oauth(scopes=["user:profile"]), "valid", VALID_ONLY,
        "The credentials do not hold a usable Claude session:", RELOGIN,
        also=('scopes lack "user:inference" (found: user:profile)',)),
    "empty refreshToken": BadProfile(
        _oauth(refreshToken=""), "valid", VALID_ONLY,
        "The credentials do not hold a usable Claude session:", RELOGIN,
        also=("refreshToken is empty: the CLI wipes it when a login has died",)),
    "wiped dead login": BadProfile(  # what the CLI leaves after a failed refresh (domain.md)
        _oauth(accessToken="", refreshToken="", expiresAt=0), "valid", VALID_ONLY,
        "The credentials do not hold a usable Claude session:", RELOGIN,
        also=("accessToken is empty", "refreshToken is empty", "expiresAt is 0")),
    "not a max subscription": BadProfile(
        _oauth(subscriptionType="pro"), "valid", VALID_ONLY,
        "The credentials do not hold a usable Claude session:", RELOGIN,
        also=('subscriptionType is "pro", expected "max"',)),
    "expected subscription named by option": BadProfile(
        _oauth(), "valid", VALID_ONLY,
        "The credentials do not hold a usable Claude session:", RELOGIN,
        also=('subscriptionType is "max", expected "team"',), args=("--expected-subscription", "team")),
    "api key instead of session token": BadProfile(
        _oauth(accessToken="sk-ant-api03-CANARYaccessTOKEN0123456789abcdefXYZ"), "valid", VALID_ONLY,
        "The credentials do not hold a usable Claude session:", RELOGIN,
        also=("accessToken has the shape of an API key",)),
    "unreadable by the user": BadProfile(
        _unreadable, "readable", ("readable", "valid"),
        "The credentials file at {cred} cannot be read by the current user (Permission denied).",
        "chmod u+r {cred}   (and check that you own it: ls -l {cred})", modes_apply=True),
    "session directory not searchable": BadProfile(
        _unsearchable_dir, "list", ("list",) + CREDENTIAL_CHECKS,
        "The session directory {dir} cannot be listed (Permission denied).",
        "give your user read access: chmod u+rx {dir}   (every directory above it must be searchable too: ls -ld {dir})", modes_apply=True),
    "parent directory not searchable": BadProfile(
        _unsearchable_parent, "dir", ORDER,
        "The session directory {dir} cannot be looked at by the current user (Permission denied).",
        "chmod u+rx {parent}   (every directory above it must be searchable too: ls -ld {parent})",
        modes_apply=True),
}


def _fill(text: str, profile: ProfileBuilder) -> str:
    return fill(text, profile.dir, dir=profile.dir, cred=profile.credentials, parent=profile.dir.parent)


@pytest.mark.parametrize("name", list(BAD_PROFILES))
def test_bad_profile_fails_the_right_check(name, checks, tmp_path):
    bad = BAD_PROFILES[name]
    profile = ProfileBuilder(tmp_path / "home" / ".claude")  # its parent may be locked: not tmp_path
    if bad.modes_apply:
        ok, why = privileges.supported()
        if not ok:
            pytest.skip(why)  # platform-inherent (no POSIX modes), not a missing dependency
    if name == "fifo instead of file" and not hasattr(os, "mkfifo"):
        pytest.skip("FIFOs do not exist on Windows")
    bad.build(profile)
    try:
        run = checks.run(f"--claude-config-dir={profile.dir}", *bad.args, paths=FOUNDATION_FILES,
                         env={"CLAUDE_CONFIG_DIR": None}, modes_apply=bad.modes_apply)
    finally:
        for path in (profile.dir.parent, profile.dir):  # let tmp_path clean-up remove it
            if path.exists():
                path.chmod(0o700)
        if profile.credentials.exists():
            profile.credentials.chmod(0o600)

    assert run.ret == 1, run.output
    assert_no_crash(run)
    assert outcomes(run) == {c: "failed" if c in bad.fails else "passed" for c in ORDER}
    assert_requirements_tagged(run)

    right = case(run, bad.right_check)
    cause, remedy = _fill(bad.cause, profile), _fill(bad.remedy, profile)
    assert cause in right.message
    for line in bad.also:
        assert line in right.message
    assert f"Fix: {remedy}" in right.message
    assert right.prop("remedy") == [remedy]
    assert "Why it matters: " in right.message
    # the terminal names the failure (pytest's short form) and the table gives the remedy
    assert cause in run.stdout
    assert f"fix: {remedy}" in run.stdout
    summary = run.summary_path.read_text(encoding="utf-8")
    assert remedy in summary
    assert "| SC-003 | FAIL |" in summary
    assert_no_leak(run)


def test_every_failed_check_explains_itself(checks, profile):
    """The downstream failures of a missing file carry a cause, a why and a remedy too."""
    _missing_credentials(profile)
    run = checks.run(f"--claude-config-dir={profile.dir}", paths=FOUNDATION_FILES, env={"CLAUDE_CONFIG_DIR": None})
    assert run.ret == 1
    cases = run.testcases()
    failed = [c for c in cases.values() if c.outcome == "failed"]
    assert len(failed) == len(CREDENTIAL_CHECKS)
    for testcase in failed:
        assert "Why it matters: " in testcase.message and "Fix: " in testcase.message
        assert testcase.prop("remedy") == [fill(LOGIN, profile.dir)]


def test_credentials_with_extra_top_level_keys_still_pass(checks, profile):
    """mcpOAuth next to claudeAiOauth is a normal CLI file (domain.md), not a failure."""
    profile.create()
    profile.write_credentials({"claudeAiOauth": oauth_entry(), "mcpOAuth": {"server": {"accessToken": "x"}}})
    run = checks.run(f"--claude-config-dir={profile.dir}", paths=FOUNDATION_FILES, env={"CLAUDE_CONFIG_DIR": None})
    assert run.ret == 0, run.output
    assert set(outcomes(run).values()) == {"passed"}
    assert json.loads(profile.credentials.read_text())["mcpOAuth"]  # the user's file is untouched
