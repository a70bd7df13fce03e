"""``--hand-off``: once the Secret is on disk, remove this machine's own copy of the session.

Refresh tokens are single-use: while this machine and the pod hold the same session, whichever
side refreshes first signs the other out. ``claude auth logout`` is no way out: it revokes the
session at the sign-in service, which ends the pod's session too. The hand-off therefore only
removes the local copy, from exactly where the session was read:

- the credentials file ``<config dir>/.credentials.json`` (Linux, Windows, and macOS when the
  Keychain holds no item), unlinked and the directory synced; when it holds other entries
  besides ``claudeAiOauth`` (``mcpOAuth``, ``pluginSecrets``), rewritten atomically without the
  session instead, so those stay;
- on macOS the login Keychain item, with ``security delete-generic-password -a ACCOUNT -s
  SERVICE``, the account and service the session was read from; the item is the whole file, so
  other entries in it (``mcpOAuth``) go with it, and the report names them.

It runs only after the Secret was written, synced (file and directory) and read back
identical, and removes the copy only while it still holds exactly the bytes read at the start
of the run. A copy that changed meanwhile (a new sign-in, a refresh by the CLI) is left alone,
and the report says so. Everything else in the profile stays as it was: ``.claude.json`` keeps
its ``oauthAccount`` (without credentials the CLI here counts as signed out whatever it says;
the pod gets its own minimal copy from the Secret), transcripts and settings stay.

Nothing here raises: :func:`hand_off` returns what was done, for the report.
"""

from __future__ import annotations

import os
import shlex
import shutil
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from claude_session_tokens.core.atomic import fsync_directory, write_atomically
from claude_session_tokens.core.findings import Finding, FindingError, os_reason
from claude_session_tokens.core.masked import Masked
from claude_session_tokens.core.platforms import is_macos, is_windows
from claude_session_tokens.core.remedy import LOG_IN, Spelling, current, suite
from claude_session_tokens.core.shown_values import shown_list
from claude_session_tokens.session import credentials as creds
from claude_session_tokens.session.discovery import CREDENTIALS_FILE
from claude_session_tokens.session.files import READ_LIMIT
from claude_session_tokens.session.sources import FileCredentialSource

if TYPE_CHECKING:  # the Keychain (macOS) is imported when a hand-off needs it
    from claude_session_tokens.session import keychain
    from claude_session_tokens.session.keychain import KeychainCredentialSource
    from claude_session_tokens.suite.session import SessionUnderTest

OPTION = "--hand-off"
FRESH_LOGIN_RUN = suite("--fresh-login", "--hand-off")  # a Command: spelled for the run's front door when shown
REMOVED, ALREADY_GONE, NOT_REMOVED = "removed", "already gone", "not removed"
CHANGED = "changed"  # rewritten since the capture, still the same session (same refresh token): still shared
REPLACED = "replaced"  # another session now (a new sign-in, or the CLI here refreshed the captured one)
LOGOUT_NOT_RUN = ("claude auth logout was not run: it would revoke the session at the sign-in service, "
                  "and with it the pod's")
SHARED_CHAIN = ("this machine still holds the same session as the Secret: refresh tokens are single-use, "
                "so whichever side refreshes first signs the other out. Stop using Claude here, or run "
                f"again with {OPTION} to remove this machine's copy (no logout: the pod's session stays valid)")


def shared_chain(dry_run: bool) -> str:
    """:data:`SHARED_CHAIN`, for a run that wrote the Secret or (``dry_run``) printed it."""
    return SHARED_CHAIN.replace("run again with", "write the file (no --dry-run) with") if dry_run else SHARED_CHAIN


