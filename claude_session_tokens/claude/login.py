"""The fresh login (FR-001, FR-002, SC-001, US1.1, US1.3): log out, log in, prove the tokens are new.

1. note the fingerprint of the current session (12 hex of the SHA-256 of the refresh token,
   never the token; none when there is no readable session);
2. refuse at once when ``CI`` is set to a true value (any platform: a CI job has no person to
   sign in), then open the user's terminal (``console.open_console``: ``/dev/tty`` in the
   foreground, or ``CONIN$``/``CONOUT$`` on Windows). The login asks for a pasted code there
   and, without a terminal, waits forever (docs/claude-cli-facts.md, Commands), so with no
   terminal the check fails at once, *before* the logout: the user is never left logged out
   for nothing;
3. ``claude auth logout`` (offline it still exits 0). From here on the session's memoised
   credentials are forgotten whatever happens (also in a ``finally``), so
   the later checks judge what is really on disk, never the bytes that were just logged out;
4. ``claude auth login`` with the terminal as its stdin, stdout and stderr (pytest's capture,
   which keeps stdin on the null device, does not reach it; the caller may pass a context
   manager that pauses the capture so the outputs do not interleave), stopped after
   ``--login-timeout`` (120 s): SIGINT first, the kill after a short grace; the terminal's
   settings (POSIX termios) are saved before and restored after, so a CLI that set raw mode
   and was killed leaves no terminal without echo or Ctrl+C. When the user presses Ctrl+C the
   suite says that they are now logged out and how to sign in again, then stops;
5. re-discover the session (on macOS the Keychain item is looked up again, and the choice
   between the item and the file is made again) and prove the credentials exist, parse, and
   carry a different fingerprint.

This is the one place the suite changes the user's profile, and only when asked to with
``--fresh-login``. The CLI works on the user's own profile: ``CLAUDE_CONFIG_DIR`` is set only
when the user named the directory; credential variables are removed as for every CLI run.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from claude_session_tokens.claude.child_env import login_environment
from claude_session_tokens.claude.cli import INSTALL
from claude_session_tokens.claude.console import (
    Console,
    NoConsole,
    ci_job,
    no_terminal_finding,
    open_console,
)
from claude_session_tokens.claude.processes import (
    LaunchError,
    run_attached,
    run_captured,
)
from claude_session_tokens.core.findings import Finding, FindingError
from claude_session_tokens.core.remedy import (
    FRESH_LOGIN,
    LOG_IN,
    PYTEST_CHECKS,
    RELOGIN,
    RUN_AGAIN,
    current,
)
from claude_session_tokens.session.sources import first_problem

if TYPE_CHECKING:
    import pytest

    from claude_session_tokens.claude.cli import ClaudeCli
    from claude_session_tokens.session.discovery import SessionLocation
    from claude_session_tokens.suite.session import SessionUnderTest

LOGOUT_LIMIT = 60.0  # seconds; logout tries to revoke the token online
RUN_IT = FRESH_LOGIN  # a Command: spelled for the run's front door when shown


def ci_problem(environ: Mapping[str, str]) -> Finding | None:
    """``CI`` set to a true value (:func:`~claude_session_tokens.claude.console.ci_job`): nobody
    is there to sign in, whatever terminal or console the job has."""
    reason = ci_job(environ)
    return None if reason is None else no_terminal(reason + "; a console or pseudo-terminal there proves nothing")


def sign_in_again(location: SessionLocation | None) -> str:
    """The exact command that signs the user in again: the CLI that was found, with the
    CLAUDE_CONFIG_DIR of ``location``'s profile when it is not the default one."""
    config_dir = location.cli_config_dir if location is not None else None
    return replace(current(), config_dir=config_dir).command(LOG_IN)


@dataclass(frozen=True)
class LoginOutcome:
    seconds: float
    fingerprint_before: str | None
    fingerprint_after: str


def current_fingerprint(session: SessionUnderTest) -> str | None:
    """The fingerprint of the session's refresh token, or None when there is no readable one."""
    try:
        oauth = session.oauth
    except FindingError:
        return None
    return oauth.fingerprint if oauth.refresh_token else None


@contextlib.contextmanager
def attached_terminal(config: pytest.Config | None) -> Iterator[None]:
    """Pause pytest's capture, stdin included (``config`` is pytest's; None outside pytest).

    The login itself gets the terminal from :func:`~claude_session_tokens.claude.console.open_console`;
    pausing the capture flushes pytest's own pending output first, so the two do not interleave.
    """
    capman = config.pluginmanager.getplugin("capturemanager") if config is not None else None
    if capman is None:
        yield
        return
    capman.suspend_global_capture(in_=True)
    try:
        yield
    finally:
        capman.resume_global_capture()


def no_terminal(reason: str) -> Finding:
    return no_terminal_finding(
        "The fresh login", reason,
        why="'claude auth login' asks for a code on the terminal and, without one, waits forever; "
            "nothing was changed: you were not logged out and the old session is still in place.",
        remedy=f"run it in an interactive terminal: {RUN_IT}; without a terminal (CI) leave --fresh-login out")


def _cli_failed(step: str, cause: str, remedy: str) -> FindingError:
    return FindingError(Finding(
        cause=f"The fresh login failed at '{step}': {cause}",
        why="the suite can only capture a fresh session once the CLI has logged out and in again.",
        remedy=remedy,
    ))


