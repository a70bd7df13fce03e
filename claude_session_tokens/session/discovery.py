"""Find the session the way the Claude CLI does (FR-003; docs/claude-cli-facts.md, Where the
session lives).

Order: the option ``--claude-config-dir``; the environment variable ``CLAUDE_CONFIG_DIR``;
``%USERPROFILE%\\.claude`` on Windows; ``$HOME/.claude`` elsewhere. The global config is
``DIR/.claude.json`` when the directory came from the option or ``CLAUDE_CONFIG_DIR``, else
``<home>/.claude.json``; a non-empty legacy ``<config dir>/.config.json`` overrides it.
``CLAUDE_CONFIG_DIR`` set to "" or to a value starting with an unexpanded ``~`` is refused: the
CLI would use another directory than a shell user expects (docs/cli-credentials-forms.md).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from claude_session_tokens.core.findings import Finding, FindingError
from claude_session_tokens.core.platforms import current_platform, is_macos, is_windows
from claude_session_tokens.core.remedy import suite
from claude_session_tokens.session.sources import CredentialSource, FileCredentialSource

CREDENTIALS_FILE = ".credentials.json"
GLOBAL_CONFIG_FILE = ".claude.json"
LEGACY_CONFIG_FILE = ".config.json"


@dataclass(frozen=True)
class SessionLocation:
    """Where the session of this machine lives, and how that was decided."""

    config_dir: Path
    origin: str  # "--claude-config-dir", "CLAUDE_CONFIG_DIR", "%USERPROFILE%" or "$HOME"
    global_config: Path
    global_config_origin: str  # "config dir", "home", "legacy .config.json"
    credentials: CredentialSource
    # The CLAUDE_CONFIG_DIR value that makes the CLI use this profile, exactly as the CLI must
    # see it (on macOS it is hashed into the Keychain item's name); None for the default profile.
    cli_config_dir: str | None = None

    @property
    def explicit(self) -> bool:
        """True when the user named the directory (option or CLAUDE_CONFIG_DIR)."""
        return self.origin in ("--claude-config-dir", "CLAUDE_CONFIG_DIR")

    def describe(self) -> list[tuple[str, str]]:
        """(name, value) pairs for the run header and the report; paths only, never contents."""
        return [
            ("config dir", f"{self.config_dir} (from {self.origin})"),
            ("credentials", self.credentials.label),
            ("global config", f"{self.global_config} ({self.global_config_origin})"),
        ]


def home_directory(environ: Mapping[str, str], platform: str) -> Path:
    """The user's home as the CLI sees it: USERPROFILE on Windows, HOME elsewhere."""
    if is_windows(platform):
        if environ.get("USERPROFILE"):
            return Path(environ["USERPROFILE"])
        if environ.get("HOMEDRIVE") and environ.get("HOMEPATH"):
            return Path(environ["HOMEDRIVE"] + environ["HOMEPATH"])
        variable = "USERPROFILE"
    else:
        if environ.get("HOME"):
            return Path(environ["HOME"])
        try:
            import pwd  # POSIX only; guarded by the platform check above

            return Path(pwd.getpwuid(os.getuid()).pw_dir)
        except (ImportError, KeyError, AttributeError):
            pass
        variable = "HOME"
    raise FindingError(Finding(
        cause=f"The home directory is unknown: {variable} is not set.",
        why="the Claude CLI keeps the session under the home directory, so the suite cannot find it.",
        remedy=f"pass the directory yourself: {suite('--claude-config-dir', '<path to your .claude directory>')}",
    ))


def _absolute(raw: str, home: Path | None) -> Path:
    path = Path(raw)
    if raw.startswith("~") and home is not None:
        path = home / raw[1:].lstrip("/\\")
    return path if path.is_absolute() else Path.cwd() / path