@dataclass(frozen=True)
class HandOff:
    """What the hand-off did; never holds a token."""

    outcome: str  # REMOVED, ALREADY_GONE, CHANGED, REPLACED, NOT_REMOVED
    where: str  # "credentials file /x/.credentials.json", "macOS Keychain item '...' (account '...')"
    reason: str = ""  # why the copy is still there (CHANGED, REPLACED, NOT_REMOVED)
    remove_by_hand: str = ""  # the command that removes it (CHANGED, REPLACED, NOT_REMOVED)
    login: str = "claude auth login"  # the command that signs this machine in again
    notes: tuple[str, ...] = ()

    @property
    def laptop_still_holds_it(self) -> bool:
        return self.outcome in (CHANGED, NOT_REMOVED)

    def summary(self) -> str:
        """One line for the JUnit property ``hand_off``."""
        if self.outcome == REMOVED:
            return f"removed: {self.where}"
        if self.outcome == ALREADY_GONE:
            return f"already gone: {self.where}"
        return f"{self.outcome}: {self.where}: {self.reason}"

    def lines(self) -> list[str]:
        """The report, for people."""
        if self.outcome in (REMOVED, ALREADY_GONE):
            done = ("removed this machine's copy of the session" if self.outcome == REMOVED
                    else "this machine's copy of the session was already gone")
            lines = [f"hand-off: {done} ({self.where}); the Secret is now its only holder.",
                     f"  {LOGOUT_NOT_RUN}. Nothing else in the profile was touched.",
                     f"  To use Claude on this machine again, sign in anew: {self.login}",
                     ("  (a new, separate session; a new sign-in is reported to end other sessions of an "
                      "account at times: if the pod is signed out after it, capture again)")]
        elif self.outcome == REPLACED:
            lines = [(f"hand-off: NOT done: this machine's credentials were left as they are ({self.where}): "
                      f"{self.reason}."),
                     (f"  If the CLI here refreshed the captured session, the Secret's refresh token is spent: "
                      f"capture again with {FRESH_LOGIN_RUN}")]
        else:
            lines = [f"hand-off: NOT done: this machine still holds the session ({self.where}): {self.reason}.",
                     f"  Remove it by hand (no logout: that would end the pod's session too): {self.remove_by_hand}"]
        return lines + [f"  note: {note}" for note in self.notes]

    def next_step(self) -> str:
        """The one line the run ends with."""
        if self.outcome in (REMOVED, ALREADY_GONE):
            return f"This machine no longer holds the session; to use Claude here again: {self.login}"
        if self.outcome == REPLACED:
            return ("This machine's credentials changed during the run and were left; if the pod is signed out, "
                    f"capture again: {FRESH_LOGIN_RUN}")
        return f"This machine still holds the session: remove it by hand: {self.remove_by_hand}"

    def warning(self) -> Finding | None:
        """A warning when this machine still holds the session, or the Secret's may be spent."""
        if self.outcome == REPLACED:
            return Finding(
                cause=f"The hand-off left this machine's credentials ({self.where}): {self.reason}.",
                why="if the CLI here refreshed the captured session, the Secret's refresh token is spent and "
                    "the pod would be signed out at its first refresh; a new sign-in here is left alone.",
                remedy=f"{FRESH_LOGIN_RUN}   (captures a new session for the pod and hands it off)",
            )
        if not self.laptop_still_holds_it:
            return None
        return Finding(
            cause=f"The hand-off did not remove this machine's copy of the session ({self.where}): {self.reason}.",
            why="while both hold the same session, whichever side refreshes first signs the other out; "
                "the Secret was written all the same.",
            remedy=self.remove_by_hand + "   (not claude auth logout: it would end the pod's session too)",
        )


def quote(text: str, windows: bool) -> str:
    """One shell word: PowerShell single quotes on Windows, POSIX quoting elsewhere."""
    if windows:
        return "'" + text.replace("'", "''") + "'"
    return shlex.quote(text)


def login_command(cli_config_dir: str | None, platform: str, claude: str = "claude") -> str:
    """``claude auth login`` for this profile: with its ``CLAUDE_CONFIG_DIR`` when not the default."""
    return Spelling(windows=is_windows(platform), claude=claude, config_dir=cli_config_dir or None).command(LOG_IN)


def remove_file_command(path: Path, platform: str) -> str:
    if is_windows(platform):
        return f"Remove-Item -LiteralPath {quote(str(path), True)}"  # Windows users are told PowerShell
    return f"rm {quote(str(path), False)}"


def delete_item_command(account: str, service: str) -> str:
    return f"security delete-generic-password -a {quote(account, False)} -s {quote(service, False)}"


def _same_file(a: os.stat_result, b: os.stat_result) -> bool:
    return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)


def _refresh_fingerprint(blob: Masked[bytes]) -> str | None:
    try:
        return creds.parse_credentials(blob).fingerprint
    except FindingError:
        return None


