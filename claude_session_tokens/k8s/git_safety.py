"""Keep rendered Secrets out of version control (FR-008, SC-006).

Two questions, answered with the real ``git``:

- Would the destination be committed? Inside a git work tree the file must be ignored
  (``git check-ignore``; a tracked file is never ignored). If not, the exact line to add to
  ``.gitignore`` is part of the answer.
- Is a Secret already committed? Every file tracked by the project's git is scanned for a
  Secret manifest whose data carries a session key (``.credentials.json``), as git holds it
  (the index: a committed Secret deleted or emptied in the working tree is still found) and
  as it is in the working tree (one ``git commit -a`` away).

git runs with ``LC_ALL=C`` so its messages can be recognised whatever the user's language; a
git that fails, hangs past ``GIT_TIMEOUT`` or cannot be started becomes a :class:`GitError`
whose text says what happened. Without git nothing can be committed by accident: a destination
is then treated as outside any work tree, and the caller is told so.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import yaml

from claude_session_tokens.core.atomic import nearest_existing
from claude_session_tokens.core.findings import FindingError, os_reason
from claude_session_tokens.session.files import read_bounded

SESSION_KEYS = (".credentials.json", "CLAUDE_CODE_OAUTH_TOKEN")  # session files; a setup-token token
SCAN_LIMIT = 4 * 1024 * 1024  # bytes read per tracked file; a Secret is at most ~1.4 MiB of text
GIT_TIMEOUT = 30
SCAN_FAILED = "git could not list the tracked files of"  # how tracked_session_secrets' note starts then


class GitError(Exception):
    """git is there but could not answer (a repository owned by another user, a hang, ...)."""


@dataclass(frozen=True)
class DestinationVerdict:
    """Whether writing ``path`` is safe from an accidental commit, and why."""

    path: Path
    safe: bool
    work_tree: Path | None = None
    note: str = ""  # shown to the user (git missing, outside a work tree, ...)
    gitignore_line: str | None = None  # when unsafe: the line that fixes it
    gitignore_file: Path | None = None
    git_failed_in: Path | None = None  # when git could not answer: the directory it was asked in
    asked_in: Path | None = None  # when git named ``work_tree``: the directory it was asked in


def git_executable() -> str | None:
    return shutil.which("git")


def git_environment() -> dict[str, str]:
    """The user's environment with git's messages in English (they are matched below)."""
    return {**os.environ, "LC_ALL": "C", "LANGUAGE": "C"}


def _git(git: str, cwd: Path, *args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    """Run git; a hang or a git that cannot start becomes a :class:`GitError` that says so."""
    try:
        return subprocess.run([git, *args], cwd=cwd, capture_output=True, timeout=GIT_TIMEOUT,
                              input=stdin, stdin=None if stdin is not None else subprocess.DEVNULL,
                              env=git_environment())
    except subprocess.TimeoutExpired:
        raise GitError(f"'git {args[0]}' did not answer within {GIT_TIMEOUT} s in {cwd}") from None
    except OSError as exc:
        raise GitError(f"'git {args[0]}' could not be run in {cwd} ({os_reason(exc)})") from None


def existing_ancestor(path: Path) -> Path:
    """The closest existing directory at or above ``path`` (where git can be asked about it)."""
    current = nearest_existing(path)
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
    anchor = existing_ancestor(path)
    try:
        top = work_tree_of(path, git)
        if top is None:
            return DestinationVerdict(path, True, note=f"{path.parent} is not inside a git work tree")
        resolved = anchor.resolve() / path.relative_to(anchor)
        try:
            relative = resolved.relative_to(top)
        except ValueError:  # the git top is spelled differently (symlinks, 8.3 names): ask git anyway
            relative = Path(path.name)
        result = _git(git, anchor, "check-ignore", "-q", "--", str(resolved))
    except GitError as err:
        return DestinationVerdict(path, False, note=f"git could not tell whether {path} would be "
                                  f"committed: {err}", git_failed_in=anchor)
    if result.returncode == 0:
        return DestinationVerdict(path, True, top, note=f"{relative.as_posix()} is ignored by git in {top}",
                                  asked_in=anchor)
    if result.returncode != 1:  # 1: not ignored; anything else: check-ignore itself failed
        error = result.stderr.decode("utf-8", "replace").strip()
        return DestinationVerdict(path, False, top, git_failed_in=anchor, asked_in=anchor,
                                  note=f"git could not tell whether {path} would be committed: "
                                       + (error.splitlines()[-1] if error else
                                          f"git check-ignore exited {result.returncode}"))
    return DestinationVerdict(path, False, top, gitignore_line=gitignore_line(relative),
                              gitignore_file=top / ".gitignore", asked_in=anchor)


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
    try:  # libyaml's parser when PyYAML has it (the same documents, several times faster), else PyYAML's own
        documents = list(yaml.load_all(raw.decode("utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)))
    except (UnicodeDecodeError, yaml.YAMLError, RecursionError):
        return False
    for document in documents:
        items = document.get("items") if isinstance(document, dict) and document.get("kind") == "List" else None
        if carries_session(document) or any(carries_session(i) for i in items or ()):
            return True
    return False


def _names(output: bytes) -> list[str]:
    return [n for n in output.decode("utf-8", "surrogateescape").split("\0") if n]


def _candidates(git: str, top: Path, cached: bool) -> list[str]:
    """Tracked files whose content (index blob, or working copy) mentions a session key."""
    args = ["grep", "-l", "-z", "-F", "--no-color"] + (["--cached"] if cached else [])
    for key in SESSION_KEYS:
        args += ["-e", key]
    result = _git(git, top, *args)
    if result.returncode not in (0, 1):  # 1: no match
        raise GitError(f"git grep failed in {top}")
    return _names(result.stdout)


def _staged_ids(listing: bytes) -> list[tuple[str, str]]:
    """(blob id, name) of each entry of ``git ls-files -s -z`` (``<mode> <id> <stage>\t<name>``).

    The ids are what ``cat-file`` is asked for: a name is never parsed as a revision (``0:x.yaml``
    would be read as "stage 0 of x.yaml"), and names with any character work. Every stage of a
    conflicted file is listed, so each version git holds is scanned."""
    entries = []
    for entry in listing.split(b"\0"):
        head, tab, name = entry.partition(b"\t")
        fields = head.split()
        if tab and len(fields) == 3 and fields[0] != b"160000":  # 160000: a submodule, no blob here
            entries.append((fields[1].decode("ascii"), name.decode("utf-8", "surrogateescape")))
    return entries


def _index_blobs(git: str, top: Path, staged: list[tuple[str, str]], names: list[str]) -> dict[str, list[bytes]]:
    """The staged content of ``names`` (every stage), small ones only: blob ids from ``staged``
    (:func:`_staged_ids`), contents from ``git cat-file --batch``."""
    wanted = set(names)
    entries = [(sha, name) for sha, name in staged if name in wanted]
    if not entries:
        return {}
    request = "".join(f"{sha}\n" for sha, _ in entries).encode("ascii")
    result = _git(git, top, "cat-file", "--batch", stdin=request)
    if result.returncode != 0:
        raise GitError(f"git cat-file failed in {top}")
    out, blobs, position = result.stdout, {}, 0
    for _, name in entries:
        end = out.find(b"\n", position)
        if end < 0:
            raise GitError(f"git cat-file answered too little in {top}")
        header = out[position:end].split()
        position = end + 1
        if len(header) != 3 or header[1] != b"blob":  # "<id> missing"
            continue
        size = int(header[2])
        if size <= SCAN_LIMIT:
            blobs.setdefault(name, []).append(out[position:position + size])
        position += size + 1
    return blobs


def _working_copy(top: Path, name: str) -> bytes | None:
    path = top / name
    try:  # bounded: a tracked name that is now a FIFO or a device must not hang the scan
        return read_bounded(path, "tracked file", "", SCAN_LIMIT).reveal()
    except FindingError:  # missing, not a regular file, too large, unreadable: nothing to scan
        return None


def work_trees_to_scan(project: Path, destination_top: Path | None) -> list[Path]:
    """The project, and the work tree the Secret goes into when that is another one: a Secret
    committed beside the destination (an older capture in the same infra repository) leaks too."""
    return [root for root, _ in scan_plan(project, destination_top)]


def scan_plan(project: Path, destination_top: Path | None,
              asked_in: Path | None = None) -> list[tuple[Path, Path | None]]:
    """:func:`work_trees_to_scan`, each with the top of its work tree when git already said it
    (None: not asked yet, or git could not answer); pass it on as ``tracked_session_secrets(root, top)``.
    ``asked_in``: where git was asked for ``destination_top`` (``DestinationVerdict.asked_in``);
    when the project's question would be asked there too, its answer is that one."""
    if destination_top is None:
        return [(project, None)]
    git = git_executable()
    try:
        if asked_in is not None and existing_ancestor(Path(project)) == asked_in:
            project_top = Path(destination_top)
        else:
            project_top = work_tree_of(project, git) if git else None
    except GitError:  # the project's own scan reports it
        project_top = None
    same = project_top is not None and project_top.resolve() == Path(destination_top).resolve()
    if same:
        return [(project, project_top)]
    return [(project, project_top), (Path(destination_top), Path(destination_top).resolve())]


