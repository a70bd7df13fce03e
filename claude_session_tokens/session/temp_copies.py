"""The test prompt's temporary copy of the session: private while it exists, never left for long.

The copy holds the tokens in plain text, so it lives in a directory only this user can enter
(mode 0700, made by :func:`tempfile.mkdtemp`) named ``claude-session-tokens-copy-*`` in the
temporary directory (``TMPDIR``, ``TEMP``), and the first thing written into it is a marker,
``.owner``, naming the process that made it (its pid and, on Linux, its start time, so a reused
pid is not mistaken for the owner).

A run removes its copy on every way out, Ctrl+C, SIGTERM and SIGHUP included. Only a run killed
outright (SIGKILL, a crash of the interpreter, a power cut) cannot; :func:`remove_stale` run at
the start of the next run deletes such copies: only directories with the prefix, owned by this
user, whose marker names a process that is gone (or, without a marker, older than a minute: a
copy gets its marker before any token is written into it).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from claude_session_tokens.core.findings import Finding

COPY_PREFIX = "claude-session-tokens-copy-"
OWNER_FILE = ".owner"
UNMARKED_AGE = 60.0  # seconds: a directory of ours without a marker this old was abandoned


def process_start(pid: int) -> str | None:
    """The start time of process ``pid`` in clock ticks since boot (Linux), or None."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            return stat.read().rsplit(b")", 1)[-1].split()[19].decode()
    except (OSError, IndexError):
        return None


def _windows_alive(pid: int) -> bool:
    import ctypes

    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)  # type: ignore[attr-defined]
    handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
    if not handle:
        return ctypes.get_last_error() == 5  # access denied: it exists
    try:
        code = ctypes.c_ulong(0)
        return bool(kernel32.GetExitCodeProcess(handle, ctypes.byref(code))) and code.value == 259  # STILL_ACTIVE
    finally:
        kernel32.CloseHandle(handle)


def process_alive(pid: int, start: str | None = None) -> bool:
    """True when ``pid`` runs (and, with ``start``, is the same process that was recorded)."""
    if pid <= 0:
        return False
    if os.name == "nt":
        try:
            return _windows_alive(pid)
        except (OSError, AttributeError):
            return True  # cannot tell: keep the copy
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # it exists, as another user
    except OSError:
        return True
    if start is not None:
        now = process_start(pid)
        if now is not None and now != start:
            return False  # the pid was reused by another process
    return True


def make_private_dir(base: str | None = None) -> Path:
    """A new directory for one copy, mode 0700, with the owner marker in it."""
    root = Path(tempfile.mkdtemp(prefix=COPY_PREFIX, dir=base))
    if os.name != "nt":
        os.chmod(root, 0o700)
    marker = {"pid": os.getpid(), "start": process_start(os.getpid())}
    (root / OWNER_FILE).write_text(json.dumps(marker), encoding="utf-8")
    return root


def _owner(root: Path) -> tuple[int, str | None] | None:
    try:
        data = json.loads((root / OWNER_FILE).read_text(encoding="utf-8"))
        return int(data["pid"]), (str(data["start"]) if data.get("start") is not None else None)
    except (OSError, ValueError, KeyError, TypeError):
        return None


def is_stale(root: Path) -> bool:
    """True when ``root`` is a copy of ours that nobody will remove: its owner is gone."""
    try:
        info = root.lstat()
    except OSError:
        return False
    import stat as stat_module

    if not stat_module.S_ISDIR(info.st_mode):
        return False
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        return False
    owner = _owner(root)
    if owner is None:
        return time.time() - info.st_mtime > UNMARKED_AGE
    pid, start = owner
    if pid == os.getpid() and start == process_start(pid):
        return False  # this very run's copy
    return not process_alive(pid, start)


def remove_tree(root: Path) -> str | None:
    """Delete ``root``; None when it is gone, else its path. Retries: Windows keeps files of a
    killed child busy for a moment."""
    def retry_writable(func: Callable[[str], object], path: str, _exc: object) -> None:
        try:
            Path(path).chmod(0o700)
            func(path)
        except OSError:
            pass
    for _ in range(10):
        shutil.rmtree(root, onerror=retry_writable)
        if not root.exists():
            return None
        time.sleep(0.3)
    return str(root)


def remove_stale(base: str | None = None) -> tuple[int, Path]:
    """Remove every stale copy (:func:`is_stale`) in the temporary directory; (how many, where)."""
    where = Path(base or tempfile.gettempdir())
    removed = 0
    try:
        candidates = [p for p in where.iterdir() if p.name.startswith(COPY_PREFIX)]
    except OSError:
        return 0, where
    for root in candidates:
        if is_stale(root) and remove_tree(root) is None:
            removed += 1
    return removed, where


def stale_copies_finding(base: str | None = None) -> Finding | None:
    """Remove stale copies; a warning (findings.Finding) saying how many, or None when there were none."""
    from claude_session_tokens.core.findings import Finding

    removed, where = remove_stale(base)
    if not removed:
        return None
    copies = "copy" if removed == 1 else "copies"
    return Finding(
        cause=f"Removed {removed} temporary {copies} of a session (claude-session-tokens-copy-*) that an "
              f"earlier run left in {where} when it was killed.",
        why="each held a plaintext copy of that run's tokens; a run killed outright (SIGKILL, a crash, a power "
            "cut) cannot remove its copy itself, Ctrl+C, SIGTERM and SIGHUP can.",
        remedy="nothing more to do; stop a run with Ctrl+C (or kill PID: SIGTERM), never with kill -9",
    )
