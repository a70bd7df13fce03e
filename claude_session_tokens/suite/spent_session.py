"""Say so plainly when the test prompt refreshed the tokens and then no Secret was written.

Refresh tokens are single-use: once the CLI refreshed the session inside the test copy, the
refresh token in the user's own profile no longer works, and the only live tokens are the ones
the render step was about to write. If the render step fails after that (a closed gate, git,
validation, a write error), those tokens are gone with the temporary copy: the session on this
machine is spent, and the only way on is a new sign-in. The render check then sets the run's
``RunState.session_spent`` (suite/run_state.py), and the front door says so at the end.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from claude_session_tokens.core.findings import Finding, FindingError
from claude_session_tokens.core.remedy import FRESH_LOGIN
from claude_session_tokens.session import credentials as creds

if TYPE_CHECKING:
    from claude_session_tokens.suite.session import SessionUnderTest

FRESH_LOGIN_RUN = FRESH_LOGIN  # a Command, spelled for the run's front door when shown


def spent_line() -> str:
    """The sentence that says the session is spent, with the command that starts over."""
    return ("The test prompt refreshed the tokens, but no Secret was written: your session on this "
            f"machine is spent; run {FRESH_LOGIN_RUN}.")


def tokens_refreshed(session: SessionUnderTest) -> bool:
    """True when what would ship carries other tokens than the profile (the prompt refreshed them)."""
    try:
        shipped = creds.parse_credentials(session.payload.credentials)
        return shipped.refresh_token != session.oauth.refresh_token
    except (FindingError, AttributeError, OSError, KeyError):  # KeyError: a setup-token Secret has no credentials
        return False


def spent(finding: Finding) -> Finding:
    """``finding`` with the spent session said first and the remedy that still works."""
    return replace(
        finding,
        details=(spent_line(),) + tuple(finding.details),
        remedy=f"{FRESH_LOGIN_RUN}   (after fixing what is listed: {finding.remedy})",
    )
