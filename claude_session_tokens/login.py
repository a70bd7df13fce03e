"""The fresh login (FR-001, FR-002, SC-001, US1.1, US1.3): log out, log in, prove the tokens are new.

1. note the fingerprint of the current session (12 hex of the SHA-256 of the refresh token,
   never the token; none when there is no readable session);
2. ``claude auth logout`` (offline it still exits 0, domain.md section 1);
3. ``claude auth login`` on the user's terminal, under pytest's output capture too (the caller
   passes a context manager that suspends it), killed after ``--login-timeout`` (120 s);
4. re-read the credentials and prove they exist, parse, and carry a different fingerprint.

This is the one place the suite changes the user's profile, and only when asked to with
``--fresh-login``. The CLI works on the user's own profile: ``CLAUDE_CONFIG_DIR`` is set only
when the user named the directory; credential variables are removed as for every CLI run.
"""

from __future__ import annotations

import contextlib
import sys
from dataclasses import dataclass
from typing import Callable, ContextManager

from .child_env import login_environment
from .cli import INSTALL
from .findings import Finding, FindingError
from .processes import LaunchError, run_attached, run_captured
from .sources import first_problem

LOGOUT_LIMIT = 60.0  # seconds; logout tries to revoke the token online
RUN_IT = "pytest checks --fresh-login"


@dataclass(frozen=True)
class LoginOutcome:
    seconds: float
    fingerprint_before: str | None
    fingerprint_after: str


def current_fingerprint(session) -> str | None:
    """The fingerprint of the session's refresh token, or None when there is no readable one."""
    try:
        oauth = session.oauth
    except FindingError:
        return None
    return oauth.fingerprint if oauth.refresh_token else None


def attached_terminal(config) -> ContextManager[None]:
    """Suspend pytest's output capture (``config`` is pytest's; None outside pytest)."""
    capman = config.pluginmanager.getplugin("capturemanager") if config is not None else None
    if capman is None:
        return contextlib.nullcontext()
    return capman.global_and_fixture_disabled()


def stdin_is_terminal() -> bool:
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except (ValueError, OSError):
        return False


def _cli_failed(step: str, cause: str, remedy: str) -> FindingError:
    return FindingError(Finding(
        cause=f"The fresh login failed at '{step}': {cause}",
        why="the suite can only capture a fresh session once the CLI has logged out and in again.",
        remedy=remedy,
    ))


def fresh_login(session, attach: Callable[[], ContextManager[None]] = contextlib.nullcontext,
                announce: Callable[[str], None] | None = None) -> LoginOutcome:
    """Log out and in with the session's CLI; raises :class:`FindingError` with the cause."""
    cli = session.cli
    problem = cli.capability_problem()
    if problem:
        raise FindingError(problem)
    location = session.location
    limit = session.settings.login_timeout
    before = current_fingerprint(session)
    env = login_environment(session.environ, location.cli_config_dir).env

    try:
        logout = run_captured([str(cli.path), "auth", "logout"], env=env, limit=LOGOUT_LIMIT,
                              platform=session.platform)
    except LaunchError as err:
        raise _cli_failed("claude auth logout", f"the CLI cannot be started ({err.reason}).", INSTALL) from None
    if logout.timed_out:
        raise _cli_failed("claude auth logout", f"it did not finish within {LOGOUT_LIMIT:.0f} s.",
                          "claude auth logout   (run it yourself to see what it waits for), then " + RUN_IT)
    if logout.returncode != 0:
        raise _cli_failed("claude auth logout", f"it exited with code {logout.returncode}.",
                          "claude auth logout   (run it yourself to see its message), then " + RUN_IT)

    terminal = stdin_is_terminal()
    with attach():
        if announce:
            note = "" if terminal else " (no terminal is attached: if the CLI asks for a code, it cannot be typed)"
            announce(f"claude auth login: sign in in your browser; paste the code here if asked. "
                     f"Limit: {limit:g} s{note}.")
        try:
            login = run_attached([str(cli.path), "auth", "login"], env=env, limit=limit, platform=session.platform)
        except LaunchError as err:
            raise _cli_failed("claude auth login", f"the CLI cannot be started ({err.reason}).", INSTALL) from None
    if login.timed_out:
        hint = "" if terminal else " No terminal was attached, so the CLI could not ask for the code."
        raise FindingError(Finding(
            cause=f"The fresh login did not finish within {limit:g} s and was stopped (SC-001).{hint}",
            why="SC-001 expects a fresh login to complete within 2 minutes; you are now logged out.",
            remedy=f"run it in a terminal and finish the browser sign-in in time: {RUN_IT} "
                   "(or allow more time: --login-timeout 300)",
        ))
    if login.returncode != 0:
        raise _cli_failed("claude auth login", f"it exited with code {login.returncode}; you are now logged out.",
                          "claude auth login   (run it yourself, finish the sign-in), then pytest checks")

    session.reload_credentials()
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
            remedy="claude auth logout && claude auth login",
        ))
    if after == before:
        raise FindingError(Finding(
            cause=f"The login finished, but the session is the same as before (fingerprint {after} unchanged).",
            why="US1.3 requires the old tokens to be replaced with fresh ones; the old session may be "
                "shared with another machine or pod already.",
            remedy="claude auth logout && claude auth login   (check that the logout removed the credentials), "
                   "then pytest checks",
        ))
    return LoginOutcome(seconds=login.seconds, fingerprint_before=before, fingerprint_after=after)

