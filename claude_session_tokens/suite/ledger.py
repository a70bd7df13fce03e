"""The ledger of a run: every check, what became of it, and the status of each requirement.

:class:`Outcome` is what became of one check, :class:`Status` what the final table says of one
requirement. Both are string enums: their values are the words the terminal, the JUnit XML and
summary.md show, so the text of every report is the enum's value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from claude_session_tokens.core.findings import Blocker, Finding
from claude_session_tokens.core.requirements import REQUIREMENTS, table_ids


class _Words(str, Enum):
    """A string enum that reads as its value in str() and f-strings (enum.StrEnum is 3.11+)."""

    def __str__(self) -> str:
        return str(self.value)

    def __format__(self, spec: str) -> str:
        return format(str(self.value), spec)


class Outcome(_Words):
    """What became of one check in this run."""

    NOT_RUN = "not run"
    PASSED = "passed"
    SKIPPED_BY_DESIGN = "skipped by design"  # the fresh-login checks without --fresh-login; N/A checks
    SKIPPED = "skipped"
    REFUSED = "refused"  # the check did not run because earlier checks failed
    BLOCKED = "blocked"  # the render gate was closed
    FAILED = "failed"
    ERROR = "error"

    @property
    def rank(self) -> int:
        """Later phases never hide an earlier, worse outcome: a higher rank wins."""
        return list(Outcome).index(self)


class Status(_Words):
    """The status of one requirement in the final table."""

    PASS = "PASS"
    FAIL = "FAIL"
    SKIP = "SKIP"
    NOT_RUN = "NOT RUN"
    NOT_APPLICABLE = "N/A"
    READY = "READY"


NOT_APPLICABLE = "N/A: "  # the prefix of a skip-by-design reason that says the check does not apply
READY = Status.READY
LEGEND = {
    Status.READY: "READY: not done in this run, but shown to be possible: the claude CLI has the commands "
                  "(FR-001 'claude auth logout', FR-002 'claude auth login'); the fresh login itself was not "
                  "requested (--fresh-login)",
    Status.NOT_APPLICABLE: "N/A: does not apply to a setup-token token (--oauth-token-file, --setup-token): nothing "
                           "was proven about it, and it does not block the Secret; the reason is given per requirement",
}


@dataclass
class Verdict:
    nodeid: str
    requirements: tuple[str, ...]
    outcome: Outcome = Outcome.NOT_RUN
    message: str = ""
    remedy: str = ""
    details: tuple[str | Blocker, ...] = ()
    warnings: list[Finding] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.outcome = Outcome(self.outcome)


@dataclass
class Ledger:
    """Every check of the run and what became of it."""

    verdicts: dict[str, Verdict] = field(default_factory=dict)
    deselected: list[str] = field(default_factory=list)
    sections: list[tuple[str, list[str]]] = field(default_factory=list)
    run_properties: list[tuple[str, str]] = field(default_factory=list)
    # requirement -> why it does not apply to this run's credential kind (credential_kind.py)
    not_applicable: dict[str, str] = field(default_factory=dict)

    def record(self, nodeid: str, outcome: Outcome | str, message: str = "", remedy: str = "",
               details: tuple[str | Blocker, ...] = ()) -> None:
        verdict = self.verdicts[nodeid]
        outcome = Outcome(outcome)
        if outcome.rank >= verdict.outcome.rank:
            verdict.outcome, verdict.message = outcome, message or verdict.message
            verdict.remedy = remedy or verdict.remedy
            verdict.details = tuple(details) or verdict.details

    def requirement_status(self, requirement: str) -> tuple[Status, str]:
        """(PASS/FAIL/SKIP/NOT RUN/N/A/READY, note) for one requirement over all checks tagged with it."""
        if requirement in self.not_applicable:  # never PASS: nothing was proven about it
            return Status.NOT_APPLICABLE, self.not_applicable[requirement]
        tagged = [v for v in self.verdicts.values() if requirement in v.requirements
                  and not (v.outcome == Outcome.SKIPPED_BY_DESIGN and v.message.startswith(NOT_APPLICABLE))]
        outcomes = {v.outcome for v in tagged}
        failed = [v for v in tagged if v.outcome in (Outcome.FAILED, Outcome.ERROR)]
        if failed:
            return Status.FAIL, failed[0].remedy or failed[0].message.splitlines()[0]
        skipped = [v for v in tagged if v.outcome == Outcome.SKIPPED]
        if skipped:
            return Status.SKIP, skipped[0].message
        blocked = [v for v in tagged if v.outcome == Outcome.BLOCKED]
        left_out = [v for v in tagged if v.nodeid in self.deselected]
        if Outcome.PASSED in outcomes and left_out:  # not proven: a check of it was deselected (-k, -m)
            return Status.NOT_RUN, f"deselected: {left_out[0].nodeid.split('/')[-1]}"
        if Outcome.PASSED in outcomes:
            design = [v for v in tagged if v.outcome == Outcome.SKIPPED_BY_DESIGN]
            if design and not blocked:  # proven possible (the CLI can), but not done in this run
                return Status.READY, design[0].message
            note = blocked[0].message if blocked else (design[0].message if design else "")
            return Status.PASS, note
        if blocked:
            return Status.FAIL, blocked[0].message
        refused = [v for v in tagged if v.outcome == Outcome.REFUSED]
        if refused:
            return Status.NOT_RUN, refused[0].message
        if Outcome.SKIPPED_BY_DESIGN in outcomes:
            return Status.SKIP, next(v.message for v in tagged if v.outcome == Outcome.SKIPPED_BY_DESIGN)
        return Status.NOT_RUN, ("deselected" if any(v.nodeid in self.deselected for v in tagged) else "")

    def table(self) -> list[tuple[str, str, Status, str]]:
        return [(rid, REQUIREMENTS[rid], *self.requirement_status(rid)) for rid in table_ids()]

    def legend(self) -> list[str]:
        """What the statuses of the table that need explaining mean (READY, N/A)."""
        shown = {status for _, _, status, _ in self.table()}
        return [LEGEND[s] for s in LEGEND if s in shown]
