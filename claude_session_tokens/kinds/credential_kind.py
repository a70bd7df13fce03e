"""What the Secret carries: the session files, or one long-lived ``claude setup-token`` token.

The two *credential kinds* share the checks' numbering, the report machinery, the render gate
and the Secret's safety rules; they differ in what applies:

- **session files** (the default): the config dir's ``.credentials.json`` and a minimal
  ``.claude.json``; every requirement of the spec applies.
- **setup-token** (``--oauth-token-file PATH|-`` or ``--setup-token``): one key,
  ``CLAUDE_CODE_OAUTH_TOKEN``, holding exactly the token; the test prompt runs with that
  variable as its only credential; nothing on this machine's session is read or changed.
  The checks of the session files do not apply and read **N/A** with the reason (never PASS,
  never blocking the Secret); the fresh-login requirements apply only when ``--setup-token``
  ran a sign-in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from claude_session_tokens.suite.options import Settings

SESSION_FILES = "session files"
SETUP_TOKEN = "setup-token"

SESSION_SECRET_NAME = "claude-session-tokens"
TOKEN_SECRET_NAME = "claude-oauth-token"
TOKEN_EXAMPLE = "examples/claude-agent-oauth-token.yaml"

NO_FILES = "setup-token mode ships one token, not the session files: no session directory is read"
NO_SIGN_IN = ("no sign-in ran: the token was read from --oauth-token-file (use --setup-token to have the suite "
              "run 'claude setup-token' and capture it)")

# requirement -> why it does not apply (why a check does not apply: suite/registry.py)
_TOKEN_REQUIREMENTS = {
    "FR-003": NO_FILES + " (the token is stored nowhere on this machine; it goes only into the Secret)",
    "FR-005": NO_FILES + ", so none is listed",
    "SC-003": NO_FILES + ": there are no session files to be present",
}
_SIGN_IN_REQUIREMENTS = ("FR-001", "FR-002", "SC-001")


@dataclass(frozen=True)
class CredentialKind:
    name: str
    sign_in_runs: bool = False  # --setup-token: the CLI's sign-in runs in the user's terminal
    requirements_na: dict[str, str] = field(default_factory=dict)

    @property
    def is_token(self) -> bool:
        return self.name == SETUP_TOKEN

    @property
    def default_secret_name(self) -> str:
        return TOKEN_SECRET_NAME if self.is_token else SESSION_SECRET_NAME


def kind_of(oauth_token_file: str | None, setup_token: bool) -> CredentialKind:
    """The credential kind the options select."""
    if not oauth_token_file and not setup_token:
        return CredentialKind(SESSION_FILES)
    requirements = dict(_TOKEN_REQUIREMENTS)
    if not setup_token:
        requirements.update({rid: NO_SIGN_IN for rid in _SIGN_IN_REQUIREMENTS})
    return CredentialKind(SETUP_TOKEN, sign_in_runs=setup_token, requirements_na=requirements)


def for_settings(settings: Settings) -> CredentialKind:
    return kind_of(getattr(settings, "oauth_token_file", None), bool(getattr(settings, "setup_token", False)))


NOT_WITH_TOKEN = {
    "fresh_login": "--fresh-login (it captures session files; --setup-token is this mode's sign-in)",
    "hand_off": "--hand-off (it removes this machine's session files; a setup-token token is stored nowhere "
                "else, and several tokens coexist)",
    "include": "--include (the Secret holds only CLAUDE_CODE_OAUTH_TOKEN)",
    "keep_credential_keys": "--keep-credential-keys (there is no .credentials.json in this Secret)",
}


def usage_problem(settings: Settings) -> str | None:
    """Why the options of a setup-token run do not go together, or None."""
    token_file, setup = getattr(settings, "oauth_token_file", None), getattr(settings, "setup_token", False)
    if token_file and setup:
        return ("--oauth-token-file and --setup-token cannot be combined: one reads a token you already have, the "
                "other runs 'claude setup-token' to get a new one. Fix: drop one of them")
    if not (token_file or setup):
        return None
    clashing = [why for dest, why in NOT_WITH_TOKEN.items() if getattr(settings, dest, None)]
    if clashing:
        flag = "--setup-token" if setup else "--oauth-token-file"
        return (f"{flag} cannot be combined with " + "; ".join(clashing) + ". Fix: drop "
                + ("that option" if len(clashing) == 1 else "those options"))
    return None


TOKEN_MODE_HINT = "python render_secret.py --setup-token   (see " + TOKEN_EXAMPLE + ")"
