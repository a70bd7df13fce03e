"""Fresh login: log out, log in again, and prove the session is new.

Requirements: FR-001, FR-002, SC-001, US1.1, US1.3.

Only with ``--fresh-login``; without it this check is skipped by design (the only check
that may be skipped). It runs before every other check, so all of them judge the new
session. Steps: note a fingerprint of the current session (a short hash of the refresh
token, never the token), open your terminal, ``claude auth logout``, then ``claude auth
login`` in your terminal (sign in in the browser, paste the code if asked) within
``--login-timeout`` (120 s, SC-001). The check passes when new credentials exist and their
fingerprint differs from the old one; the login's duration is recorded as ``login_seconds``.

The login needs an interactive terminal (without one the CLI waits forever for the code).
When the run has none (CI, a pipe, ``nohup``), the check fails at once, before the logout,
so you stay signed in with your old session.

This is the one check that changes your profile, because you asked for a fresh login.

Fix: ``pytest checks --fresh-login`` in an interactive terminal; or by hand
``claude auth logout && claude auth login``, then ``pytest checks``.
"""

import pytest

from claude_session_tokens.login import RUN_IT, attached_terminal, fresh_login
from claude_session_tokens.plugin import skip_by_design


@pytest.mark.requirement("FR-001", "FR-002", "SC-001", "US1.1", "US1.3")
def test_fresh_login(claude_session, request, record_property):
    if not claude_session.settings.fresh_login:
        skip_by_design(f"fresh login not requested; to log out and in again first, run: {RUN_IT}")
    outcome = fresh_login(claude_session, lambda: attached_terminal(request.config))
    record_property("login_seconds", f"{outcome.seconds:.1f}")
    record_property("fingerprint_before", outcome.fingerprint_before or "none")
    record_property("fingerprint_after", outcome.fingerprint_after)
