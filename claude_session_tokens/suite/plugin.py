"""The pytest surface of the suite: every hook and fixture, in this one plugin.

Loaded for every pytest run of the project (``-p claude_session_tokens.suite.pytest_options``
in ``pyproject.toml`` names it), it does its work on the checks alone: only a run of
``checks/`` (``pytest checks``, ``pytest``, ``python render_secret.py``) gets a session under
test, a spelling of its remedies, reports and the final table; in other runs (``pytest tests``)
it only guards and records items that live in ``checks/``.

Checks say what is wrong with :func:`fail_check` (or by letting a
:class:`~claude_session_tokens.core.findings.FindingError` escape), note softer problems with
:func:`warn_check`, and skip only with :func:`skip_by_design`. This plugin turns those into
pytest's short failure form (never a traceback, so never a local variable holding a token),
records ``requirement``/``remedy``/``warning`` properties for the JUnit XML, and at the end
prints and writes the table of every FR and SC of the spec. The run's state is one
:class:`~claude_session_tokens.suite.run_state.RunState` (:func:`run_state`).

PYTEST_DONT_REWRITE: this module holds no ``assert``; ``render_secret.py`` imports it before
``pytest.main`` loads it as a plugin, and pytest would otherwise warn in every such run's report
that it cannot rewrite an imported module.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Generator
from pathlib import Path

import pytest

from claude_session_tokens.core import remedy as remedies
from claude_session_tokens.core import signals
from claude_session_tokens.core.atomic import write_atomically
from claude_session_tokens.core.findings import (
    BUG_REPORT,
    Blocker,
    Finding,
    FindingError,
)
from claude_session_tokens.core.remedy import RUN_AGAIN
from claude_session_tokens.core.requirements import is_known
from claude_session_tokens.suite import gate, registry, timeouts
from claude_session_tokens.suite.ledger import (  # noqa: F401 - LEGEND, READY: part of this module's surface
    LEGEND,
    NOT_APPLICABLE,
    READY,
    Ledger,
    Outcome,
    Status,
    Verdict,
)
from claude_session_tokens.suite.options import Settings
from claude_session_tokens.suite.run_state import (
    RunState,
    current_item,
    ended,
    run_state,
    started,
)
from claude_session_tokens.suite.session import SessionUnderTest

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
    """Refuse to run the check: ``finding.details`` are the earlier failures that stop it, as the
    :class:`~claude_session_tokens.core.findings.Blocker` values
    :func:`claude_session_tokens.suite.gate.earlier_failures` returns."""
    raise CheckNotRun(finding)


def skip_by_design(reason: str) -> None:
    raise SkippedByDesign(reason, allow_module_level=False)


def warn_check(finding: Finding) -> None:
    """Report ``finding`` as a warning of the running check: shown, recorded, not blocking."""
    item = current_item()
    if item is not None:
        item.stash.setdefault(_WARNINGS, []).append(finding)
    warnings.warn(SessionWarning(finding.message()), stacklevel=2)


def record_section(title: str, lines: list[str]) -> None:
    """Show ``lines`` under ``title`` in the final summary and summary.md (e.g. the listing)."""
    item = current_item()
    if item is not None:
        item.stash.setdefault(_SECTIONS, []).append((title, list(lines)))


def is_check(item: pytest.Item) -> bool:
    return CHECKS_DIR in Path(str(item.path)).resolve().parents


_WARNINGS = pytest.StashKey[list]()  # per check item, not per run
_SECTIONS = pytest.StashKey[list]()


def ledger(config: pytest.Config) -> Ledger:
    return run_state(config).ledger


# --- the start of the run ------------------------------------------------------------------

def runs_checks(config: pytest.Config) -> bool:
    """True when every path the run was given lies in checks/ (``pytest checks``, ``pytest``)."""
    paths = [Path(a.split("::")[0]) for a in config.args]
    resolved = [(p if p.is_absolute() else Path(config.invocation_params.dir) / p).resolve() for p in paths]
    return bool(resolved) and all(p == CHECKS_DIR or CHECKS_DIR in p.parents for p in resolved)


def _settings(config: pytest.Config) -> Settings | None:
    """The options of this run as :class:`Settings`, built once; None when they cannot be read."""
    try:
        return Settings.from_values(config.getoption, PROJECT_ROOT)
    except (ValueError, TypeError):
        return None  # judged (and refused) by a run of checks/, which builds them in start_checks


@pytest.hookimpl(tryfirst=True)  # before junitxml's: the run's --junitxml default is set here
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", f"{MARKER}(*ids): the spec requirements (FR-00x, SC-00x, USx.y) a check proves")
    state = run_state(config)
    started(state)
    signals.install()  # SIGTERM and SIGHUP take Ctrl+C's path: every clean-up runs, then exit 128 + n
    if not runs_checks(config):
        state.settings = _settings(config)  # for the time limits of checks collected anyway
        return
    start_checks(config, state)


def start_checks(config: pytest.Config, state: RunState) -> None:
    """A run of checks/: its settings, session, spelling of remedies and reports, or a usage error."""
    from claude_session_tokens.k8s.destination import run_destination_problem
    from claude_session_tokens.kinds import token_stdin
    from claude_session_tokens.suite.report_paths import reports_problem
    from claude_session_tokens.suite.spelling import spelling_for

    settings = state.settings = Settings.from_values(config.getoption, PROJECT_ROOT)
    if settings.usage_problem():
        raise pytest.UsageError(settings.usage_problem())
    session = state.session = SessionUnderTest(settings)
    state.kind = session.kind
    state.ledger.not_applicable = dict(session.kind.requirements_na)
    # every remedy of this run is spelled for its front door, platform, CLI and profile
    state.spelling = spelling_for(session, PROJECT_ROOT)
    remedies.use(state.spelling)
    destination = run_destination_problem(session)
    if destination:
        raise pytest.UsageError(destination)
    if settings.oauth_token_file == "-":  # after the usage checks: a refused command line reads nothing
        session.stdin_token = token_stdin.read_before_capture(config)
    reports = settings.reports_path()
    if not config.option.xmlpath:
        config.option.xmlpath = str(reports / "junit.xml")
    problem = reports_problem(reports, config.option.xmlpath)
    if problem:
        raise pytest.UsageError(problem)
    state.summary_path = str(reports / "summary.md")


def pytest_unconfigure(config: pytest.Config) -> None:
    state = run_state(config)
    if state.spelling is not None:
        remedies.use(remedies.Spelling())  # the next run (in this process) spells its own
    ended(state)
    signals.uninstall()


def pytest_sessionstart(session: pytest.Session) -> None:
    """summary.md names the session's paths also when pytest prints no header (``-q``, render_secret.py)."""
    state = run_state(session.config)
    if state.session is not None and not state.ledger.run_properties:
        state.ledger.run_properties = state.session.describe()