def changed(now: Masked[bytes], captured: Masked[bytes], subject: str) -> tuple[str, str]:
    """(CHANGED or REPLACED, why) for a copy whose bytes differ from those captured."""
    fingerprint = _refresh_fingerprint(now)
    if fingerprint is not None and fingerprint == _refresh_fingerprint(captured):
        return CHANGED, (f"{subject} was rewritten since it was read at the start of the run, with the same "
                         "session in it; the hand-off removes only the exact bytes it captured")
    return REPLACED, (f"{subject} holds another session than the one captured at the start of the run "
                      "(a new sign-in, or the CLI here refreshed the captured one)")


def _other_entries(blob: Masked[bytes]) -> tuple[list[str], bytes] | None:
    """(names, file content) of the top-level entries besides the session, or None when there are none.

    They (``mcpOAuth``: MCP server sign-ins, ``pluginSecrets``) are not shipped by default and
    not part of the captured session; the real CLI counts a file without ``claudeAiOauth`` as
    signed out, so the hand-off rewrites the file without the session instead of removing it.
    """
    try:
        data = creds.load_json_object(blob, ".credentials.json")
    except FindingError:
        return None
    rest = {key: value for key, value in data.items() if key != creds.OAUTH_KEY}
    if not rest:
        return None
    return sorted(rest), creds.dumps_as_js(rest, separators=(",", ":")).encode("utf-8")


def remove_file(path: Path, captured: Masked[bytes], platform: str) -> HandOff:
    """Unlink ``path`` if it still holds exactly ``captured``; the directory is synced after."""
    where = f"credentials file {path}"
    by_hand = remove_file_command(path, platform)

    def kept(outcome: str, reason: str, command: str = by_hand) -> HandOff:
        return HandOff(outcome, where, reason, command)

    try:
        before = os.lstat(path)
    except FileNotFoundError:
        return HandOff(ALREADY_GONE, where)
    except OSError as exc:
        return kept(NOT_REMOVED, f"it cannot be looked at ({os_reason(exc)})")
    if stat.S_ISLNK(before.st_mode):
        target = os.path.realpath(path)
        return kept(NOT_REMOVED, f"it is a symlink (to {target}); the hand-off removes only a regular file",
                    f"{by_hand}   and the file it points to: {remove_file_command(Path(target), platform)}")
    if not stat.S_ISREG(before.st_mode):
        return kept(NOT_REMOVED, "it is not a regular file")
    # never blocks (a FIFO swapped in after the look), never follows a link swapped in
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    try:
        with os.fdopen(os.open(path, flags), "rb") as handle:
            opened = os.fstat(handle.fileno())
            if not _same_file(opened, before) or not stat.S_ISREG(opened.st_mode):
                return kept(CHANGED, "it was replaced while the hand-off compared it")
            now = Masked(handle.read(READ_LIMIT + 1))
    except OSError as exc:
        return kept(NOT_REMOVED, f"it cannot be read again to compare ({os_reason(exc)})")
    # the CLI rewrites the file as a new inode (temp file + rename): another inode is another write
    if now != captured or not _same_file(opened, before):
        return kept(*changed(now, captured, "it"))
    others = _other_entries(now)
    try:
        if not _same_file(os.lstat(path), before):
            return kept(CHANGED, "it was rewritten while the hand-off compared it")
        if others is None:
            os.unlink(path)
        else:  # only the session goes: the file keeps its other entries (MCP server sign-ins, ...)
            synced = write_atomically(path, others[1], mode=0o600, dir_mode=0o700)
            notes = () if synced else (
                f"the change could not be synced to disk ({path.parent}); after a crash the session may be back",)
            kept_note = (f"the file was kept with its other entries ({shown_list(others[0])}): only "
                         f"{creds.OAUTH_KEY} was removed from it")
            return HandOff(REMOVED, where, notes=(kept_note, *notes))
    except FileNotFoundError:
        return HandOff(ALREADY_GONE, where)
    except OSError as exc:
        command = by_hand
        if isinstance(exc, PermissionError) and not is_windows(platform):
            command = f"chmod u+w {quote(str(path.parent), False)} && {by_hand}"
        return kept(NOT_REMOVED, f"it could not be removed ({os_reason(exc)})", command)
    notes = () if fsync_directory(path.parent) else (
        f"the removal could not be synced to disk ({path.parent}); after a crash the file may be back",)
    return HandOff(REMOVED, where, notes=notes)


