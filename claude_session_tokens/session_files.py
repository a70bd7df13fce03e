"""Inspect a session file without trusting it: present, regular, non-empty, readable.

The functions here look at metadata and read bytes; they never print or return file contents
except as a :class:`~claude_session_tokens.secret.Secret`.
"""

from __future__ import annotations

import stat
from dataclasses import dataclass
from pathlib import Path

from .remedy import LOG_IN
from .platforms import is_windows
from .findings import Finding, FindingError
from .secret import Secret

READ_LIMIT = 1024 * 1024  # a Kubernetes Secret holds at most 1 MiB; larger is never a session file


@dataclass(frozen=True)
class FileState:
    """What the file system says about one path, following symlinks like the CLI does."""

    path: Path
    exists: bool
    is_symlink: bool
    kind: str  # "file", "directory", "broken symlink", "missing", "other", "unreachable"
    size: int
    mode: int | None  # permission bits of the final target, None when missing
    reason: str = ""  # for "unreachable": why the path cannot be looked at (e.g. "Permission denied")


def inspect_file(path: Path) -> FileState:
    """Describe ``path`` (symlinks followed, so Kubernetes-style ``..data`` links work)."""
    try:
        is_link = path.is_symlink()
    except OSError as exc:  # e.g. a directory above it that the user may not search
        return FileState(path, False, False, "unreachable", 0, None, _reason(exc))
    try:
        st = path.stat()
    except (FileNotFoundError, NotADirectoryError):
        return FileState(path, False, is_link, "broken symlink" if is_link else "missing", 0, None)
    except OSError as exc:  # no permission, a symlink loop, ...
        return FileState(path, False, is_link, "unreachable", 0, None, _reason(exc))
    if stat.S_ISREG(st.st_mode):
        kind = "file"
    elif stat.S_ISDIR(st.st_mode):
        kind = "directory"
    else:
        kind = "other"
    return FileState(path, True, is_link, kind, st.st_size, stat.S_IMODE(st.st_mode))


def read_secret_file(path: Path, label: str, remedy: str) -> Secret[bytes]:
    """Read a whole session file into a :class:`Secret`, explaining every way that can fail."""
    state = inspect_file(path)
    if state.kind in ("missing", "broken symlink"):
        raise FindingError(missing_finding(state, label, remedy))
    if state.kind == "unreachable":
        raise FindingError(unreachable_finding(state, label))
    if state.kind != "file":
        raise FindingError(not_regular_finding(state, label, remedy))
    try:
        with open(path, "rb") as handle:
            data = handle.read(READ_LIMIT + 1)
    except OSError as exc:
        raise FindingError(unreadable_finding(state, label, exc)) from None
    if len(data) > READ_LIMIT:
        raise FindingError(Finding(
            cause=f"The {label} at {path} is larger than {READ_LIMIT} bytes (1 MiB).",
            why="no session file is that large, and a Kubernetes Secret cannot hold more than 1 MiB.",
            remedy=f"move {path} out of the way, then {remedy}",
        ))
    return Secret(data)


def _reason(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__


def missing_finding(state: FileState, label: str, remedy: str) -> Finding:
    where = f"{state.path} is a symlink whose target does not exist" if state.kind == "broken symlink" \
        else f"{state.path} does not exist"
    return Finding(
        cause=f"The {label} is missing: {where}.",
        why="without it there is no session to put into the Secret, and the pod cannot sign in.",
        remedy=remedy,
    )


def not_regular_finding(state: FileState, label: str, remedy: str) -> Finding:
    what = {"directory": "a directory"}.get(state.kind, "a special file (a FIFO, socket or device)")
    return Finding(
        cause=f"The {label} at {state.path} is {what}, not a regular file"
              + (" (after following its symlink)." if state.is_symlink else "."),
        why="the Claude CLI reads the session from a plain file; anything else means the profile is damaged.",
        remedy=f'mv "{state.path}" "{state.path}.bak"   (move it out of the way), then {remedy}',
    )


def empty_finding(state: FileState, label: str, remedy: str) -> Finding:
    return Finding(
        cause=f"The {label} at {state.path} is empty (0 bytes).",
        why="an empty file holds no tokens; the pod would start signed out.",
        remedy=remedy,
    )


def grant_access_command(path: Path, directory: bool, platform: str | None = None) -> str:
    """The exact command that lets the current user read ``path`` (search it, for a directory).

    On Windows the command is for PowerShell, where ``${env:USERNAME}`` expands (``%USERNAME%``
    does not); elsewhere ``chmod``, with the hint that every directory above must be searchable.
    """
    if is_windows(platform):
        return f'icacls "{path}" /grant "${{env:USERNAME}}:{"RX" if directory else "R"}"   (in PowerShell)'
    if directory:
        return f"chmod u+rx {path}   (every directory above it must be searchable too: ls -ld {path})"
    return f"chmod u+r {path}   (and check that you own it: ls -l {path})"


def unreachable_finding(state: FileState, label: str) -> Finding:
    """The path cannot even be looked at: a directory above it is not searchable, a symlink loop ..."""
    parent = state.path.parent
    if state.is_symlink:  # the link itself is visible, its target is not (a loop, a closed directory)
        fix = f"repair the symlink {state.path} (see where it points: ls -l {state.path}), or remove it and run {LOG_IN}"
    else:
        fix = grant_access_command(parent, directory=True)
    return Finding(
        cause=f"The {label} at {state.path} cannot be looked at by the current user ({state.reason}).",
        why="the suite cannot tell whether it exists, nor read the bytes that would go into the Secret.",
        remedy=fix,
    )


def unreadable_finding(state: FileState, label: str, exc: OSError) -> Finding:
    reason = exc.strerror or type(exc).__name__
    fix = grant_access_command(state.path, directory=False)
    return Finding(
        cause=f"The {label} at {state.path} cannot be read by the current user ({reason}).",
        why="the suite must read exactly the bytes that go into the Secret; the CLI cannot read them either.",
        remedy=fix,
    )
