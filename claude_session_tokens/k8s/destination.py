"""Where the Secret may not be written: over a file the run reads, or by way of a symlink.

``--secret-out`` names a file the render step replaces atomically. Pointed at the session it
verifies (the credentials file, the global config, anything in the session directory, an
``--include`` file), it would replace the user's sign-in with the Secret's YAML and the next
run, and the CLI itself, would find no session. So such a destination is refused before any
check runs, comparing real paths (symlinks resolved) and inodes: of an existing file (a hard link to the
credentials is the same file under another name) and of the destination's existing directories
(a bind mount of the session directory, or ``~/.CLAUDE`` on a case-insensitive file system, is
the session directory under another path).

A destination that is itself a symlink is refused too: the atomic write replaces the link with
a regular file instead of writing where it points, which is never what was meant.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from claude_session_tokens.session.discovery import GLOBAL_CONFIG_FILE, SessionLocation

if TYPE_CHECKING:
    from claude_session_tokens.suite.session import SessionUnderTest


def _same_inode(a: Path, b: Path) -> bool:
    try:
        sa, sb = os.stat(a), os.stat(b)
    except (OSError, ValueError):
        return False
    return (sa.st_dev, sa.st_ino) == (sb.st_dev, sb.st_ino)


def _real(path: Path) -> Path:
    try:
        return Path(os.path.realpath(path))
    except (OSError, ValueError):
        return path.absolute()


def _inside(path: Path, directory: Path) -> bool:
    return path == directory or directory in path.parents


def _inside_by_inode(path: Path, directory: Path) -> bool:
    """True when ``directory`` is ``path`` or one of its existing ancestors as the same inode: a
    bind mount of the session directory, or another spelling on a case-insensitive file system
    (macOS, Windows), names the same directory under a path that neither string nor realpath
    comparison matches."""
    try:
        target = os.stat(directory)
    except (OSError, ValueError):
        return False
    for candidate in (path, *path.parents):
        try:
            st = os.stat(candidate)
        except (OSError, ValueError):
            continue  # not created yet: the writer would create it below an existing ancestor
        if (st.st_dev, st.st_ino) == (target.st_dev, target.st_ino):
            return True
    return False


def read_files(location: SessionLocation, includes: Iterable[str], home: Path | None) -> list[tuple[Path, str]]:
    """The files the run reads outside the session directory (which is protected whole), named."""
    files = [(location.global_config, "the global config"),
             (location.config_dir / ".credentials.json", "the credentials file")]
    if home is not None:
        files.append((home / GLOBAL_CONFIG_FILE, "the global config of the default profile"))
    files += [(location.config_dir / name, f"the --include file {name}") for name in includes]
    return files


def secret_out_problem(destination: Path, location: SessionLocation | None, includes: Iterable[str] = (),
                       home: Path | None = None) -> str | None:
    """Why the Secret must not be written to ``destination`` (a usage error's text), or None."""
    destination = destination.absolute()
    fix = ("Fix: pass --secret-out with a path outside the session directory, e.g. "
           "--secret-out secrets/claude-session-tokens.yaml (the default)")
    if os.path.islink(destination):
        return (f"--secret-out {destination} is a symlink (to {os.readlink(destination)}): the Secret is "
                "written by replacing the file atomically, which would replace the link with a regular file "
                "instead of writing where it points. Fix: pass the path the link points to, "
                f"--secret-out {_real(destination)}, or remove the link")
    if location is None:
        return _directory_problem(destination)
    real = _real(destination)
    for path, label in read_files(location, includes, home):
        path = path.absolute()
        if destination == path or real == _real(path):
            what = f"is {label}"
        elif _same_inode(destination, path):
            what = f"is a hard link to {label} ({path})"
        else:
            continue
        return (f"--secret-out {destination} {what}, which the run reads: writing the Secret there would "
                "replace it, and the next run (and the Claude CLI) would find no session. " + fix)
    session_dir = location.config_dir.absolute()
    if (_inside(destination, session_dir) or _inside(real, _real(session_dir))
            or _inside_by_inode(Path(real), session_dir)):
        return (f"--secret-out {destination} is inside the session directory {session_dir}, which the run "
                "verifies and the Claude CLI owns: writing the Secret there could replace the sign-in itself. "
                + fix)
    return _directory_problem(destination)


def _directory_problem(destination: Path) -> str | None:
    """A destination that is a directory (the atomic write cannot replace it), or a device, FIFO or
    socket (``/dev/null``: the atomic write would replace it with a regular file holding the
    tokens, as root even the system's own); said before any check runs."""
    try:
        mode = os.stat(destination).st_mode
    except (OSError, ValueError):
        return None
    if stat.S_ISDIR(mode):
        return (f"--secret-out {destination} is a directory; it names the Secret's file, which the render step "
                f"replaces. Fix: name a file in it, e.g. --secret-out {destination / 'claude-session-tokens.yaml'}")
    if not stat.S_ISREG(mode):
        return (f"--secret-out {destination} is a special file (a device, FIFO or socket), not a regular file: "
                "the Secret is written by replacing the file atomically, which would put a regular file holding "
                "the tokens in its place. Fix: pass --dry-run to print the Secret instead of writing it, or "
                "pass --secret-out with a regular file's path")
    return None


def run_destination_problem(session: SessionUnderTest) -> str | None:
    """:func:`secret_out_problem` for a :class:`~claude_session_tokens.suite.session.SessionUnderTest`'s
    ``--secret-out`` (or the default destination); a session that cannot be found is left to the
    checks, which say why."""
    from claude_session_tokens.core.findings import FindingError
    from claude_session_tokens.session.discovery import _optional_home

    try:
        location = session.location
    except (FindingError, AttributeError):  # AttributeError: a stand-in session without one
        location = None
    environ, platform = getattr(session, "environ", None), getattr(session, "platform", None)
    home = _optional_home(environ, platform) if environ is not None and platform else None
    return secret_out_problem(session.settings.secret_path(), location, session.settings.include, home)
