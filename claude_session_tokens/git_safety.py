"""Keep rendered Secrets out of version control (FR-008, SC-006).

Two questions, answered with the real ``git``:

- Would the destination be committed? Inside a git work tree the file must be ignored
  (``git check-ignore``; a tracked file is never ignored). If not, the exact line to add to
  ``.gitignore`` is part of the answer.
- Is a Secret already committed? Every file tracked by the project's git is scanned for a
  Secret manifest whose data carries a session key (``.credentials.json``).

Without git nothing can be committed by accident: a destination is then treated as outside any
work tree, and the caller is told so.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import yaml

SESSION_KEYS = (".credentials.json",)
SCAN_LIMIT = 4 * 1024 * 1024  # bytes read per tracked file; a Secret is at most ~1.4 MiB of text
GIT_TIMEOUT = 30


class GitError(Exception):
    """git is there but could not answer (e.g. a repository owned by another user)."""


@dataclass(frozen=True)
class DestinationVerdict:
    """Whether writing ``path`` is safe from an accidental commit, and why."""

    path: Path
    safe: bool
    work_tree: Path | None = None
    note: str = ""  # shown to the user (git missing, outside a work tree, ...)
    gitignore_line: str | None = None  # when unsafe: the line that fixes it
    gitignore_file: Path | None = None


def git_executable() -> str | None:
    return shutil.which("git")


def _git(git: str, cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([git, *args], cwd=cwd, capture_output=True, timeout=GIT_TIMEOUT,
                          stdin=subprocess.DEVNULL)


def existing_ancestor(path: Path) -> Path:
    current = path
    while not current.exists() and current.parent != current:
        current = current.parent
    return current if current.is_dir() else current.parent


def work_tree_of(path: Path, git: str) -> Path | None:
    """The top of the git work tree containing ``path`` (which need not exist yet), or None."""
    result = _git(git, existing_ancestor(path), "rev-parse", "--show-toplevel")
    if result.returncode != 0:
        error = result.stderr.decode("utf-8", "replace").strip()
        if "not a git repository" in error.lower():
            return None
        raise GitError(error.splitlines()[-1] if error else f"git rev-parse exited {result.returncode}")
    text = result.stdout.decode("utf-8", "replace").strip()
    return Path(text).resolve() if text else None


def gitignore_line(relative: Path) -> str:
    """An anchored .gitignore pattern matching exactly ``relative`` (special characters escaped)."""
    text = relative.as_posix()
    for char in ("\\", "*", "?", "["):
        text = text.replace(char, "\\" + char)
    if text.endswith(" "):
        text = text[:-1] + "\\ "
    return "/" + text


def check_destination(path: Path) -> DestinationVerdict:
    """Is it safe to write a Secret to ``path`` as far as git is concerned?"""
    path = Path(path).absolute()
    git = git_executable()
    if git is None:
        return DestinationVerdict(path, True, note=f"git was not found on PATH, so {path} is treated as "
                                  "outside any git work tree; make sure it is never committed")
    try:
        top = work_tree_of(path, git)
    except GitError as err:
        return DestinationVerdict(path, False, note=f"git could not tell whether {path} would be "
                                  f"committed: {err}")
    if top is None:
        return DestinationVerdict(path, True, note=f"{path.parent} is not inside a git work tree")
    anchor = existing_ancestor(path)
    resolved = anchor.resolve() / path.relative_to(anchor)
    try:
        relative = resolved.relative_to(top)
    except ValueError:  # the git top is spelled differently (symlinks, 8.3 names): ask git anyway
        relative = Path(path.name)
    result = _git(git, anchor, "check-ignore", "-q", "--", str(resolved))
    if result.returncode == 0:
        return DestinationVerdict(path, True, top, note=f"{relative.as_posix()} is ignored by git in {top}")
    return DestinationVerdict(path, False, top, gitignore_line=gitignore_line(relative),
                              gitignore_file=top / ".gitignore")


def carries_session(document: object) -> bool:
    """True for a Secret manifest (dict) whose data or stringData holds a session key."""
    if not isinstance(document, dict) or document.get("kind") != "Secret":
        return False
    for section in ("data", "stringData"):
        values = document.get(section)
        if isinstance(values, dict) and any(k in values for k in SESSION_KEYS):
            return True
    return False


def looks_like_session_secret(raw: bytes) -> bool:
    """Parse ``raw`` as YAML/JSON documents; True when one is a Secret carrying a session key."""
    if b"Secret" not in raw or not any(k.encode() in raw for k in SESSION_KEYS):
        return False
    try:
        documents = list(yaml.safe_load_all(raw.decode("utf-8")))
    except (UnicodeDecodeError, yaml.YAMLError, RecursionError):
        return False
    for document in documents:
        items = document.get("items") if isinstance(document, dict) and document.get("kind") == "List" else None
        if carries_session(document) or any(carries_session(i) for i in items or ()):
            return True
    return False


def tracked_session_secrets(project: Path) -> tuple[list[str], str]:
    """(tracked files of ``project``'s git that are Secrets with session keys, note)."""
    git = git_executable()
    if git is None:
        return [], "git was not found on PATH, so tracked files could not be checked"
    try:
        top = work_tree_of(project, git)
    except GitError as err:
        return [], f"git could not list the tracked files of {project}: {err}"
    if top is None:
        return [], f"{project} is not inside a git work tree"
    result = _git(git, top, "ls-files", "-z", "--cached")
    if result.returncode != 0:
        return [], f"git ls-files failed in {top}"
    names = [n for n in result.stdout.decode("utf-8", "surrogateescape").split("\0") if n]
    found = []
    for name in names:
        path = top / name
        try:
            if not path.is_file() or path.stat().st_size > SCAN_LIMIT:
                continue
            raw = path.read_bytes()
        except OSError:
            continue
        if looks_like_session_secret(raw):
            found.append(name)
    return found, f"{len(names)} tracked files scanned in {top}"
