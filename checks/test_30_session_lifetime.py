"""The session can stay valid for 24 hours after capture.

Requirements: SC-005.

With a setup-token token (``--oauth-token-file``, ``--setup-token``) it reports the capture
date (the run of ``claude setup-token``; the token file's modification time; now, for
standard input) and the expected end, capture + 365 days, marked as an estimate: the token
carries no expiry and is never refreshed. It fails when that end falls within ``--min-validity``.

Reports the hours left on the access token and until when the pod can keep refreshing the
session: the end of the sign-in itself (``refreshTokenExpiresAt``) when the credentials state
it, else plainly "unknown" (the CLI does not say how long a sign-in lasts; reported lengths
range from about a day to 30 days). Passes when the session can last ``--min-validity`` hours
(24 by default): a non-empty refresh token, the ``user:inference`` scope, and no end of the
sign-in inside the window. The access token lasts only ~8 h; the pod's CLI refreshes it itself
and writes the new tokens back, so the pod must keep its copy on a writable persistent volume,
seeded once from the Secret (see ``examples/claude-agent-statefulset.yaml``), never the Secret
mounted read-only.

Fails when the access token has expired or expires within 5 minutes: the CLI would refresh
and rotate it at once. The test prompt is then not run, since it would spend your session.

Fix: ``pytest checks --fresh-login`` (or ``claude auth logout && claude auth login``).
"""

from claude_session_tokens.k8s.manifest import iso_utc
from claude_session_tokens.suite.plugin import fail_check, record_section


def test_session_lasts_long_enough(claude_session, record_property):
    if claude_session.kind.is_token:
        return _token_lasts_long_enough(claude_session, record_property)
    lifetime = claude_session.lifetime
    record_property("access_token_hours_left", "unknown (no usable expiresAt)" if lifetime.access_expiry_unknown
                    else f"{lifetime.access_hours_left:.2f}")
    if lifetime.refresh_end_hours_left is not None:
        record_property("sign_in_hours_left", f"{lifetime.refresh_end_hours_left:.2f}")
    record_property("pod_can_refresh_until", iso_utc(lifetime.refresh_end_at_ms) or "unknown")
    record_section("session lifetime (SC-005)", lifetime.lines())
    problem = lifetime.finding()
    if problem:
        fail_check(problem)


def _token_lasts_long_enough(claude_session, record_property):
    """setup-token mode: the token states no expiry; its year is counted from its capture (an estimate)."""
    from claude_session_tokens.kinds.token_mode import lifetime_lines, lifetime_problem

    token = claude_session.oauth_token
    record_property("token_captured_at", f"{token.captured_at:%Y-%m-%dT%H:%M:%SZ}")
    record_property("token_expected_end", f"{token.estimated_end:%Y-%m-%dT%H:%M:%SZ} (estimate)")
    record_section("token lifetime (SC-005)", lifetime_lines(token))
    problem = lifetime_problem(token, claude_session.settings.min_validity)
    if problem:
        fail_check(problem)
