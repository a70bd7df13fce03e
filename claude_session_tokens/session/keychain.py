"""The macOS login Keychain as a credential source (docs/claude-cli-facts.md, Where the session
lives).

On macOS the Claude CLI keeps the session in a generic-password item of the login Keychain,
and uses ``<config dir>/.credentials.json`` only when no such item exists. The item is read
exactly as the CLI reads it::

    security find-generic-password -a "$USER" -w -s "Claude Code-credentials[-<hash>]"

The service name, as built by Claude Code 2.1.332 (its bundled JavaScript, function ``wje``):
``"Claude Code" + "-credentials"``, plus ``-<first 8 hex digits of sha256(D)>`` when the
environment variable ``CLAUDE_CONFIG_DIR`` is set and non-empty, where ``D`` is that variable's
value **exactly as given** (no ``~`` expansion, no resolving, trailing slashes kept), Unicode
NFC-normalised and UTF-8 encoded. ``CLAUDE_SECURESTORAGE_CONFIG_DIR``, when set, replaces it
(an empty value means "no suffix"). The account is ``$USER`` (else the login name), or
``claude-code-user`` when that name has characters outside ``[a-zA-Z0-9._-]``.

The token reaches this program only through the pipe of ``security``'s standard output: it is
never on a command line and never in a file. ``security``'s exit code says what went wrong:
44 no such item, 36 the Keychain is locked (no user interaction allowed, e.g. over SSH),
51 access denied, 128 the user pressed Deny; each gets its own finding.
"""

from __future__ import annotations

import getpass
import hashlib
import re
import shutil
import subprocess
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from claude_session_tokens.core.findings import Finding, FindingError
from claude_session_tokens.core.masked import Masked
from claude_session_tokens.core.remedy import LOG_IN, RELOGIN, suite
from claude_session_tokens.session.sources import LOGIN_REMEDY, FileCredentialSource

SERVICE_BASE = "Claude Code-credentials"
FALLBACK_ACCOUNT = "claude-code-user"
_ACCOUNT_PATTERN = re.compile(r"^[a-zA-Z0-9._-]+$")
LOOKUP_TIMEOUT = 10.0  # seconds; the CLI waits as long before it gives up on the Keychain

# security(1) exits with the low byte of the Security framework's OSStatus
EXIT_NOT_FOUND = 44          # errSecItemNotFound (-25300)
EXIT_LOCKED = 36             # errSecInteractionNotAllowed (-25308)
EXIT_AUTH_FAILED = 51        # errSecAuthFailed (-25293)
EXIT_USER_CANCELED = 128     # errSecUserCanceled (-128)
EXIT_NO_DEFAULT_KEYCHAIN = 37  # errSecNoDefaultKeychain (-25307)
EXIT_NO_SUCH_KEYCHAIN = 50   # errSecNoSuchKeychain (-25294)
_NO_KEYCHAIN = (EXIT_NO_DEFAULT_KEYCHAIN, EXIT_NO_SUCH_KEYCHAIN)


def config_dir_hash(directory: str) -> str:
    """The 8 hex digits the CLI appends to the service name for ``CLAUDE_CONFIG_DIR=directory``."""
    normalized = unicodedata.normalize("NFC", directory)
    return hashlib.sha256(normalized.encode("utf-8", "surrogatepass")).hexdigest()[:8]


def service_name(config_dir_setting: str | None, environ: Mapping[str, str] | None = None) -> str:
    """The Keychain service of a profile whose ``CLAUDE_CONFIG_DIR`` is ``config_dir_setting``.

    ``None`` or ``""`` means the default profile (no suffix). ``environ`` supplies the rarely
    used ``CLAUDE_SECURESTORAGE_CONFIG_DIR`` override.
    """
    override = (environ or {}).get("CLAUDE_SECURESTORAGE_CONFIG_DIR")
    if override is not None:
        return f"{SERVICE_BASE}-{config_dir_hash(override)}" if override else SERVICE_BASE
    if config_dir_setting:
        return f"{SERVICE_BASE}-{config_dir_hash(config_dir_setting)}"
    return SERVICE_BASE


def account_name(environ: Mapping[str, str]) -> str:
    """The Keychain account the CLI uses: ``$USER``, else the login name, if it is a plain name."""
    name = environ.get("USER")
    if not name:
        try:
            name = getpass.getuser()
        except Exception:  # noqa: BLE001 - no user database entry, whatever it raises: the CLI falls back the same way
            return FALLBACK_ACCOUNT
    return name if _ACCOUNT_PATTERN.match(name) else FALLBACK_ACCOUNT