def pytest_report_header(config: pytest.Config) -> list[str]:
    state = run_state(config)
    if state.session is None:
        return []
    described = state.session.describe()
    state.ledger.run_properties = described
    return [f"{name}: {value}" for name, value in described]


# --- the fixtures --------------------------------------------------------------------------

def claude_session(request: pytest.FixtureRequest) -> SessionUnderTest:
    state = run_state(request.config)
    if state.session is None:
        pytest.fail("the checks run through 'pytest checks' from the project", pytrace=False)
    session = state.session
    session.start_listing()  # FR-005's walk of the directory runs in the background from now on
    from claude_session_tokens.session.temp_copies import stale_copies_finding
    stale = stale_copies_finding()  # copies of a session that a killed run left in the temp dir
    if stale:
        warn_check(stale)
    return session


# The public fixture is documented by its class, as pytest-testinfra documents ``host``:
# ``pytest --fixtures`` shows SessionUnderTest's docstring, the reference of what a check may use.
claude_session.__doc__ = SessionUnderTest.__doc__
claude_session = pytest.fixture(scope="session")(claude_session)


@pytest.fixture(scope="session", autouse=True)
def _record_run_properties(request: pytest.FixtureRequest,
                           record_testsuite_property: Callable[[str, object], None]) -> None:
    """The resolved session paths go into the JUnit XML's testsuite properties."""
    state = run_state(request.config)
    if state.session is not None:
        for name, value in state.session.describe():
            record_testsuite_property(name.replace(" ", "_"), value)
        for rid, reason in state.ledger.not_applicable.items():
            record_testsuite_property(f"{rid}_not_applicable", reason)


@pytest.fixture
def secret_gate(request: pytest.FixtureRequest) -> list[Blocker]:
    """Why the Secret must not be rendered by this run; empty when the gate is open (gate.py)."""
    book = ledger(request.config)
    uncollected = gate.uncollected_check_files(CHECKS_DIR, book.verdicts)
    return gate.blocking_reasons(book, request.node.nodeid, uncollected)


# --- the checks ----------------------------------------------------------------------------


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int | pytest.ExitCode) -> None:
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
    settings = run_state(config).settings
    if settings is not None:  # the login and prompt limits beat pytest-timeout's
        timeouts.raise_limits(config, items, settings)


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
    run_state(item.config).current_item = item
    try:
        return (yield)
    except (Exception, pytest.fail.Exception) as exc:  # noqa: BLE001 - the point is to catch all
        converted = _convert(exc)
        if converted is exc:
            raise
        raise converted from None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, object, object]:
    kind = run_state(item.config).kind
    reason = registry.not_applicable(Path(str(item.path)).name, kind) if kind is not None and is_check(item) else None
    if reason:
        skip_by_design(NOT_APPLICABLE + reason)
    return (yield from _guarded(item))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, object, object]:
    return (yield from _guarded(item))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Generator[None, object, object]:
    try:
        return (yield from _guarded(item))
    finally:
        run_state(item.config).current_item = None


