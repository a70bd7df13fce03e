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
The check fails at once, before the logout, so you stay signed in with your old session, when:

- ``CI`` is set to a true value (``CI=true``, as GitHub Actions, GitLab and most CI systems
  set it), on every platform;
- on Linux and macOS: the run has no controlling terminal (``/dev/tty`` cannot be opened:
  cron, a CI runner, ``ssh`` without ``-t``, a container started without ``-t``), or it is a
  background job of its terminal (started with ``&``). A pipe on stdin or ``nohup`` do not
  matter: the login still reaches your terminal;
- on Windows: the process has no console (``CONIN$`` cannot be opened). A service or CI agent
  may have a hidden console, so there only ``CI`` tells that nobody is there.

Once the logout has run, you are logged out whatever happens next, and the suite says so: a
login that fails, is stopped at ``--login-timeout`` or interrupted with Ctrl+C leaves the
later checks judging what is really on disk (the credentials are missing), the test prompt
is not run on the logged-out tokens, and the terminal's settings are restored. Its own time
limit follows ``--login-timeout``, so pytest-timeout's 600 s never cuts a longer one.

With ``--setup-token`` this check runs ``claude setup-token`` instead, in your terminal, with
the same refusals (``CI``, no terminal, a background job) and the same ``--login-timeout``: the
CLI runs on a pseudo-terminal the suite owns, your keys are relayed to it, and what it prints
is shown with every token masked; the token is captured from that output (joined across the
terminal's line wraps) and verified like a token file. Nothing on your machine is changed: the
CLI runs with an empty temporary config dir, and the token is stored only in the Secret.

This is the one check that changes your profile, because you asked for a fresh login.

Fix: ``pytest checks --fresh-login`` in an interactive terminal; or by hand
``claude auth logout && claude auth login``, then ``pytest checks``.
"""

from claude_session_tokens.claude.login import RUN_IT, attached_terminal, fresh_login
from claude_session_tokens.suite.plugin import skip_by_design


def test_fresh_login(claude_session, request, record_property):
    if claude_session.settings.setup_token:
        # imported here: only this mode runs 'claude setup-token'
        from claude_session_tokens.claude.setup_token import capture

        outcome = capture(claude_session, lambda: attached_terminal(request.config))
        record_property("login_seconds", f"{outcome.seconds:.1f}")
        record_property("token_fingerprint", outcome.fingerprint)
        return
    if not claude_session.settings.fresh_login:
        skip_by_design(f"fresh login not requested; to log out and in again first, run: {RUN_IT}")
    outcome = fresh_login(claude_session, lambda: attached_terminal(request.config))
    record_property("login_seconds", f"{outcome.seconds:.1f}")
    record_property("fingerprint_before", outcome.fingerprint_before or "none")
    record_property("fingerprint_after", outcome.fingerprint_after)