_KEYCHAIN_REASONS = {
    "locked": "the login Keychain is locked (security may not ask for your password, e.g. over SSH)",
    "denied": "macOS refused access to the item",
    "canceled": "the Keychain access dialog was answered 'Deny'",
    "timeout": "security gave no answer in time (a Keychain dialog nobody answered?)",
    "no security tool": "the macOS 'security' command was not found on PATH",
}
UNLOCK = "security unlock-keychain ~/Library/Keychains/login.keychain-db"


def remove_keychain_item(source: KeychainCredentialSource, captured: Masked[bytes],
                         environ: Mapping[str, str], security: str | None = None) -> HandOff:
    """Delete the Keychain item the session was read from, if it still holds exactly ``captured``."""
    from claude_session_tokens.session import keychain

    if security is None:
        security = shutil.which("security", path=environ.get("PATH"))
    where = source.label
    by_hand = delete_item_command(source.account, source.service)

    def kept(outcome: str, answer: keychain.KeychainLookup | None = None, reason: str = "") -> HandOff:
        if answer is not None:
            reason = _KEYCHAIN_REASONS.get(answer.outcome, f"security failed with exit code {answer.exit_code}")
        command = f"{UNLOCK} && {by_hand}" if answer is not None and answer.outcome == "locked" else by_hand
        return HandOff(outcome, where, reason, command)

    now = keychain.lookup(security, source.account, source.service)
    if now.outcome in ("absent", "no keychain"):
        return HandOff(ALREADY_GONE, where)
    if now.outcome != "found":
        return kept(NOT_REMOVED, now)
    if now.data != captured:
        outcome, why = changed(now.data, captured, "the item")
        return kept(outcome, reason=why)
    done = keychain.delete(security, source.account, source.service)
    if done.outcome == "deleted":
        others = _other_entries(captured)
        notes = () if others is None else ((
            f"the item also held {shown_list(others[0])} (not part of the session, e.g. MCP servers' "
            "sign-ins): they went with it, so sign those in again in Claude on this machine"),)
        return HandOff(REMOVED, where, notes=notes)
    if done.outcome == "absent":
        return HandOff(ALREADY_GONE, where)
    return kept(NOT_REMOVED, done)


def _not_done(where: str, reason: str, command: str) -> HandOff:
    return HandOff(NOT_REMOVED, where, reason, command)


def hand_off(session: SessionUnderTest, secret_path: Path, secret_text: str, secret_synced: bool) -> HandOff:
    """Remove this machine's copy of the session the Secret at ``secret_path`` now carries.

    Only when the Secret was synced to disk and reads back as ``secret_text``; otherwise, and
    on any doubt, this machine's copy stays and the result says how to remove it by hand.
    """
    from claude_session_tokens.session.keychain import KeychainCredentialSource

    platform = session.platform
    try:
        location = session.location
        source = location.credentials
        captured = session.credentials_blob
    except FindingError as err:
        return _not_done("the session", f"it could not be located again ({err.finding.cause})",
                         "see the checks' report for where the session is")
    login = login_command(location.cli_config_dir, platform, current().claude)
    if isinstance(source, KeychainCredentialSource):
        where, by_hand = source.label, delete_item_command(source.account, source.service)
    elif isinstance(source, FileCredentialSource):
        where, by_hand = source.label, remove_file_command(source.path, platform)
    else:
        return _not_done(getattr(source, "label", "the session"), "the hand-off knows no way to remove it",
                         "remove it as the Claude CLI's documentation says")
    if not secret_synced:
        return _not_done(where, f"the Secret's directory ({secret_path.parent}) could not be synced to disk, "
                         "so the Secret might not survive a crash", by_hand)
    try:
        same = Masked(secret_path.read_bytes()) == Masked(secret_text.encode("utf-8"))
    except OSError:
        same = False
    if not same:
        return _not_done(where, f"the Secret at {secret_path} does not read back as written", by_hand)
    if isinstance(source, KeychainCredentialSource):
        result = remove_keychain_item(source, captured, session.environ)
        fallback = location.config_dir / CREDENTIALS_FILE
        if result.outcome == REMOVED and is_macos(platform) and fallback.exists():
            note = (f"{fallback} exists and was left untouched; with the Keychain item gone the CLI on "
                    "this machine reads it instead")
            result = HandOff(result.outcome, result.where, notes=(*result.notes, note))
    else:
        result = remove_file(source.path, captured, platform)
    return HandOff(result.outcome, result.where, result.reason, result.remove_by_hand, login, result.notes)

