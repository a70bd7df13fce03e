"""The credentials hold a usable Claude Max session.

Requirements: SC-003, US1.1.

``.credentials.json`` must be a JSON object whose ``claudeAiOauth`` entry has a non-empty
``accessToken`` (a session token, not an API key), a non-empty ``refreshToken`` (the CLI
empties it when a login has died), an ``expiresAt`` in epoch milliseconds, ``scopes``
containing ``user:inference`` and ``subscriptionType`` equal to ``max`` (or the value of
``--expected-subscription``). Token values are never shown.

The file is judged as the pinned Claude CLI reads it (docs/cli-credentials-forms.md): a
``NaN`` or ``Infinity`` anywhere, or a lone surrogate escape in a token, fails (the CLI says
"Not logged in"); forms it accepts but never writes (a fractional or string ``expiresAt``,
no ``expiresAt``, ``scopes`` as one string, no ``subscriptionType``) pass with a warning.

Fix: ``claude auth logout && claude auth login``.
"""

from claude_session_tokens.core.findings import Finding
from claude_session_tokens.session.credentials import (
    RELOGIN,
    form_warnings,
    token_shape_warning,
)
from claude_session_tokens.suite.plugin import fail_check, warn_check


def test_credentials_hold_a_claude_max_session(claude_session):
    problems = claude_session.oauth_problems()
    if problems:
        fail_check(Finding(
            cause="The credentials do not hold a usable Claude session:",
            why="the pod would start signed out, or on the wrong account or plan.",
            remedy=RELOGIN,
            details=tuple(problems),
        ))
    for warning in form_warnings(claude_session.oauth, claude_session.settings.expected_subscription):
        warn_check(warning)
    note = token_shape_warning(claude_session.oauth)
    if note:
        warn_check(Finding(cause=note + ".", why="the checks may misjudge a new format.",
                           remedy="upgrade claude-session-tokens"))
