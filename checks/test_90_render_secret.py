"""The last step: render the Secret, only when every other check of the run passed.

Requirements: FR-006, SC-004, FR-008, SC-006.

This check always runs last. It renders only when the gate is open: every other check passed,
none was deselected (``-k``, ``-m``, a node id) and no ``checks/test_*.py`` file was left out
of the run. The fresh-login checks skipped without ``--fresh-login`` are the only skips that
do not block. Otherwise it writes nothing, leaves an earlier Secret byte for byte as it was,
and fails naming each requirement that blocked it.

When open, the exact files that were verified (after the test prompt, possibly refreshed by the
CLI) are judged once more, built into a Secret (``apiVersion: v1``, ``kind: Secret``,
``type: Opaque``, data base64-encoded as ``kubectl create secret generic --from-file`` does),
validated strictly, and written atomically with mode 0600 to ``secrets/<name>.yaml`` (or
``--secret-out``), a path git must ignore. With ``--dry-run`` it is printed instead (FR-007).

With ``--hand-off`` (never with ``--dry-run``), once the Secret is written, synced to disk and
read back identical, this machine's own copy of the session is removed: the credentials file,
or on macOS the Keychain item, and only while it still holds exactly what was captured (a
credentials file that also holds other entries, such as ``mcpOAuth``, keeps them: only the
session is taken out of it). No
``claude auth logout``: it would revoke the session for the pod too. The report says what was
done and how to sign this machine in again; if the copy could not be removed, the Secret stays
written, a warning says this machine still holds the session, with the command that removes
it. Without ``--hand-off`` the report warns that both now share one session.

If the test prompt refreshed the tokens and the Secret is still not written, the failure says
so first: the session on this machine is then spent (refresh tokens are single-use), and the
way on is ``pytest checks --fresh-login``.

With a setup-token token (``--oauth-token-file``, ``--setup-token``) the Secret is
``claude-oauth-token`` (or ``--secret-name``) in ``secrets/claude-oauth-token.yaml``, with one key,
``CLAUDE_CODE_OAUTH_TOKEN``, holding exactly the token's bytes (no newline), as
``kubectl create secret generic claude-oauth-token --from-file=CLAUDE_CODE_OAUTH_TOKEN=<file>``
would; its annotations say when it was captured, its estimated expiry and a short fingerprint.

Fix: the failure lists what blocked the Secret; fix those and run ``pytest checks`` again.
"""

from claude_session_tokens.core.findings import FindingError
from claude_session_tokens.k8s.manifest import iso_utc
from claude_session_tokens.k8s.render import render
from claude_session_tokens.session.handoff import shared_chain
from claude_session_tokens.session.lifetime import pod_can_refresh_until
from claude_session_tokens.suite.plugin import (
    fail_check,
    record_section,
    run_state,
    warn_check,
)
from claude_session_tokens.suite.spent_session import spent, tokens_refreshed


def test_render_secret(claude_session, secret_gate, request, record_property):
    try:
        result = render(claude_session, secret_gate)
    except FindingError as err:
        if not tokens_refreshed(claude_session):
            raise
        run_state(request.config).session_spent = True
        fail_check(spent(err.finding))
    run_state(request.config).result = result
    where = "printed (--dry-run), not written" if result.dry_run else str(result.path)
    record_property("secret", where)
    record_property("secret_keys", ", ".join(f"{k} ({n} bytes)" for k, n in result.sizes.items()))
    lines = [f"Secret {result.namespace}/{result.name}: {where}"]
    lines += [f"  {key}: {size} bytes" for key, size in result.sizes.items()]
    if result.credential_kind == "setup-token":
        lines.append(f"  token fingerprint: {result.info.token_fingerprint}; expected end: "
                     f"{iso_utc(result.info.estimated_expires_at)} (estimate: capture + 365 days)")
        record_section("Kubernetes Secret (FR-006)", lines)
        return
    expires = iso_utc(result.info.access_token_expires_at_ms) or "not stated (no usable expiresAt)"
    lines.append(f"  access token expires: {expires} (the pod's CLI refreshes it)")
    if result.info.sign_in_expires_at_ms:
        lines.append(f"  sign-in expires: {iso_utc(result.info.sign_in_expires_at_ms)}")
    lines.append(f"  the pod can keep refreshing until: {pod_can_refresh_until(result.info.sign_in_expires_at_ms)}")
    hand_off = result.hand_off
    record_property("hand_off", hand_off.summary() if hand_off else "not requested (--hand-off not given)")
    if hand_off:
        lines += hand_off.lines()
        if hand_off.warning():
            warn_check(hand_off.warning())
    else:
        lines.append(f"note: {shared_chain(result.dry_run)}")
    record_section("Kubernetes Secret (FR-006)", lines)
