"""The pytest side of the suite: verdicts, requirement tags, the final table and summary.md.

Checks say what is wrong with :func:`fail_check` (or by letting a
:class:`~claude_session_tokens.core.findings.FindingError` escape), note softer problems with
:func:`warn_check`, and skip only with :func:`skip_by_design`. This plugin turns those into
pytest's short failure form (never a traceback, so never a local variable holding a token),
records ``requirement``/``remedy``/``warning`` properties for the JUnit XML, and at the end
prints and writes the table of every FR and SC of the spec.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from claude_session_tokens.core import signals
from claude_session_tokens.core.atomic import write_atomically
from claude_session_tokens.core.findings import BUG_REPORT, Finding, FindingError
from claude_session_tokens.core.remedy import RUN_AGAIN
from claude_session_tokens.core.requirements import REQUIREMENTS, is_known, table_ids
from claude_session_tokens.suite import registry

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CHECKS_DIR = PROJECT_ROOT / "checks"
MARKER = "requirement"
RENDER_CHECK_FILE = registry.the(registry.Role.RENDER).file


class SessionWarning(UserWarning):
    """A problem worth knowing that does not block the Secret."""


class CheckFailed(pytest.fail.Exception):  # type: ignore[misc,name-defined]
    """A check's verdict: shown as its message only, never with a traceback."""

    def __init__(self, finding: Finding) -> None:
        super().__init__(finding.message(), pytrace=False)
        self.finding = finding


class CheckNotRun(CheckFailed):
    """A check that refused to run because checks before it failed (the finding's details name
    them). Its testcase still fails, so CI stays red; the table shows its requirements as
    NOT RUN, naming what to fix first, instead of as failures of their own."""


class SkippedByDesign(pytest.skip.Exception):  # type: ignore[misc,name-defined]
    """A skip that does not block the Secret (the fresh-login checks without --fresh-login)."""


def fail_check(finding: Finding) -> None:
    raise CheckFailed(finding)


def not_run_check(finding: Finding) -> None:
    """Refuse to run the check: ``finding.details`` are the earlier failures that stop it, each
    starting ``"<IDs>: <check file> ..."`` (as :func:`claude_session_tokens.suite.gate.earlier_failures` words them)."""
    raise CheckNotRun(finding)


def skip_by_design(reason: str) -> None:
    raise SkippedByDesign(reason, allow_module_level=False)


def warn_check(finding: Finding) -> None:
    """Report ``finding`` as a warning of the running check: shown, recorded, not blocking."""
    item = _CURRENT.get("item")
    if item is not None:
        item.stash.setdefault(_WARNINGS, []).append(finding)
    warnings.warn(SessionWarning(finding.message()), stacklevel=2)


def record_section(title: str, lines: list[str]) -> None:
    """Show ``lines`` under ``title`` in the final summary and summary.md (e.g. the listing)."""
    item = _CURRENT.get("item")
    if item is not None:
        item.stash.setdefault(_SECTIONS, []).append((title, list(lines)))


def is_check(item: pytest.Item) -> bool:
    return CHECKS_DIR in Path(str(item.path)).resolve().parents


_CURRENT: dict[str, pytest.Item | None] = {"item": None}
_WARNINGS = pytest.StashKey[list]()
_SECTIONS = pytest.StashKey[list]()


@dataclass
class Verdict:
    nodeid: str
    requirements: tuple[str, ...]
    # passed, failed, error, skipped, skipped by design, blocked (the render gate was closed),
    # refused (the check did not run because earlier checks failed), not run
    outcome: str = "not run"
    message: str = ""
    remedy: str = ""
    details: tuple[str, ...] = ()
    warnings: list[Finding] = field(default_factory=list)