def _add_property(item: pytest.Item, report: pytest.TestReport, name: str, value: str) -> None:
    """A JUnit property. junitxml writes the *teardown* report's properties, and each report holds
    a copy of ``item.user_properties`` made when it was created; so a property learnt in setup or
    call goes on the item (the teardown report copies it), one learnt in teardown on the report."""
    target = report.user_properties if report.when == "teardown" else item.user_properties
    target.append((name, value))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item,
                              call: pytest.CallInfo) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if not is_check(item):
        return report
    book = ledger(item.config)
    exc = call.excinfo.value if call.excinfo else None
    if isinstance(exc, SkippedByDesign):
        _add_property(item, report, "skipped_by_design", str(exc.msg))
        if str(exc.msg).startswith(NOT_APPLICABLE):
            _add_property(item, report, "not_applicable", str(exc.msg).removeprefix(NOT_APPLICABLE))
        book.record(item.nodeid, Outcome.SKIPPED_BY_DESIGN, str(exc.msg))
    elif report.skipped:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        book.record(item.nodeid, Outcome.SKIPPED, reason.removeprefix("Skipped: "))
    elif report.failed:
        finding = exc.finding if isinstance(exc, CheckFailed) else None
        message = finding.message() if finding else str(report.longrepr)
        remedy = str(finding.remedy) if finding else ""
        if remedy:
            _add_property(item, report, "remedy", remedy)
        if isinstance(exc, CheckNotRun):
            book.record(item.nodeid, Outcome.REFUSED, "not run: first fix " + "; ".join(
                f"{ids} ({check})" if check else ids for ids, check in blockers(finding.details)),
                remedy, finding.details)
        elif finding is not None and finding.gate_closed:
            ids = sorted({ids for ids, _ in blockers(finding.details)})
            book.record(item.nodeid, Outcome.BLOCKED, "not rendered: first fix what blocked it: " + "; ".join(ids),
                        remedy, finding.details)
        else:
            book.record(item.nodeid, Outcome.FAILED if call.when == "call" else Outcome.ERROR, message, remedy,
                        finding.details if finding else ())
    elif call.when == "call":
        book.record(item.nodeid, Outcome.PASSED)
    if call.when == "teardown":
        verdict = book.verdicts[item.nodeid]
        verdict.warnings = list(item.stash.get(_WARNINGS, []))
        for finding in verdict.warnings:
            report.user_properties.append(("warning", finding.cause))
        book.sections.extend(item.stash.get(_SECTIONS, []))
    return report


def blockers(details: tuple[str | Blocker, ...]) -> list[tuple[str, str]]:
    """(requirement IDs, check file) of each :class:`Blocker` among ``details``, in order, each once;
    other details (such as the line that says the session is spent) are left out."""
    found = []
    for detail in details:
        if isinstance(detail, Blocker) and (detail.ids, detail.check_file) not in found:
            found.append((detail.ids, detail.check_file))
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
def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, exitstatus: int | pytest.ExitCode,
                            config: pytest.Config) -> None:
    """After the other plugins' summaries: with --dry-run (FR-007) the Secret (to the terminal,
    never to a file), then the sections, the requirements table and summary.md."""
    state = run_state(config)
    result = state.result
    if result is not None and result.dry_run and not state.prints_dry_run_itself:
        terminalreporter.write_sep("-", "Secret (--dry-run: printed, not written)")
        terminalreporter.write(result.text)
    write_requirements(terminalreporter, state)


def write_requirements(tr: pytest.TerminalReporter, state: RunState) -> None:
    """The sections, the requirements table and its legend on the terminal; summary.md on disk."""
    book = state.ledger
    if not book.verdicts:
        return
    for title, body in book.sections:
        tr.write_sep("-", title)
        for line in body:
            tr.write_line(line)
    tr.write_sep("=", "requirements")
    for rid, title, status, note in book.table():
        tr.write_line(f"{rid}  {status:<7}  {title}")
        if note and status != Status.PASS:
            tr.write_line(f"         {'fix' if status == Status.FAIL else 'note'}: {note.splitlines()[0]}")
    for line in book.legend():
        tr.write_line(line)
    summary_path = Path(state.summary_path) if state.summary_path else None
    if summary_path is not None:
        try:
            text = "\n".join(render_summary(book)) + "\n"  # a path may hold undecodable bytes: escape them
            write_atomically(summary_path, text.encode("utf-8", "backslashreplace"),
                             mode=0o644, dir_mode=0o755)
            tr.write_line(f"summary: {summary_path}")
        except OSError as exc:
            tr.write_line(f"summary not written to {summary_path}: {exc.strerror}")

