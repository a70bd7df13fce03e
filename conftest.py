"""pytest wiring of claude-session-tokens: options, the public fixture, reports, and the gate.

The logic lives in the ``claude_session_tokens`` package; this file only connects it to
pytest. ``claude_session`` is the one fixture checks need.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from claude_session_tokens.core import remedy
from claude_session_tokens.k8s.destination import run_destination_problem
from claude_session_tokens.kinds import token_stdin
from claude_session_tokens.session.temp_copies import stale_copies_finding
from claude_session_tokens.suite import gate, plugin, timeouts
from claude_session_tokens.suite.options import Settings
from claude_session_tokens.suite.plugin import (
    CHECKS_DIR,
    PROJECT_ROOT,
    SUMMARY_PATH_KEY,
    ledger,
)
from claude_session_tokens.suite.report_paths import reports_problem
from claude_session_tokens.suite.session import SessionUnderTest

_SESSION_KEY = plugin.SESSION_KEY


def _runs_checks(config: pytest.Config) -> bool:
    """True when every path the run was given lies in checks/ (``pytest checks``, ``pytest``)."""
    paths = [Path(a.split("::")[0]) for a in config.args]
    resolved = [(p if p.is_absolute() else Path(config.invocation_params.dir) / p).resolve() for p in paths]
    return bool(resolved) and all(p == CHECKS_DIR or CHECKS_DIR in p.parents for p in resolved)


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    if PROJECT_ROOT != Path(__file__).resolve().parent:
        raise pytest.UsageError(
            f"claude_session_tokens is imported from {PROJECT_ROOT}, not from this checkout "
            f"({Path(__file__).resolve().parent}): it was installed as a copy, so the checks would "
            "judge the wrong files. Fix: python -m pip install -e .   (from this directory)")
    if not config.pluginmanager.is_registered(plugin):
        config.pluginmanager.register(plugin, "claude-session-tokens")
    if not config.pluginmanager.is_registered(timeouts):  # the login/prompt limits beat pytest-timeout's
        config.pluginmanager.register(timeouts, "claude-session-tokens-timeouts")
    if not _runs_checks(config):
        return
    settings = Settings.from_values(config.getoption, PROJECT_ROOT)
    if settings.usage_problem():
        raise pytest.UsageError(settings.usage_problem())
    session = SessionUnderTest(settings)
    config.stash[_SESSION_KEY] = session
    config.stash[plugin.KIND_KEY] = session.kind
    ledger(config).not_applicable = dict(session.kind.requirements_na)
    # every remedy of this run is spelled for its front door, platform, CLI and profile
    config.stash[remedy.SPELLING_KEY] = remedy.spelling_for(session, PROJECT_ROOT)
    remedy.use(config.stash[remedy.SPELLING_KEY])
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
    config.stash[SUMMARY_PATH_KEY] = str(reports / "summary.md")


def pytest_unconfigure(config: pytest.Config) -> None:
    if remedy.SPELLING_KEY in config.stash:
        remedy.use(remedy.Spelling())  # the next run (in this process) spells its own


def pytest_sessionstart(session: pytest.Session) -> None:
    """summary.md names the session's paths also when pytest prints no header (``-q``, render_secret.py)."""
    config = session.config
    if _SESSION_KEY in config.stash and not ledger(config).run_properties:
        ledger(config).run_properties = config.stash[_SESSION_KEY].describe()


def pytest_report_header(config: pytest.Config) -> list[str]:
    if _SESSION_KEY not in config.stash:
        return []
    described = config.stash[_SESSION_KEY].describe()
    ledger(config).run_properties = described
    return [f"{name}: {value}" for name, value in described]


@pytest.fixture(scope="session")
def claude_session(request: pytest.FixtureRequest) -> SessionUnderTest:
    """The session under test: its location, files, credentials and (later) verified payload."""
    if _SESSION_KEY not in request.config.stash:
        pytest.fail("the checks run through 'pytest checks' from the project", pytrace=False)
    session = request.config.stash[_SESSION_KEY]
    session.start_listing()  # FR-005's walk of the directory runs in the background from now on
    stale = stale_copies_finding()  # copies of a session that a killed run left in the temp dir
    if stale:
        plugin.warn_check(stale)
    return session


@pytest.fixture(scope="session", autouse=True)
def _record_run_properties(request: pytest.FixtureRequest, record_testsuite_property) -> None:
    """The resolved session paths go into the JUnit XML's testsuite properties."""
    if _SESSION_KEY in request.config.stash:
        for name, value in request.config.stash[_SESSION_KEY].describe():
            record_testsuite_property(name.replace(" ", "_"), value)
        for rid, reason in ledger(request.config).not_applicable.items():
            record_testsuite_property(f"{rid}_not_applicable", reason)


@pytest.fixture
def secret_gate(request: pytest.FixtureRequest) -> list[str]:
    """Why the Secret must not be rendered by this run; empty when the gate is open (gate.py)."""
    book = ledger(request.config)
    uncollected = gate.uncollected_check_files(CHECKS_DIR, book.verdicts)
    return gate.blocking_reasons(book, request.node.nodeid, uncollected)


def pytest_terminal_summary(terminalreporter, config: pytest.Config) -> None:
    """--dry-run (FR-007): the Secret goes to the terminal, after the checks, never to a file."""
    result = config.stash.get(gate.RESULT_KEY, None)
    if result is not None and result.dry_run and not config.stash.get(gate.PRINTS_DRY_RUN_ITSELF, False):
        terminalreporter.write_sep("-", "Secret (--dry-run: printed, not written)")
        terminalreporter.write(result.text)
