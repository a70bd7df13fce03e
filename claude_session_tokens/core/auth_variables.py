"""The environment variables that make the ``claude`` CLI authenticate with something other
than the stored session: the CLI prefers ``ANTHROPIC_AUTH_TOKEN``, then ``ANTHROPIC_API_KEY``,
then ``CLAUDE_CODE_OAUTH_TOKEN`` over the session files, and a provider switch
(``CLAUDE_CODE_USE_BEDROCK``, ...) bypasses the Claude session altogether.

Plain names and patterns, shared by the child environment of the CLI (``claude/child_env.py``:
they are removed) and redaction (``core/redaction.py``: their values are secrets).
"""

from __future__ import annotations

import re

# The variables the CLI authenticates with before the stored session, highest precedence first
# (docs/claude-cli-facts.md), then the others Claude Code 2.1.332 reads.
AUTH_OVERRIDES: tuple[str, ...] = (
    "ANTHROPIC_AUTH_TOKEN",
    "ANTHROPIC_API_KEY",
    "CLAUDE_CODE_OAUTH_TOKEN",
    "CLAUDE_CODE_OAUTH_REFRESH_TOKEN",
    "CLAUDE_CODE_OAUTH_TOKEN_FILE_DESCRIPTOR",
    "CLAUDE_CODE_API_KEY_FILE_DESCRIPTOR",
    "CLAUDE_CODE_SESSION_ACCESS_TOKEN",
    "CLAUDE_CODE_HOST_AUTH_ENV_VAR",
    "ANTHROPIC_CUSTOM_HEADERS",  # may carry an Authorization header of its own
    # third-party providers: the prompt would not use the Claude session at all
    "CLAUDE_CODE_USE_BEDROCK",
    "CLAUDE_CODE_USE_VERTEX",
    "CLAUDE_CODE_USE_FOUNDRY",
)
# Anything else of the CLI's that looks like a credential (future variables included).
_CREDENTIAL_LIKE = re.compile(r"^(ANTHROPIC|CLAUDE)_\w*(TOKEN|API_KEY|AUTH|SECRET|HELPER|DESCRIPTOR|CREDENTIAL)\w*$")
_PROVIDER_SWITCH = re.compile(r"^CLAUDE_CODE_USE_\w+$")
# Settings that look credential-like but only configure the connection or the output.
NOT_CREDENTIALS: frozenset[str] = frozenset({
    "ANTHROPIC_BASE_URL", "CLAUDE_CODE_CLIENT_CERT", "CLAUDE_CODE_CLIENT_KEY",
    "CLAUDE_CODE_CLIENT_KEY_PASSPHRASE", "CLAUDE_CODE_MAX_OUTPUT_TOKENS",
})


def overrides_session(name: str) -> bool:
    """True when ``name`` can make the CLI authenticate with something other than the session."""
    upper = name.upper()
    if upper in NOT_CREDENTIALS:
        return False
    return upper in AUTH_OVERRIDES or bool(_CREDENTIAL_LIKE.match(upper)) or bool(_PROVIDER_SWITCH.match(upper))