def tracked_session_secrets(project: Path, top: Path | None = None) -> tuple[list[str], str]:
    """(tracked files of ``project``'s git that are Secrets with session keys, note).

    A file counts when what git holds for it (the index) or its working copy is such a Secret:
    deleting a committed Secret from disk does not take it out of git. ``top``: the top of
    ``project``'s work tree when the caller already has it from git (:func:`scan_plan`).
    """
    git = git_executable()
    if git is None:
        return [], "git was not found on PATH, so tracked files could not be checked"
    try:
        if top is None:
            top = work_tree_of(project, git)
        if top is None:
            return [], f"{project} is not inside a git work tree"
        listed = _git(git, top, "ls-files", "-s", "-z")
        if listed.returncode != 0:
            raise GitError(f"git ls-files failed in {top}")
        entries = _staged_ids(listed.stdout)
        count = len({name for _, name in entries})
        staged = _index_blobs(git, top, entries, _candidates(git, top, cached=True))
        on_disk = _candidates(git, top, cached=False)
    except GitError as err:
        return [], f"{SCAN_FAILED} {project}: {err}"
    judged: dict[bytes, bool] = {}  # a working copy is mostly what the index holds: each content parsed once

    def session_secret(raw: bytes) -> bool:
        if raw not in judged:
            judged[raw] = looks_like_session_secret(raw)
        return judged[raw]

    found = {name for name, versions in staged.items() if any(session_secret(raw) for raw in versions)}
    for name in on_disk:
        raw = _working_copy(top, name) if name not in found else None
        if raw is not None and session_secret(raw):
            found.add(name)
    return sorted(found), f"{count} tracked files scanned in {top} (as git holds them and as they are on disk)"