@dataclass
class Ledger:
    """Every check of the run and what became of it."""

    verdicts: dict[str, Verdict] = field(default_factory=dict)
    deselected: list[str] = field(default_factory=list)
    sections: list[tuple[str, list[str]]] = field(default_factory=list)
    run_properties: list[tuple[str, str]] = field(default_factory=list)
    # requirement -> why it does not apply to this run's credential kind (credential_kind.py)
    not_applicable: dict[str, str] = field(default_factory=dict)

    def record(self, nodeid: str, outcome: str, message: str = "", remedy: str = "",
               details: tuple[str, ...] = ()) -> None:
        verdict = self.verdicts[nodeid]
        order = ["not run", "passed", "skipped by design", "skipped", "refused", "blocked", "failed", "error"]
        if order.index(outcome) >= order.index(verdict.outcome):
            verdict.outcome, verdict.message = outcome, message or verdict.message
            verdict.remedy = remedy or verdict.remedy
            verdict.details = tuple(details) or verdict.details

    def requirement_status(self, requirement: str) -> tuple[str, str]:
        """(PASS/FAIL/SKIP/NOT RUN/N/A, note) for one requirement over all checks tagged with it."""
        if requirement in self.not_applicable:  # never PASS: nothing was proven about it
            return "N/A", self.not_applicable[requirement]
        tagged = [v for v in self.verdicts.values() if requirement in v.requirements
                  and not (v.outcome == "skipped by design" and v.message.startswith(NOT_APPLICABLE))]
        outcomes = {v.outcome for v in tagged}
        failed = [v for v in tagged if v.outcome in ("failed", "error")]
        if failed:
            return "FAIL", failed[0].remedy or failed[0].message.splitlines()[0]
        skipped = [v for v in tagged if v.outcome == "skipped"]
        if skipped:
            return "SKIP", skipped[0].message
        blocked = [v for v in tagged if v.outcome == "blocked"]
        left_out = [v for v in tagged if v.nodeid in self.deselected]
        if "passed" in outcomes and left_out:  # not proven: a check of it was deselected (-k, -m)
            return "NOT RUN", f"deselected: {left_out[0].nodeid.split('/')[-1]}"
        if "passed" in outcomes:
            design = [v for v in tagged if v.outcome == "skipped by design"]
            if design and not blocked:  # proven possible (the CLI can), but not done in this run
                return READY, design[0].message
            note = blocked[0].message if blocked else (design[0].message if design else "")
            return "PASS", note
        if blocked:
            return "FAIL", blocked[0].message
        refused = [v for v in tagged if v.outcome == "refused"]
        if refused:
            return "NOT RUN", refused[0].message
        if "skipped by design" in outcomes:
            return "SKIP", next(v.message for v in tagged if v.outcome == "skipped by design")
        return "NOT RUN", ("deselected" if any(v.nodeid in self.deselected for v in tagged) else "")

    def table(self) -> list[tuple[str, str, str, str]]:
        return [(rid, REQUIREMENTS[rid], *self.requirement_status(rid)) for rid in table_ids()]

    def legend(self) -> list[str]:
        """What the statuses of the table that need explaining mean (READY, for now)."""
        shown = {status for _, _, status, _ in self.table()}
        return [LEGEND[s] for s in LEGEND if s in shown]


READY = "READY"
LEGEND = {
    READY: "READY: not done in this run, but shown to be possible: the claude CLI has the commands "
           "(FR-001 'claude auth logout', FR-002 'claude auth login'); the fresh login itself was not "
           "requested (--fresh-login)",
    "N/A": "N/A: does not apply to a setup-token token (--oauth-token-file, --setup-token): nothing was proven "
           "about it, and it does not block the Secret; the reason is given per requirement",
}


LEDGER_KEY = pytest.StashKey[Ledger]()
KIND_KEY = pytest.StashKey[object]()  # the run's credential_kind.CredentialKind
NOT_APPLICABLE = "N/A: "


def ledger(config: pytest.Config) -> Ledger:
    return config.stash.setdefault(LEDGER_KEY, Ledger())


# --- hooks ---------------------------------------------------------------------------------

def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", f"{MARKER}(*ids): the spec requirements (FR-00x, SC-00x, USx.y) a check proves")
    ledger(config)
    signals.install()  # SIGTERM and SIGHUP take Ctrl+C's path: every clean-up runs, then exit 128 + n


def pytest_unconfigure(config: pytest.Config) -> None:
    signals.uninstall()


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus) -> None:
    """A run stopped by SIGTERM or SIGHUP exits 143 or 129 (pytest itself says 2, interrupted)."""
    signum = signals.received()
    if signum and int(exitstatus) == int(pytest.ExitCode.INTERRUPTED):
        session.exitstatus = 128 + signum


