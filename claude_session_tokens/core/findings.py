"""What a check reports when something is wrong: the cause, why it matters, and the fix.

Every failure and warning of the suite is a :class:`Finding`. Its text is built only from
paths, names, counts and types, never from file contents, so it is safe to print anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from claude_session_tokens.core.remedy import Remedy

# The remedy for a bug in the suite itself: the exact commands that collect what a report needs.
BUG_REPORT = ("collect the versions:   python -m pip show claude-session-tokens pytest; claude --version   "
              "and open an issue in the claude-session-tokens repository you installed from, with them and "
              "reports/summary.md (it never holds a token)")


@dataclass(frozen=True)
class Finding:
    """One problem, explained for the person who has to fix it."""

    cause: str
    why: str
    remedy: str | Remedy  # a Remedy is spelled for the run when the finding is shown
    details: tuple[str | Blocker, ...] = field(default=())
    # True when the finding only says that *other* checks failed (the render gate is closed):
    # the requirements of such a check are then judged by the checks that really ran.
    gate_closed: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.remedy, str):  # a Remedy: spelled now, for the run it is found in
            object.__setattr__(self, "remedy", str(self.remedy))

    def message(self) -> str:
        """The text shown in pytest's short failure form, the JUnit XML and the summary."""
        lines = [self.cause, f"Why it matters: {self.why}"]
        lines += [f"  {d}" for d in self.details]
        lines.append(f"Fix: {self.remedy}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.message()


def os_reason(exc: BaseException) -> str:
    """The words shown for an OS error: its message (``Permission denied``), else its type's name."""
    return getattr(exc, "strerror", None) or type(exc).__name__


@dataclass(frozen=True)
class Blocker:
    """A check that keeps the Secret (or the test prompt) from going ahead, as data.

    ``ids`` are the requirements the check leaves unproven (``"FR-004, SC-002"``, or ``"no
    requirement"``), ``check`` the check as the run names it (``test_40_test_prompt.py::test_p``,
    or a file the run did not collect), ``what`` what happened to it (``"failed"``, ``"was
    skipped"``, ...) and ``note`` the first line of its own message, if any. A Finding carries
    blockers in its details; each front door shows them with ``str()``.
    """

    ids: str
    check: str
    what: str
    note: str = ""

    @property
    def check_file(self) -> str:
        return self.check.split("::")[0]

    def __str__(self) -> str:
        return f"{self.ids}: {self.check} {self.what}" + (f" ({self.note})" if self.note else "")


class FindingError(Exception):
    """Raised by plain functions when they cannot go on; carries the :class:`Finding` to show."""

    def __init__(self, finding: Finding) -> None:
        super().__init__(finding.cause)
        self.finding = finding
