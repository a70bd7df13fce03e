"""FR-005: list the session directory: names, kinds, sizes and modes, never contents.

Top-level entries are listed one by one. A sub-directory is summarised by how many entries
it holds and their total size, counted without following symlinks, so a profile with a
hundred thousand transcripts under ``projects/`` is listed in well under a second.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from claude_session_tokens.core.platforms import is_windows


@dataclass(frozen=True)
class Entry:
    name: str
    kind: str  # "file", "dir", "symlink -> file", "symlink -> dir", "broken symlink", "other"
    size: int  # bytes; for a directory the total of everything below it
    mode: str  # "0600", or "-" where POSIX modes mean nothing (Windows)
    entries: int | None = None  # for a directory: how many entries below it (recursive)
    unreadable: int = 0  # sub-directories that could not be opened

    def line(self) -> str:
        if self.entries is not None:
            extent = f"{self.entries} entries, {human_size(self.size)}"
            if self.unreadable:
                extent += f", {self.unreadable} unreadable dirs"
        else:
            extent = human_size(self.size)
        return f"{self.mode:>5}  {self.kind:<15} {extent:<28} {self.name}"


def human_size(size: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


def display_name(name: str) -> str:
    """``name`` safe to print and to write as UTF-8: undecodable bytes become ``\\xNN``, control
    characters (a newline in a file name) their escape, so one odd file cannot break the report."""
    raw = name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in raw)


def _mode(st: os.stat_result, windows: bool) -> str:
    return "-" if windows else f"{stat.S_IMODE(st.st_mode):04o}"


def _walk(path: str) -> tuple[int, int, int]:
    """(entries, total bytes, unreadable dirs) below ``path``, symlinks not followed.

    Only non-directories are stat()ed (scandir tells directories apart by their type)."""
    count = total = unreadable = 0
    stack = [path]
    while stack:
        current = stack.pop()
        try:
            with _scandir(current) as it:
                for entry in it:
                    count += 1
                    try:
                        if entry.is_dir(follow_symlinks=False):
                            stack.append(os.path.join(current, entry.name))
                        else:
                            total += entry.stat(follow_symlinks=False).st_size
                    except OSError:
                        continue
        except OSError:
            unreadable += 1
    return count, total, unreadable


# POSIX: read a directory through an open descriptor, so each stat() looks up one name, not a
# whole path (about 15 % less time for 100,000 files). Windows: scandir brings the sizes along.
SCAN_BY_FD = os.scandir in os.supports_fd


@contextmanager
def _scandir(path: str) -> Iterator[Iterator[os.DirEntry]]:
    if not SCAN_BY_FD:
        with os.scandir(path) as it:
            yield it
        return
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        with os.scandir(fd) as it:
            yield it
    finally:
        os.close(fd)


def list_session_dir(directory: Path, platform: str | None = None) -> list[Entry]:
    """Every top-level entry of ``directory``, sorted by name."""
    windows = is_windows(platform)
    entries: list[Entry] = []
    with os.scandir(directory) as it:
        top = sorted(it, key=lambda e: e.name)
    for item in top:
        name = display_name(item.name)
        try:
            lst = item.stat(follow_symlinks=False)
        except OSError:
            entries.append(Entry(name, "other", 0, "?"))
            continue
        if stat.S_ISLNK(lst.st_mode):
            try:
                target = os.stat(item.path)
            except OSError:
                entries.append(Entry(name, "broken symlink", 0, _mode(lst, windows)))
                continue
            if stat.S_ISDIR(target.st_mode):
                count, total, bad = _walk(item.path)
                entries.append(Entry(name, "symlink -> dir", total, _mode(target, windows), count, bad))
            else:
                entries.append(Entry(name, "symlink -> file", target.st_size, _mode(target, windows)))
        elif stat.S_ISDIR(lst.st_mode):
            count, total, bad = _walk(item.path)
            entries.append(Entry(name, "dir", total, _mode(lst, windows), count, bad))
        elif stat.S_ISREG(lst.st_mode):
            entries.append(Entry(name, "file", lst.st_size, _mode(lst, windows)))
        else:
            entries.append(Entry(name, "other", 0, _mode(lst, windows)))
    return entries


def format_listing(directory: Path, entries: list[Entry]) -> list[str]:
    header = f"{'mode':>5}  {'kind':<15} {'size':<28} name"
    return [f"{directory}  ({len(entries)} entries)", header] + [e.line() for e in entries]