def pytest_itemcollected(item: pytest.Item) -> None:
    """Tag a check with the requirement IDs the registry gives its file (registry.py is their one source)."""
    if not is_check(item):
        return
    name = Path(str(item.path)).name
    check = registry.by_file(name)
    if check is None:
        raise pytest.UsageError(f"{item.nodeid}: {name} is not in the registry of checks, so the suite does not "
                                f"know which requirements it proves. Fix: add Check(\"{name}\", (<requirement "
                                "IDs>)) to CHECKS in claude_session_tokens/suite/registry.py")
    if item.get_closest_marker(MARKER) is not None:
        raise pytest.UsageError(f"{item.nodeid}: a check takes its requirement IDs from the registry of checks, "
                                f"not from its own @pytest.mark.{MARKER}(...). Fix: remove the marker; the IDs "
                                "belong in CHECKS in claude_session_tokens/suite/registry.py")
    item.add_marker(getattr(pytest.mark, MARKER)(*check.requirements))


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    book = ledger(config)
    for item in items:
        if not is_check(item):
            continue
        ids = tuple(i for m in item.iter_markers(MARKER) for i in m.args)
        unknown = [i for i in ids if not is_known(i)]
        if not ids or unknown:
            raise pytest.UsageError(f"{item.nodeid}: every check needs requirement IDs from the spec in the "
                                    f"registry of checks (registry.py); unknown: {unknown or 'none given'}")
        for rid in ids:
            item.user_properties.append(("requirement", rid))
        book.verdicts[item.nodeid] = Verdict(item.nodeid, ids)
    # The checks run in the order their numbers promise, whatever order the paths were given in
    # (``pytest checks/test_40_test_prompt.py checks``): the fresh login first, the offline Secret
    # checks before the prompt, and the render step, which judges every other verdict, last.
    items.sort(key=run_order)


def run_order(item: pytest.Item) -> tuple[bool, str]:
    """Sort key: checks by file name (a file's checks keep their order), the render check last."""
    if not is_check(item):
        return (False, "")
    name = Path(str(item.path)).name
    return (name == RENDER_CHECK_FILE, name)


def pytest_deselected(items: list[pytest.Item]) -> None:
    for item in items:
        if is_check(item):
            book = ledger(item.config)
            ids = tuple(i for m in item.iter_markers(MARKER) for i in m.args)
            book.verdicts.setdefault(item.nodeid, Verdict(item.nodeid, ids))
            book.deselected.append(item.nodeid)


def _convert(exc: BaseException) -> BaseException:
    """Turn anything a check raised into a verdict without a traceback."""
    if isinstance(exc, (CheckFailed, pytest.skip.Exception)):
        return exc
    if isinstance(exc, FindingError):
        return CheckFailed(exc.finding)
    if isinstance(exc, pytest.fail.Exception):
        return CheckFailed(Finding(cause=str(getattr(exc, "msg", "")) or "The check failed.",
                                   why="the check could not finish.",
                                   remedy=f"run the checks again: {RUN_AGAIN}   (if it fails the same way, "
                                          + BUG_REPORT + ")"))
    return CheckFailed(Finding(
        cause=f"The check stopped on an unexpected {type(exc).__name__}.",
        why="this is a bug in claude-session-tokens, not in your session; details are withheld "
            "because they could contain a token.",
        remedy=BUG_REPORT + "; name the check that stopped",
    ))


def _guarded(item: pytest.Item):
    """Wrap a runtest phase of a check so no exception escapes as a traceback."""
    if not is_check(item):
        return (yield)
    _CURRENT["item"] = item
    try:
        return (yield)
    except (Exception, pytest.fail.Exception) as exc:  # noqa: BLE001 - the point is to catch all
        converted = _convert(exc)
        if converted is exc:
            raise
        raise converted from None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item):
    kind = item.config.stash.get(KIND_KEY, None)
    reason = registry.not_applicable(Path(str(item.path)).name, kind) if kind is not None and is_check(item) else None
    if reason:
        skip_by_design(NOT_APPLICABLE + reason)
    return (yield from _guarded(item))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):
    return (yield from _guarded(item))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem):
    try:
        return (yield from _guarded(item))
    finally:
        _CURRENT["item"] = None