def fresh_login(session: SessionUnderTest, attach: Callable[[], AbstractContextManager[None]] = contextlib.nullcontext,
                terminal: Callable[[], Console] | None = None) -> LoginOutcome:
    """Log out and in with the session's CLI; raises :class:`FindingError` with the cause.

    ``terminal`` opens the user's terminal (default :func:`open_console`, which raises
    :class:`NoConsole` when there is none).
    """
    cli = session.cli
    problem = cli.capability_problem()
    if problem:
        raise FindingError(problem)
    if terminal is None:
        refused = ci_problem(session.environ)
        if refused:
            raise FindingError(refused)
    try:
        console = (terminal or open_console)()
    except NoConsole as err:
        raise FindingError(no_terminal(err.reason)) from None
    with console:
        return _log_out_and_in(session, cli, console, attach)


def _log_out_and_in(session: SessionUnderTest, cli: ClaudeCli, console: Console,
                    attach: Callable[[], AbstractContextManager[None]]) -> LoginOutcome:
    location = session.location
    before = current_fingerprint(session)
    env = login_environment(session.environ, location.cli_config_dir).env
    logged_in = False
    try:
        outcome = _log_out(session, cli, console, attach, env, before, location)
        logged_in = True
        return outcome
    finally:
        if not logged_in:  # whatever went wrong after the logout began, later checks read what is really there
            session.reload_credentials()


def _log_out(session: SessionUnderTest, cli: ClaudeCli, console: Console,
             attach: Callable[[], AbstractContextManager[None]], env: dict[str, str], before: str | None,
             location: SessionLocation) -> LoginOutcome:
    try:
        logout = run_captured([str(cli.path), "auth", "logout"], env=env, limit=LOGOUT_LIMIT,
                              platform=session.platform)
    except LaunchError as err:
        raise _cli_failed("claude auth logout", f"the CLI cannot be started ({err.reason}).", INSTALL) from None
    if logout.timed_out:
        raise _cli_failed("claude auth logout", f"it did not finish within {LOGOUT_LIMIT:.0f} s.",
                          f"{RELOGIN.commands[0]}   (run it yourself to see what it waits for), then {RUN_IT}")
    if logout.returncode != 0:
        raise _cli_failed("claude auth logout", f"it exited with code {logout.returncode}.",
                          f"{RELOGIN.commands[0]}   (run it yourself to see its message), then {RUN_IT}")
    # The credentials read before are gone from disk now: no later check may judge them.
    session.reload_credentials()
    return _log_in(session, cli, console, attach, env, before, location)


def _log_in(session: SessionUnderTest, cli: ClaudeCli, console: Console,
            attach: Callable[[], AbstractContextManager[None]], env: dict[str, str], before: str | None,
            location: SessionLocation) -> LoginOutcome:
    limit = session.settings.login_timeout
    with attach():
        console.say("")
        console.say(f"claude auth login: sign in in your browser; paste the code here if asked "
                    f"(limit {limit:g} s, --login-timeout).")
        try:
            with console.mode_kept():
                login = run_attached([str(cli.path), "auth", "login"], env=env, limit=limit,
                                     platform=session.platform, console=console)
        except LaunchError as err:
            raise _cli_failed("claude auth login", f"the CLI cannot be started ({err.reason}); you are now "
                              f"logged out.", f"{INSTALL}, then {sign_in_again(location)}") from None
        except KeyboardInterrupt:
            session.interrupted_after_logout = sign_in_again(location)
            if current().front_door == PYTEST_CHECKS:  # render_secret.py says it itself, once, at the end
                console.say("")
                console.say(f"Interrupted: you are now logged out (the old session was logged out before the "
                            f"login). Sign in again: {sign_in_again(location)}")
            raise
        except BaseException:  # pytest-timeout or another stop from outside: say the same, then go on
            console.say("")
            console.say(f"The login was stopped: you are now logged out. Sign in again: {sign_in_again(location)}")
            raise
        if login.timed_out:
            console.say("")  # the CLI's prompt ("Paste code here if prompted >") has no line end
        console.say(f"claude auth login {'was stopped' if login.timed_out else 'finished'} after "
                    f"{login.seconds:.0f} s; the checks go on.")
    if login.timed_out:
        raise FindingError(Finding(
            cause=f"The fresh login did not finish within {limit:g} s and was stopped (SC-001).",
            why="SC-001 expects a fresh login to complete within 2 minutes; you are now logged out.",
            remedy=f"run it again and finish the browser sign-in in time: {RUN_IT} "
                   f"(or allow more time: --login-timeout 300); or sign in by hand: {sign_in_again(location)}",
        ))
    if login.returncode != 0:
        raise _cli_failed("claude auth login", f"it exited with code {login.returncode}; you are now logged out.",
                          f"{sign_in_again(location)}   (run it yourself, finish the sign-in), then {RUN_AGAIN}")

    session.reload_credentials()
    location = session.location  # discovered again: on macOS the login may have moved the session
    missing = first_problem(location.credentials)
    if missing:
        raise FindingError(Finding(
            cause=f"The login finished, but no new credentials were found: {missing.cause}",
            why="the session files must exist after login (US1.1) for the Secret to carry them.",
            remedy=missing.remedy, details=missing.details,
        ))
    after = current_fingerprint(session)
    if after is None:
        session.oauth  # raises the parse problem with its own cause and remedy
        raise FindingError(Finding(
            cause="The login finished, but the new credentials hold no refresh token.",
            why="without a refresh token the pod cannot renew its access token.",
            remedy=str(RELOGIN),
        ))
    if after == before:
        raise FindingError(Finding(
            cause=f"The login finished, but the session is the same as before (fingerprint {after} unchanged).",
            why="US1.3 requires the old tokens to be replaced with fresh ones; the old session may be "
                "shared with another machine or pod already.",
            remedy=f"{RELOGIN}   (check that the logout removed the credentials), then {RUN_AGAIN}",
        ))
    return LoginOutcome(seconds=login.seconds, fingerprint_before=before, fingerprint_after=after)

