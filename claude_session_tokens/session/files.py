"""Inspect a session file without trusting it: present, regular, non-empty, readable.

The functions here look at metadata and read bytes; they never print or return file contents
except as a :class:`~claude_session_tokens.core.masked.Masked`.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, replace
from pathlib import Path

from claude_session_tokens.core.findings import Finding, FindingError, os_reason
from claude_session_tokens.core.masked import Masked
from claude_session_tokens.core.platforms import is_windows
from claude_session_tokens.core.remedy import LOG_IN, icacls_grant

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
        return FileState(path, False, False, "unreachable", 0, None, os_reason(exc))
    try:
        st = path.stat()
    except (FileNotFoundError, NotADirectoryError):
        return FileState(path, False, is_link, "broken symlink" if is_link else "missing", 0, None)
    except OSError as exc:  # no permission, a symlink loop, ...
        return FileState(path, False, is_link, "unreachable", 0, None, os_reason(exc))
    if stat.S_ISREG(st.st_mode):
        kind = "file"
    elif stat.S_ISDIR(st.st_mode):
        kind = "directory"
    else:
        kind = "other"
    return FileState(path, True, is_link, kind, st.st_size, stat.S_IMODE(st.st_mode))


# How much the tool reads of each kind of file, at most. A file larger than its cap is refused
# with a finding before its bytes are read (and never read past the cap, should it grow).
CREDENTIALS_LIMIT = READ_LIMIT  # it must fit into the Secret, whose data is at most 1 MiB
INCLUDE_LIMIT = READ_LIMIT  # likewise
GLOBAL_CONFIG_LIMIT = 32 * 1024 * 1024  # heavy users' .claude.json holds some MiB of project history
_LIMIT_WHY = {
    CREDENTIALS_LIMIT: "no session file is that large, and a Kubernetes Secret cannot hold more than 1 MiB.",
}
_OPEN_FLAGS = (os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
               | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0))


def _size(limit: int) -> str:
    return f"{limit // (1024 * 1024)} MiB" if limit % (1024 * 1024) == 0 else f"{limit} bytes"


def too_large_finding(path: Path, label: str, remedy: str, limit: int, size: int | None = None,
                      why: str | None = None) -> Finding:
    has = f": it has {size} bytes." if size is not None else "."
    return Finding(
        cause=f"The {label} at {path} is larger than {limit} bytes ({_size(limit)}), the most the tool "
              f"reads for it{has}",
        why=why or _LIMIT_WHY.get(limit, "a file of that size is not what the Claude CLI writes there; "
                                         "reading it whole would only exhaust memory."),
        remedy=f'mv "{path}" "{path}.bak"   (move it out of the way), then {remedy}',
    )


def read_bounded(path: Path, label: str, remedy: str, limit: int = READ_LIMIT,
                 why_limit: str | None = None) -> Masked[bytes]:
    """Read a whole regular file of at most ``limit`` bytes into a :class:`Masked`.

    The one way the tool reads a file it did not write: symlinks are followed (Kubernetes-style
    ``..data`` links work), but only a regular file is read. It is opened without blocking
    (``O_NONBLOCK``: a FIFO cannot hang ``open()``), and the opened descriptor is checked again
    with ``fstat`` (a file swapped for a FIFO or a device after the first look is refused too);
    a file above ``limit`` is refused from its size, and never read past ``limit`` should it grow
    meanwhile. Every way that fails is a :class:`FindingError` saying what, why and the fix.
    """
    state = inspect_file(path)
    if state.kind in ("missing", "broken symlink"):
        raise FindingError(missing_finding(state, label, remedy))
    if state.kind == "unreachable":
        raise FindingError(unreachable_finding(state, label))
    if state.kind != "file":
        raise FindingError(not_regular_finding(state, label, remedy))
    if state.size > limit:
        raise FindingError(too_large_finding(path, label, remedy, limit, state.size, why_limit))
    try:
        return read_regular(path, limit)
    except ReadRefused as refused:
        if refused.error is not None:
            raise FindingError(unreadable_finding(state, label, refused.error)) from None
        if refused.mode is not None:
            raise FindingError(not_regular_finding(replace(state, kind="other"), label, remedy)) from None
        raise FindingError(too_large_finding(path, label, remedy, limit, refused.size, why_limit)) from None


class ReadRefused(Exception):
    """Why :func:`read_regular` read nothing. Exactly one of: ``error`` (the OSError of opening or
    reading, ``opening`` tells which), ``mode`` (the descriptor is no regular file: its
    ``st_mode``), or neither (larger than the limit: ``size`` from ``fstat``, None when the file
    grew past the limit while it was read)."""

    def __init__(self, error: OSError | None = None, opening: bool = False, mode: int | None = None,
                 size: int | None = None) -> None:
        super().__init__(os_reason(error) if error is not None else "not a regular file" if mode is not None
                         else "too large")
        self.error, self.opening, self.mode, self.size = error, opening, mode, size


def read_regular(path: Path, limit: int) -> Masked[bytes]:
    """The bytes of ``path``, read without ever blocking, or :class:`ReadRefused`.

    Opened with ``O_NONBLOCK`` (a FIFO cannot hang ``open()``), then judged by ``fstat`` on the
    opened descriptor (a FIFO, device, socket or directory is refused unread, also one swapped in
    after a first look), refused from its size above ``limit``, and never read past ``limit``
    should it grow meanwhile. Used for every file the tool reads that it did not write.
    """
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError as exc:
        raise ReadRefused(exc, opening=True) from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise ReadRefused(mode=st.st_mode)
        if st.st_size > limit:
            raise ReadRefused(size=st.st_size)
        chunks, total = [], 0
        while total <= limit:
            chunk = os.read(fd, min(1024 * 1024, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
    except OSError as exc:
        raise ReadRefused(exc) from None
    finally:
        os.close(fd)
    if total > limit:
        raise ReadRefused()
    return Masked(b"".join(chunks))


def read_secret_file(path: Path, label: str, remedy: str) -> Masked[bytes]:
    """Read a whole session file (at most 1 MiB) into a :class:`Masked` (:func:`read_bounded`)."""
    return read_bounded(path, label, remedy, CREDENTIALS_LIMIT)



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
        return icacls_grant(path, "RX" if directory else "R") + "   (in PowerShell)"
    if directory:
        return f"chmod u+rx {path}   (every directory above it must be searchable too: ls -ld {path})"
    return f"chmod u+r {path}   (and check that you own it: ls -l {path})"


def unreachable_finding(state: FileState, label: str) -> Finding:
    """The path cannot even be looked at: a directory above it is not searchable, a symlink loop ..."""
    parent = state.path.parent
    if state.is_symlink:  # the link itself is visible, its target is not (a loop, a closed directory)
        fix = (f"repair the symlink {state.path} (see where it points: ls -l {state.path}), "
               f"or remove it and run {LOG_IN}")
    else:
        fix = grant_access_command(parent, directory=True)
    return Finding(
        cause=f"The {label} at {state.path} cannot be looked at by the current user ({state.reason}).",
        why="the suite cannot tell whether it exists, nor read the bytes that would go into the Secret.",
        remedy=fix,
    )


def unreadable_finding(state: FileState, label: str, exc: OSError) -> Finding:
    reason = os_reason(exc)
    fix = grant_access_command(state.path, directory=False)
    return Finding(
        cause=f"The {label} at {state.path} cannot be read by the current user ({reason}).",
        why="the suite must read exactly the bytes that go into the Secret; the CLI cannot read them either.",
        remedy=fix,
    )