def _add_property(item: pytest.Item, report: pytest.TestReport, name: str, value: str) -> None:
    """A JUnit property. junitxml writes the *teardown* report's properties, and each report holds
    a copy of ``item.user_properties`` made when it was created; so a property learnt in setup or
    call goes on the item (the teardown report copies it), one learnt in teardown on the report."""
    target = report.user_properties if report.when == "teardown" else item.user_properties
    target.append((name, value))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    if not is_check(item):
        return report
    book = ledger(item.config)
    exc = call.excinfo.value if call.excinfo else None
    if isinstance(exc, SkippedByDesign):
        _add_property(item, report, "skipped_by_design", str(exc.msg))
        if str(exc.msg).startswith(NOT_APPLICABLE):
            _add_property(item, report, "not_applicable", str(exc.msg).removeprefix(NOT_APPLICABLE))
        book.record(item.nodeid, "skipped by design", str(exc.msg))
    elif report.skipped:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        book.record(item.nodeid, "skipped", reason.removeprefix("Skipped: "))
    elif report.failed:
        finding = exc.finding if isinstance(exc, CheckFailed) else None
        message = finding.message() if finding else str(report.longrepr)
        remedy = str(finding.remedy) if finding else ""
        if remedy:
            _add_property(item, report, "remedy", remedy)
        if isinstance(exc, CheckNotRun):
            book.record(item.nodeid, "refused", "not run: first fix " + "; ".join(
                f"{ids} ({check})" if check else ids for ids, check in blockers(finding.details)),
                remedy, finding.details)
        elif finding is not None and finding.gate_closed:
            ids = sorted({ids for ids, _ in blockers(finding.details)})
            book.record(item.nodeid, "blocked", "not rendered: first fix what blocked it: " + "; ".join(ids),
                        remedy, finding.details)
        else:
            book.record(item.nodeid, "failed" if call.when == "call" else "error", message, remedy,
                        finding.details if finding else ())
    elif call.when == "call":
        book.record(item.nodeid, "passed")
    if call.when == "teardown":
        verdict = book.verdicts[item.nodeid]
        verdict.warnings = list(item.stash.get(_WARNINGS, []))
        for finding in verdict.warnings:
            report.user_properties.append(("warning", finding.cause))
        book.sections.extend(item.stash.get(_SECTIONS, []))
    return report


_BLOCKER = re.compile(r"^(?P<ids>(?:FR|SC)-\d{3}(?:, (?:FR|SC|US)[-\d.]+)*|no requirement|unknown requirements)"
                      r": (?P<check>test_\w+\.py)?")


def blockers(details: tuple[str, ...]) -> list[tuple[str, str]]:
    """(requirement IDs, check file or "") of each detail that names a blocking check, in order;
    other details (such as the line that says the session is spent) are left out."""
    found = []
    for detail in details:
        match = _BLOCKER.match(detail)
        if match and (match["ids"], match["check"] or "") not in found:
            found.append((match["ids"], match["check"] or ""))
    return found


# --- the end of the run --------------------------------------------------------------------

def render_summary(book: Ledger) -> list[str]:
    """The final table (and sections such as the listing) as Markdown lines."""
    lines = ["# claude-session-tokens: requirements", ""]
    for name, value in book.run_properties:
        lines.append(f"- **{name}**: {value}")
    if book.run_properties:
        lines.append("")
    lines += ["| Requirement | Status | What it means | Remedy / note |", "|---|---|---|---|"]
    for rid, title, status, note in book.table():
        note = note.replace("|", "\\|").replace("\n", " ")
        lines.append(f"| {rid} | {status} | {title} | {note} |")
    legend = book.legend()
    if legend:
        lines += ["", *(f"*{line}*" for line in legend)]
    warned = [(v.nodeid, w) for v in book.verdicts.values() for w in v.warnings]
    if warned:
        lines += ["", "## Warnings", ""]
        lines += [f"- {w.cause} Fix: {w.remedy}" for _, w in warned]
    for title, body in book.sections:
        lines += ["", f"## {title}", "", "```", *body, "```"]
    return lines


@pytest.hookimpl(trylast=True)
def pytest_terminal_summary(terminalreporter, exitstatus, config: pytest.Config) -> None:
    book = ledger(config)
    if not book.verdicts:
        return
    tr = terminalreporter
    for title, body in book.sections:
        tr.write_sep("-", title)
        for line in body:
            tr.write_line(line)
    tr.write_sep("=", "requirements")
    for rid, title, status, note in book.table():
        tr.write_line(f"{rid}  {status:<7}  {title}")
        if note and status != "PASS":
            tr.write_line(f"         {'fix' if status == 'FAIL' else 'note'}: {note.splitlines()[0]}")
    for line in book.legend():
        tr.write_line(line)
    summary_path = Path(config.stash[SUMMARY_PATH_KEY]) if SUMMARY_PATH_KEY in config.stash else None
    if summary_path is not None:
        try:
            text = "\n".join(render_summary(book)) + "\n"  # a path may hold undecodable bytes: escape them
            write_atomically(summary_path, text.encode("utf-8", "backslashreplace"),
                             mode=0o644, dir_mode=0o755)
            tr.write_line(f"summary: {summary_path}")
        except OSError as exc:
            tr.write_line(f"summary not written to {summary_path}: {exc.strerror}")


SUMMARY_PATH_KEY = pytest.StashKey[str]()
SESSION_KEY = pytest.StashKey[object]()  # the run's SessionUnderTest (conftest.py puts it there)
