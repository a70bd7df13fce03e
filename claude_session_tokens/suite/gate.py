"""The gate before the Secret: render only when every check of a complete run passed.

Blocking: a check that failed, errored, was skipped (other than by design), was deselected
(``-k``, ``-m``), did not run, or lives in a ``checks/test_*.py`` file the run did not collect
(``pytest checks/test_90_render_secret.py`` alone). The only skip that does not block is the
one by design: the fresh-login checks without ``--fresh-login``.

Each reason is a :class:`~claude_session_tokens.core.findings.Blocker`: the requirement it leaves
unproven, the check, and what happened to it, so the user knows what blocked the Secret.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from claude_session_tokens.core.findings import Blocker
from claude_session_tokens.core.remedy import RUN_AGAIN
from claude_session_tokens.suite import registry
from claude_session_tokens.suite.ledger import Ledger, Outcome, Verdict

BLOCKING_OUTCOMES = {
    Outcome.FAILED: "failed",
    Outcome.ERROR: "stopped with an error",
    Outcome.SKIPPED: "was skipped",
    Outcome.REFUSED: "was not run",  # e.g. the test prompt, after test_35 or test_38 failed
    Outcome.NOT_RUN: "did not run",
}


def _short(nodeid: str) -> str:
    return nodeid.split("/")[-1]


def _requirements(verdict: Verdict) -> str:
    return ", ".join(verdict.requirements) or "no requirement"


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""


def uncollected_check_files(checks_dir: Path, collected_nodeids: Iterable[str]) -> list[str]:
    """Names of ``checks/test_*.py`` files with no check in the run (not even a deselected one)."""
    collected = {nodeid.split("::")[0].replace("\\", "/").split("/")[-1] for nodeid in collected_nodeids}
    return sorted(p.name for p in checks_dir.glob("test_*.py") if p.name not in collected)


def declared_requirements(check_file: str) -> str:
    """The FR/SC IDs the registry gives a check file the run did not collect, in the spec's order."""
    check = registry.by_file(check_file)
    if check is None:
        return "unknown requirements"
    return ", ".join(check.table_requirements()) or "no requirement"


# When one of these failed, the test prompt does not run (registry.Role.RENDER_PREREQUISITE says why).
RENDER_PREREQUISITES = registry.files_with(registry.Role.RENDER_PREREQUISITE)


def earlier_failures(book: Ledger, nodeid: str, files: Iterable[str] = RENDER_PREREQUISITES) -> list[Blocker]:
    """Checks in ``files`` that already ran and failed, errored or were skipped (not by design)."""
    reasons = []
    wanted = set(files)
    for other, verdict in book.verdicts.items():
        what = BLOCKING_OUTCOMES.get(verdict.outcome) if verdict.outcome != Outcome.NOT_RUN else None
        if other != nodeid and what and _short(other).split("::")[0] in wanted:
            reasons.append(Blocker(_requirements(verdict), _short(other), what))
    return reasons


def blocking_reasons(book: Ledger, render_nodeid: str, uncollected: Iterable[str] = ()) -> list[Blocker]:
    """Why the Secret must not be rendered; empty when the gate is open."""
    reasons = []
    deselected = set(book.deselected)
    for nodeid, verdict in book.verdicts.items():
        if nodeid == render_nodeid:
            continue
        if nodeid in deselected:
            reasons.append(Blocker(_requirements(verdict), _short(nodeid), "was deselected (-k, -m or a node id); "
                                   "every check must run before the Secret is rendered"))
            continue
        what = BLOCKING_OUTCOMES.get(verdict.outcome)
        if what is None:  # passed, skipped by design
            continue
        note = _first_line(verdict.message).removeprefix("not run: ")
        reasons.append(Blocker(_requirements(verdict), _short(nodeid), what, note))
    for name in uncollected:
        ids = declared_requirements(name)
        reasons.append(Blocker(ids, name, "was not part of the run (a single file or a subset was given); "
                                          f"run the whole suite: {RUN_AGAIN}"))
    return reasons

