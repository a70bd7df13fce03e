"""A test prompt answers, run on exactly the files that go into the Secret.

Requirements: FR-004, SC-002, US1.2.

The Secret's files are copied into a fresh temporary profile and
``claude -p <--prompt> --output-format json`` runs there, with ``HOME`` and
``CLAUDE_CONFIG_DIR`` pointing at the copy, so your own profile is never written and the
proof covers what ships. Variables that would stand in for the session
(``ANTHROPIC_API_KEY``, ``ANTHROPIC_AUTH_TOKEN``, ``CLAUDE_CODE_OAUTH_TOKEN``, ...) are
removed from the CLI's environment; network settings pass through. The run is stopped
after ``--prompt-timeout`` seconds (10 by default), with everything it started, and the
CLI's own retries are switched off. Stopped with Ctrl+C, SIGTERM or SIGHUP (a closed
terminal), the run kills the CLI and everything it started, removes the copy and exits 143
after SIGTERM, 129 after SIGHUP (Ctrl+C: 130 from ``render_secret.py``, pytest's 2 from
``pytest checks``); a copy left by a run killed outright (``kill -9``) is removed by the next run,
with a warning. Only a JSON answer with ``is_error: false`` and a
non-empty result passes; the measured seconds are recorded as ``prompt_seconds``.

Each failure names its cause: not logged in, session rejected (401: expired or revoked),
network unreachable, time limit exceeded, CLI crashed, unexpected output. If the CLI had to
refresh the tokens, the refreshed credentials are what ships, and you are warned that the
session on this machine is now spent (refresh tokens are single-use). If the credentials in the
copy cannot be read back completely after the prompt (missing, unreadable, not JSON, only part of
a session), the check fails loudly: the CLI may have rotated them, so the session on this machine
must be treated as spent, and the tokens read before the prompt are never shipped.

Credential variables set in your environment are reported (never their values): the same
variable in the pod would override the session.

With a setup-token token (``--oauth-token-file``, ``--setup-token``) the CLI runs in an empty
temporary home and config dir with ``CLAUDE_CODE_OAUTH_TOKEN`` set to exactly the token that
ships, as its only credential (every other credential variable removed); the same time limit
and verdict rules apply. A 401 means the token was revoked or its year has ended: run
``claude setup-token`` again (or ``python render_secret.py --setup-token``).

The prompt does not run when the fresh login (``test_00``, with ``--fresh-login``) failed or was
refused (no terminal, CI), or the offline checks of the Secret (``test_35``, ``test_38``)
failed: this run could not write the Secret anyway, and if the CLI refreshed the tokens during
the prompt, the refreshed ones (the only live ones; refresh tokens are single-use) would be lost
with the run. FR-004 and SC-002 are then shown as NOT RUN, naming the checks to fix first; the
check itself still fails, so a CI run stays red. (When the Secret's files cannot be built at
all, the prompt says why itself, without running the CLI.)

Fix: as each failure says; usually ``pytest checks --fresh-login``.
"""

from claude_session_tokens.claude.auth_env import override_warnings
from claude_session_tokens.claude.child_env import shown_url
from claude_session_tokens.core.findings import Finding, FindingError
from claude_session_tokens.core.remedy import RUN_AGAIN
from claude_session_tokens.suite.gate import RENDER_PREREQUISITES, earlier_failures
from claude_session_tokens.suite.plugin import (
    fail_check,
    ledger,
    not_run_check,
    record_section,
    warn_check,
)
from claude_session_tokens.suite.registry import Role, files_with


def test_prompt_answers_on_what_ships(claude_session, record_property, request):
    # in setup-token mode the pod's CLAUDE_CODE_OAUTH_TOKEN is the Secret itself: no warning about it
    own = ("CLAUDE_CODE_OAUTH_TOKEN ",) if claude_session.kind.is_token else ()
    for warning in override_warnings(claude_session.environ, claude_session.platform):
        if not warning.cause.startswith(own):
            warn_check(warning)
    failed_before = earlier_failures(ledger(request.config), request.node.nodeid, PROMPT_PREREQUISITES)
    if failed_before and _payload_builds(claude_session):
        not_run_check(Finding(
            cause="The test prompt was not run: checks before it failed, so this run cannot write the Secret:",
            why="the prompt may make the CLI refresh the tokens; refresh tokens are single-use, so a refresh "
                "in a run that writes no Secret would spend your session on this machine.",
            remedy=f"fix what the checks named above say, then run the whole suite again: {RUN_AGAIN}",
            details=tuple(failed_before),
        ))
    result = claude_session.prompt_result
    record_property("prompt_seconds", f"{result.seconds:.2f}")
    record_property("prompt_verdict", result.kind)
    record_property("claude_version", result.cli_version)
    if result.base_url:
        record_property("anthropic_base_url", shown_url(result.base_url))
    record_section("test prompt (FR-004, SC-002)", result.lines())
    for warning in result.warnings:
        warn_check(warning)
    if result.finding:
        fail_check(result.finding)


# A fresh login that failed or was refused (no terminal, CI) leaves a run that cannot render.
PROMPT_PREREQUISITES = (*files_with(Role.LOGIN), *RENDER_PREREQUISITES)


def _payload_builds(session) -> bool:
    """False when the Secret's files cannot be built: the prompt then explains that itself
    (without running the CLI)."""
    try:
        session.payload
        return True
    except FindingError:
        return False