@dataclass(frozen=True)
class KeychainLookup:
    """What one ``security find-generic-password`` run answered (never printed with its data)."""

    outcome: str  # "found", "absent", "no keychain", "locked", "denied", "canceled", "timeout",
    #               "no security tool", "failed"; "deleted" for delete()
    exit_code: int | None = None
    data: Masked[bytes] = field(default_factory=lambda: Masked(b""))


def _run_security(security: str | None, args: list[str], timeout: float,
                  capture: bool) -> tuple[KeychainLookup | None, subprocess.CompletedProcess | None]:
    """Run ``security ARGS`` with no stdin: ``(None, completed)``, or ``(why not, None)``."""
    if not security:
        return KeychainLookup("no security tool"), None
    output = subprocess.PIPE if capture else subprocess.DEVNULL
    try:
        return None, subprocess.run([security, *args], stdin=subprocess.DEVNULL, stdout=output,
                                    stderr=output, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return KeychainLookup("timeout"), None
    except OSError:
        return KeychainLookup("no security tool"), None


def lookup(security: str | None, account: str, service: str,
           timeout: float = LOOKUP_TIMEOUT) -> KeychainLookup:
    """Run ``security`` once and classify its answer. The password arrives on stdout only."""
    failed, done = _run_security(security, ["find-generic-password", "-a", account, "-w", "-s", service],
                                 timeout, capture=True)
    if done is None:
        return failed
    code, answer = done.returncode, Masked(done.stdout)
    del done  # no local keeps the raw password, should a traceback ever show locals
    if code == 0:
        return KeychainLookup("found", 0, Masked(_password_bytes(answer.reveal())))
    return KeychainLookup(outcome_of(code), code)


def outcome_of(code: int) -> str:
    """What a non-zero exit of ``security`` means (the low byte of the OSStatus)."""
    if code == EXIT_NOT_FOUND:
        return "absent"
    if code in _NO_KEYCHAIN:
        return "no keychain"
    if code == EXIT_LOCKED:
        return "locked"
    if code == EXIT_AUTH_FAILED:
        return "denied"
    if code == EXIT_USER_CANCELED:
        return "canceled"
    return "failed"


def delete(security: str | None, account: str, service: str, timeout: float = LOOKUP_TIMEOUT) -> KeychainLookup:
    """``security delete-generic-password -a ACCOUNT -s SERVICE``: outcome ``deleted``, or why not.

    What ``security`` prints (the item's attributes, never its data) is not kept.
    """
    failed, done = _run_security(security, ["delete-generic-password", "-a", account, "-s", service],
                                 timeout, capture=False)
    if done is None:
        return failed
    if done.returncode == 0:
        return KeychainLookup("deleted", 0)
    return KeychainLookup(outcome_of(done.returncode), done.returncode)


def _password_bytes(stdout: bytes) -> bytes:
    """The item's data as ``security -w`` printed it: one trailing newline removed.

    ``security`` prints a password that is not printable text as hex digits; the CLI's JSON
    is text, so hex output that decodes to a JSON object is decoded back.
    """
    data = stdout[:-1] if stdout.endswith(b"\n") else stdout
    candidate = data.strip()
    if candidate and len(candidate) % 2 == 0 and re.fullmatch(rb"[0-9a-fA-F]+", candidate):
        decoded = bytes.fromhex(candidate.decode("ascii"))
        if decoded.lstrip().startswith(b"{"):
            return decoded
    return data


@dataclass(frozen=True)
class KeychainCredentialSource:
    """The credentials as the login Keychain item holds them (one lookup, made at discovery)."""

    service: str
    account: str
    result: KeychainLookup

    @property
    def label(self) -> str:
        return f"macOS Keychain item '{self.service}' (account '{self.account}')"

    def _show_command(self) -> str:
        return f'security find-generic-password -a "{self.account}" -s "{self.service}"'

    def presence_problem(self) -> Finding | None:
        outcome = self.result.outcome
        if outcome == "found":
            return None
        if outcome in ("absent", "no keychain"):
            return Finding(
                cause=f"There is no Keychain item '{self.service}' for account '{self.account}'"
                      + (" (this user has no default Keychain)." if outcome == "no keychain" else "."),
                why="on macOS the Claude CLI keeps the session in the login Keychain; without the item "
                    "there is no session to put into the Secret.",
                remedy=LOGIN_REMEDY + "   (or --credentials-source file to read .credentials.json)",
            )
        if outcome == "no security tool":
            return Finding(
                cause="The macOS 'security' command was not found on PATH.",
                why="the Keychain can only be read with it; it exists on macOS only (/usr/bin/security).",
                remedy=f"on Linux and Windows use the credentials file: {suite('--credentials-source', 'file')}",
            )
        if outcome == "locked":
            return Finding(
                cause=f"The login Keychain is locked: 'security' may not ask for your password "
                      f"(exit {self.result.exit_code}, interaction not allowed), e.g. in an SSH session.",
                why="the session's tokens are inside the Keychain item; they cannot be read while it is locked.",
                remedy="security unlock-keychain ~/Library/Keychains/login.keychain-db   (then run the checks again)",
            )
        if outcome in ("denied", "canceled"):
            how = "access was denied" if outcome == "denied" else "the Keychain access dialog was answered 'Deny'"
            return Finding(
                cause=f"Reading the Keychain item '{self.service}' was refused: {how} "
                      f"(security exit {self.result.exit_code}).",
                why="the suite must read exactly the tokens that go into the Secret.",
                remedy=f"run the checks again and click 'Allow' when macOS asks, or check the item with: "
                       f"{self._show_command()}",
            )
        if outcome == "timeout":
            return Finding(
                cause=f"'security' gave no answer within {LOOKUP_TIMEOUT:g} s; macOS may be showing a "
                      "Keychain access dialog nobody answered.",
                why="the session's tokens are inside the Keychain item.",
                remedy="run the checks again in a logged-in desktop session and click 'Allow' when macOS asks",
            )
        return Finding(
            cause=f"'security find-generic-password' failed with exit code {self.result.exit_code}.",
            why="the session's tokens are inside the Keychain item and could not be read.",
            remedy=f"check the item by hand: {self._show_command()}",
        )

    def shape_problem(self) -> Finding | None:
        problem = self.presence_problem()
        if problem or not self.result.data:
            return problem
        raw = self.result.data.reveal()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = None
        if text is None or "\x00" in text or not text.lstrip().startswith("{"):
            return Finding(
                cause=f"The Keychain item '{self.service}' is malformed: its data ({len(raw)} bytes) "
                      "is not the JSON text the Claude CLI stores there.",
                why="the CLI would treat the session as signed out, and so would the pod.",
                remedy=f'security delete-generic-password -a "{self.account}" -s "{self.service}" '
                       f"&& {LOG_IN}",
            )
        return None

    def emptiness_problem(self) -> Finding | None:
        if self.result.outcome == "found" and not self.result.data.reveal().strip():
            return Finding(
                cause=f"The Keychain item '{self.service}' is empty.",
                why="an empty item holds no tokens; the pod would start signed out.",
                remedy=str(RELOGIN),
            )
        return None

    def read(self) -> Masked[bytes]:
        problem = self.presence_problem() or self.emptiness_problem()
        if problem:
            raise FindingError(problem)
        return self.result.data


@dataclass(frozen=True)
class KeychainFallbackFile(FileCredentialSource):
    """The credentials file, read because the Keychain holds no item (as the CLI does)."""

    service: str = SERVICE_BASE
    account: str = ""

    @property
    def label(self) -> str:
        return (f"credentials file {self.path} (no macOS Keychain item '{self.service}' "
                f"for account '{self.account}')")


def keychain_source(config_dir_setting: str | None, environ: Mapping[str, str],
                    fallback_file: Path, fallback: bool = True,
                    security: str | None = None) -> KeychainFallbackFile | KeychainCredentialSource:
    """The source the CLI itself would read: the Keychain item, or the file when no item exists.

    With ``fallback=False`` (``--credentials-source keychain``) a missing item is a failure.
    ``security`` defaults to the ``security`` executable found on ``environ``'s PATH.
    """
    if security is None:
        security = shutil.which("security", path=environ.get("PATH"))
    service = service_name(config_dir_setting, environ)
    account = account_name(environ)
    result = lookup(security, account, service)
    if fallback and result.outcome in ("absent", "no keychain"):
        return KeychainFallbackFile(fallback_file, service, account)
    return KeychainCredentialSource(service, account, result)
