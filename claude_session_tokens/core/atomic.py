"""Write a file so that readers see the old content or the new, never half of either.

The data goes to a temporary file in the destination's own directory (so the final rename
never crosses file systems), is flushed and fsynced, and then replaces the destination with
``os.replace`` (atomic on POSIX and on Windows). The temporary file is created with its final
permissions before a single byte is written, so a Secret is never readable by others, not even
for a moment. Directories this function creates get ``dir_mode``; existing ones are left alone.
Any failure removes the temporary file and leaves the previous destination untouched; Ctrl-C,
SIGTERM or SIGHUP during the write take effect once it has finished or been undone.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from claude_session_tokens.core.signals import deferred


def nearest_existing(path: Path) -> Path:
    """``path`` itself when it exists, else the closest of its parents that does (a file or a
    directory); the root when none does."""
    current = path
    while not current.exists() and current.parent != current:
        current = current.parent
    return current


def create_parents(directory: Path, dir_mode: int) -> None:
    """Create ``directory`` and its missing parents, each with ``dir_mode`` (umask ignored)."""
    top = nearest_existing(directory)
    missing = []
    current = directory
    while current != top:
        missing.append(current)
        current = current.parent
    if not top.exists():  # not even the root exists (a drive that is gone): mkdir says why
        missing.append(top)
    for path in reversed(missing):
        try:
            path.mkdir(mode=dir_mode)
        except FileExistsError:  # created meanwhile by a concurrent writer
            continue
        _chmod(path, dir_mode)


def _chmod(path: str | Path, mode: int) -> None:
    if os.name != "nt":  # on Windows chmod only toggles the read-only flag
        os.chmod(path, mode)


def _rename(source: str, destination: Path) -> None:
    """The atomic step (a separate function so tests can inject a failure right before it).

    On Windows a rename onto a file that another process has open (a virus scanner, a second
    render) fails with PermissionError for a moment; it is retried briefly before giving up.
    """
    attempts = 20 if os.name == "nt" else 1
    for attempt in range(attempts):
        try:
            os.replace(source, destination)
            return
        except PermissionError:
            if attempt == attempts - 1:
                raise
            time.sleep(0.05)


def _fsync_directory(directory: Path) -> bool:
    """Make a rename or removal in ``directory`` durable; False when that could not be confirmed.

    POSIX only: Windows cannot open a directory, and NTFS journals the rename itself (True).
    """
    if os.name == "nt":
        return True
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return False
    try:
        os.fsync(fd)
        return True
    except OSError:
        return False
    finally:
        os.close(fd)


fsync_directory = _fsync_directory


def write_atomically(path: Path, data: str | bytes, mode: int = 0o600, dir_mode: int = 0o700) -> bool:
    """Replace ``path`` with ``data`` atomically; ``mode`` is set before any byte is written.

    Returns True when the file and its directory entry were synced to disk, False when the
    directory could not be synced (the file itself always is, before the rename).
    """
    path = Path(path)
    create_parents(path.parent, dir_mode)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    with deferred():  # a stop between mkstemp and the clean-up would leave the temporary file behind
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            try:
                _chmod(tmp, mode)  # mkstemp gives 0600; set the final mode while the file is empty
                view = memoryview(payload)
                while view:
                    written = os.write(fd, view)
                    view = view[written:]
                os.fsync(fd)
            finally:
                os.close(fd)
            _rename(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return _fsync_directory(path.parent)
