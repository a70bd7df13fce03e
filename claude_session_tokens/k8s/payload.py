"""The exact files that go into the Secret: built once, verified, then rendered unchanged.

Verify what ships, ship what was verified. The test prompt runs the real CLI on
a copy of these bytes, and the Secret is rendered from the same object, so no check can
pass on the user's profile while the Secret carries something else.

What goes in (docs/claude-cli-facts.md: Where the session lives, The Kubernetes Secret):

- ``.credentials.json``: the user's file byte for byte when it holds only ``claudeAiOauth``;
  otherwise a one-line JSON object with only that entry, unless ``--keep-credential-keys``.
- ``.claude.json``: a minimal global config, ``hasCompletedOnboarding: true`` plus the user's
  ``oauthAccount`` when there is one; never the full file, never ``userID``/``machineID``.
- files named with ``--include`` (top-level files of the config dir only).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath, PureWindowsPath

from claude_session_tokens.core.findings import Finding, FindingError
from claude_session_tokens.core.masked import Masked
from claude_session_tokens.core.remedy import LOG_IN, Remedy
from claude_session_tokens.core.shown_values import shown
from claude_session_tokens.session.credentials import (
    OAUTH_KEY,
    dumps_as_js,
    js_int,
    load_json_object,
    parse_credentials,
)
from claude_session_tokens.session.files import (
    GLOBAL_CONFIG_LIMIT,
    INCLUDE_LIMIT,
    inspect_file,
    read_bounded,
)

CREDENTIALS_KEY = ".credentials.json"
GLOBAL_CONFIG_KEY = ".claude.json"
SECRET_DATA_LIMIT = 1024 * 1024  # bytes of data a Kubernetes Secret may hold
GLOBAL_CONFIG_REMEDY = Remedy(LOG_IN, "   (the CLI writes a new one), then run the checks again")
KEY_PATTERN = re.compile(r"^[-._a-zA-Z0-9]+$")
REFUSED_INCLUDES = {
    "projects": "holds full conversation transcripts",
    "telemetry": "holds usage telemetry, not session state",
    "backups": "holds old copies of your config, possibly with history",
    "debug": "holds debug logs that may quote requests",
    "sessions": "holds per-conversation state, not the sign-in",
    "plugins": "holds plugin code and caches, not the sign-in",
}


@dataclass(frozen=True)
class Payload:
    """The Secret's data: key -> bytes, in a masked container."""

    files: dict[str, Masked[bytes]] = field(default_factory=dict)
    notes: tuple[str, ...] = ()  # what was left out and why (shown to the user, never content)

    @property
    def credentials(self) -> Masked[bytes]:
        return self.files[CREDENTIALS_KEY]

    def with_credentials(self, blob: Masked[bytes]) -> Payload:
        files = dict(self.files)
        files[CREDENTIALS_KEY] = blob
        return replace(self, files=files)

    def sizes(self) -> dict[str, int]:
        return {key: len(value) for key, value in sorted(self.files.items())}

    def total_size(self) -> int:
        return sum(self.sizes().values())

    def write_to(self, directory: Path) -> None:
        """Lay the files out as a config dir (for the test prompt, or a pod's copy)."""
        for key, blob in self.files.items():
            target = directory / key
            target.write_bytes(blob.reveal())
            target.chmod(0o600)


