"""The Secret cannot end up in version control.

Requirements: FR-008, SC-006.

Two things are checked with the real ``git``:

- the destination of the Secret (``secrets/<name>.yaml`` in the project, or ``--secret-out``)
  is ignored by git when it lies inside a git work tree (``git check-ignore``). A tracked file
  is never ignored, so a Secret that was committed once fails here too;
- no file tracked by the project's git, nor by the git work tree the destination lies in (when
  that is another repository), is a Kubernetes Secret manifest carrying session keys
  (``.credentials.json`` in ``data`` or ``stringData``).

With ``--dry-run`` nothing is written, so a destination git would not ignore is only a warning
(it would matter when you run without ``--dry-run``); a committed Secret fails all the same.

The files are read as git holds them (the index), so a Secret that was committed and then
deleted or emptied in the working tree without ``git rm`` is still found.

Why: the Secret holds live session tokens; a commit publishes them to everyone with access to
the repository, for as long as its history exists. This check runs before the test prompt:
if the prompt makes the CLI refresh the tokens, the refreshed ones exist only in this run, so
everything that could still stop the Secret from being written is settled first.

Fix: add the line the failure shows to ``.gitignore`` (the project ignores ``secrets/``
already); for a committed Secret: ``git rm --cached <file>``, ignore it, then sign in again
(``claude auth logout && claude auth login``) because the committed tokens must be
considered leaked. Without git, nothing can be committed; the check passes and says so.
"""

from pathlib import Path

from claude_session_tokens.core.findings import Finding
from claude_session_tokens.core.remedy import RELOGIN, quoted
from claude_session_tokens.k8s.git_safety import (
    SCAN_FAILED,
    check_destination,
    gitignore_line,
    scan_plan,
    tracked_session_secrets,
)
from claude_session_tokens.k8s.render import git_refusal
from claude_session_tokens.suite.plugin import fail_check, warn_check


def test_secret_cannot_be_committed(claude_session, record_property):
    destination = claude_session.settings.secret_path().absolute()
    verdict = check_destination(destination)
    claude_session.git_verdict = verdict  # git is asked once per run: the render step reuses the answer
    record_property("secret_destination", str(destination))
    problems = []
    refusal = git_refusal(destination, verdict) if not verdict.safe else None
    if refusal and claude_session.settings.dry_run:
        problem = (f"{destination} is inside the git work tree {verdict.work_tree} and git does not ignore it"
                   if verdict.gitignore_line else verdict.note)
        warn_check(Finding(
            cause=f"{problem[0].upper()}{problem[1:]}; --dry-run writes nothing, but a run without it would "
                  "refuse this path.",
            why="a Secret inside a git work tree must be ignored there, or it may be committed (FR-008).",
            remedy=refusal.remedy))
    elif refusal:
        problems.append(f"{refusal.cause} Fix: {refusal.remedy}")
    for root, top in scan_plan(claude_session.settings.project_root, verdict.work_tree, verdict.asked_in):
        problems += _committed_secrets(root, top)
    if problems:
        fail_check(Finding(
            cause="A Secret with session tokens could be, or already is, committed to git:",
            why="a commit publishes live tokens to everyone who can read the repository (FR-008, SC-006).",
            remedy="apply the fixes listed above",
            details=tuple(problems),
        ))
    if verdict.work_tree is None and "not found" in verdict.note:
        warn_check(Finding(cause=verdict.note[0].upper() + verdict.note[1:] + ".",
                           why="the suite cannot prove that the Secret stays out of version control.",
                           remedy="install git, or keep the Secret outside any repository"))


def _committed_secrets(root: Path, top: Path | None = None) -> list[str]:
    """A line (with its fix) for each Secret carrying session keys that ``root``'s git tracks."""
    committed, note = tracked_session_secrets(root, top)
    problems = []
    if note.startswith(SCAN_FAILED):
        problems.append(f"{note}. Fix: see git's own message: git -C {quoted(root)} ls-files   and fix what it says")
    for name in committed:
        problems.append(f"{name} is tracked by git in {root} and is a Secret carrying session keys. "
                        f"Fix: git -C {quoted(root)} rm --cached -- {quoted(name)}   then add the line   "
                        f"{gitignore_line(Path(name))}   to .gitignore, commit, and sign in again "
                        f"({RELOGIN}): those tokens are leaked")
    return problems