def discover(
    option_dir: str | None,
    environ: Mapping[str, str] | None = None,
    platform: str | None = None,
    credentials_source: str = "auto",
) -> SessionLocation:
    """Resolve the session location; raises :class:`FindingError` when no home can be found.

    ``credentials_source`` is ``--credentials-source``: ``auto`` reads the macOS Keychain on
    macOS (the file when no Keychain item exists) and the file elsewhere; ``file`` and
    ``keychain`` force one source.
    """
    environ = os.environ if environ is None else environ
    platform = platform or current_platform()
    if option_dir:
        origin, home = "--claude-config-dir", _optional_home(environ, platform)
        config_dir = _absolute(option_dir, home)
    elif "CLAUDE_CONFIG_DIR" in environ and (environ["CLAUDE_CONFIG_DIR"] == ""
                                             or environ["CLAUDE_CONFIG_DIR"].startswith("~")):
        raise FindingError(not_as_the_cli_finding(environ["CLAUDE_CONFIG_DIR"], platform))
    elif environ.get("CLAUDE_CONFIG_DIR"):
        origin, home = "CLAUDE_CONFIG_DIR", _optional_home(environ, platform)
        config_dir = _absolute(environ["CLAUDE_CONFIG_DIR"], home)
    else:
        home = home_directory(environ, platform)
        origin = "%USERPROFILE%" if is_windows(platform) else "$HOME"
        config_dir = home / ".claude"

    if origin in ("--claude-config-dir", "CLAUDE_CONFIG_DIR"):
        global_config, global_origin = config_dir / GLOBAL_CONFIG_FILE, "in the config dir"
    else:
        global_config, global_origin = home / GLOBAL_CONFIG_FILE, "in the home directory"
    legacy = config_dir / LEGACY_CONFIG_FILE
    try:
        if legacy.is_file() and legacy.stat().st_size > 0:
            global_config, global_origin = legacy, "legacy .config.json, which overrides .claude.json"
    except OSError:
        pass

    cli_setting = _cli_config_dir_setting(option_dir, config_dir, environ, home)
    return SessionLocation(
        config_dir=config_dir,
        origin=origin,
        global_config=global_config,
        global_config_origin=global_origin,
        credentials=_credentials(credentials_source, cli_setting, config_dir, environ, platform),
        cli_config_dir=cli_setting,
    )


def not_as_the_cli_finding(value: str, platform: str) -> Finding:
    """CLAUDE_CONFIG_DIR set to a value the CLI and a shell user read differently: refused.

    The pinned CLI uses the variable as given whenever it is set: empty, it keeps the session
    in the current directory; it never expands ``~``, so ``~/.claude`` is ``./~/.claude``
    (docs/cli-credentials-forms.md). The suite would otherwise verify ``~/.claude``, a
    different profile from the one the CLI signs in with, so it refuses and says how to fix it.
    """
    if is_windows(platform):
        fix = ('Remove-Item Env:CLAUDE_CONFIG_DIR   (the CLI then uses %USERPROFILE%\\.claude), or '
               '$env:CLAUDE_CONFIG_DIR = "$HOME\\.claude"   (in PowerShell)')
    else:
        fix = ('unset CLAUDE_CONFIG_DIR   (the CLI then uses ~/.claude), or '
               'export CLAUDE_CONFIG_DIR="$HOME/.claude"   (the shell expands $HOME)')
    if value == "":
        cause = "CLAUDE_CONFIG_DIR is set but empty."
        uses = "the current directory (it puts .credentials.json and projects/ right there)"
    else:
        cause = f'CLAUDE_CONFIG_DIR is "{value}", with the "~" not expanded (it was quoted when set).'
        uses = f'a directory named "~" in the current directory ({Path.cwd() / value})'
    return Finding(
        cause=cause,
        why=f"the Claude CLI then keeps its session in {uses}, not in your home directory; the suite "
            "will not verify a different profile from the one the CLI would use.",
        remedy=fix + ", then run the checks again",
    )


def _credentials(choice: str, cli_setting: str | None, config_dir: Path, environ: Mapping[str, str],
                 platform: str) -> CredentialSource:
    """The credential source ``--credentials-source`` asks for (docs/claude-cli-facts.md)."""
    file_source = FileCredentialSource(config_dir / CREDENTIALS_FILE)
    if choice == "file" or (choice == "auto" and not is_macos(platform)):
        return file_source
    from claude_session_tokens.session.keychain import (
        keychain_source,  # macOS only in practice; imported when needed
    )

    return keychain_source(cli_setting, environ, file_source.path, fallback=(choice == "auto"))


def _cli_config_dir_setting(option_dir: str | None, config_dir: Path, environ: Mapping[str, str],
                             home: Path | None) -> str | None:
    """The ``CLAUDE_CONFIG_DIR`` value for the CLI (hashed into the Keychain service name), or None.

    The CLI hashes the variable exactly as given; ``--claude-config-dir`` stands for the value
    the user gives the CLI: the variable itself when it names the same directory, no value for
    the default ``<home>/.claude``, else the option as given (absolute) or resolved.
    """
    env = environ.get("CLAUDE_CONFIG_DIR")
    if env and (not option_dir or _absolute(env, home) == config_dir):
        return env
    if not option_dir:
        return None
    if not env and home is not None and config_dir == home / ".claude":
        return None
    return option_dir if Path(option_dir).is_absolute() else str(config_dir)


def _optional_home(environ: Mapping[str, str], platform: str) -> Path | None:
    try:
        return home_directory(environ, platform)
    except FindingError:
        return None