def credentials_to_ship(blob: Masked[bytes], keep_other_keys: bool) -> tuple[Masked[bytes], tuple[str, ...]]:
    """The credentials bytes for the Secret, and a note per top-level entry left out."""
    data = load_json_object(blob, ".credentials.json")
    others = sorted(str(k) for k in data if k != OAUTH_KEY)
    if keep_other_keys or not others:
        return blob, ()
    if OAUTH_KEY not in data:
        parse_credentials(blob)  # no session to keep: raises the finding that says so
    kept = {OAUTH_KEY: data[OAUTH_KEY]}
    try:
        filtered = dumps_as_js(kept, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate escape (\ud800) in a string: keep it escaped, as the file had it
        filtered = dumps_as_js(kept, separators=(",", ":")).encode("ascii")
    notes = tuple(f"left out of .credentials.json: {shown(k)} (pass --keep-credential-keys to ship it)" for k in others)
    return Masked(filtered), notes


def minimal_global_config(global_config: Path) -> tuple[Masked[bytes], tuple[str, ...]]:
    """A small ``.claude.json`` for the pod, built from the user's (which is never shipped).

    A missing or unparsable global config is a note (the pod's CLI only needs onboarding); one
    that cannot be read safely (a FIFO, a device, larger than its cap) raises the
    :class:`FindingError` of :func:`~claude_session_tokens.session.files.read_bounded`."""
    minimal: dict = {"hasCompletedOnboarding": True}
    notes: tuple[str, ...] = ()
    state = inspect_file(global_config)
    if state.kind in ("missing", "broken symlink"):
        notes = (f"{global_config} does not exist; .claude.json carries onboarding only",)
    else:
        unusable = (f"{global_config} could not be read as JSON; .claude.json carries onboarding only",)
        if state.kind not in ("file", "unreachable") or state.size > GLOBAL_CONFIG_LIMIT:
            read_bounded(global_config, "global config", GLOBAL_CONFIG_REMEDY, GLOBAL_CONFIG_LIMIT)  # raises
        try:
            blob = read_bounded(global_config, "global config", GLOBAL_CONFIG_REMEDY, GLOBAL_CONFIG_LIMIT)
            data = json.loads(blob.reveal().decode("utf-8"), parse_constant=_not_json, parse_int=js_int)
            account = data.get("oauthAccount") if isinstance(data, dict) else None
        except FindingError:  # not readable by this user: the pod's CLI only needs onboarding
            account, notes = None, unusable
        except (UnicodeDecodeError, ValueError, RecursionError):
            account, notes = None, unusable
        if isinstance(account, dict):
            minimal["oauthAccount"] = account
        elif not notes:
            notes = (f"{global_config} has no oauthAccount; .claude.json carries onboarding only",)
    try:
        text = dumps_as_js(minimal, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        encoded = text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate escape (\ud800) in the account: keep it escaped
        encoded = (dumps_as_js(minimal, indent=2, sort_keys=True) + "\n").encode("ascii")
    return Masked(encoded), notes


def _not_json(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def include_problem(config_dir: Path, name: str) -> str | None:
    """Why ``--include name`` is refused, or None."""
    for pure in (PurePosixPath(name), PureWindowsPath(name)):
        if pure.is_absolute() or ".." in pure.parts or len(pure.parts) != 1:
            top = pure.parts[0] if pure.parts else name
            if top in REFUSED_INCLUDES:
                return f"{top}/ {REFUSED_INCLUDES[top]}"
            return "only top-level files of the config dir can be included (Secret keys cannot hold paths)"
    if name in REFUSED_INCLUDES:
        return f"{name}/ {REFUSED_INCLUDES[name]}"
    if name.endswith(".lock"):
        return "lock files and lock dirs are the CLI's private state"
    if name in (CREDENTIALS_KEY, GLOBAL_CONFIG_KEY):
        return f"{name} is always included (the global config in its minimal form)"
    if not KEY_PATTERN.match(name):
        return "a Secret key may only hold letters, digits, '-', '_' and '.'"
    state = inspect_file(config_dir / name)
    if state.kind == "directory":
        return "it is a directory; only files can be included"
    if state.kind == "missing":
        return "no such file in the config dir"
    if state.kind == "broken symlink":
        return "it is a symlink whose target does not exist"
    if state.kind == "unreachable":
        return f"it cannot be looked at by the current user ({state.reason})"
    if state.kind != "file":
        return ("it is a special file (a FIFO, socket or device"
                + (", after following its symlink" if state.is_symlink else "") + "), not a regular file")
    if state.size > INCLUDE_LIMIT:
        return f"it is larger than a Secret can hold ({SECRET_DATA_LIMIT} bytes)"
    return None


def build_payload(credentials_blob: Masked[bytes], global_config: Path, config_dir: Path,
                  includes: tuple[str, ...] = (), keep_credential_keys: bool = False) -> Payload:
    """Assemble the Secret's files; raises :class:`FindingError` for a refused ``--include``."""
    credentials, notes = credentials_to_ship(credentials_blob, keep_credential_keys)
    config, config_notes = minimal_global_config(global_config)
    files = {CREDENTIALS_KEY: credentials, GLOBAL_CONFIG_KEY: config}
    refused = [(name, include_problem(config_dir, name)) for name in includes]
    refused = [(name, why) for name, why in refused if why]
    if refused:
        raise FindingError(Finding(
            cause="Some --include files cannot go into the Secret:",
            why="the Secret must carry the sign-in and nothing that leaks history or breaks the 1 MiB limit.",
            remedy="drop those --include options",
            details=tuple(f"{name}: {why}" for name, why in refused),
        ))
    for name in includes:
        files[name] = read_bounded(config_dir / name, f"included file {name}", "drop that --include",
                                   INCLUDE_LIMIT)
    return Payload(files=files, notes=notes + config_notes)
