"""The credentials of the session are present; the global config is reported.

Requirements: SC-003, FR-003, US1.1, US2.1.

``.credentials.json`` in the config directory holds the OAuth tokens (on macOS the
Keychain may hold them instead). The global config (``.claude.json``) is reported when
present; its absence is only a warning, because the Secret carries a minimal one.

Fix: ``claude auth login``.
"""

from claude_session_tokens.core.findings import Finding
from claude_session_tokens.core.remedy import RUN_AGAIN, Remedy, claude
from claude_session_tokens.suite.plugin import fail_check, warn_check


def test_credentials_are_present(claude_session, record_property):
    location = claude_session.location
    problem = location.credentials.presence_problem()
    if problem:
        fail_check(problem)
    state = claude_session.global_config_state()
    record_property("global_config", f"{location.global_config}: {state}")
    if state != "present":
        warn_check(Finding(
            cause=f"The global config {location.global_config} is {state}.",
            why="the Secret then carries a minimal .claude.json without your account details; "
                "the pod works, but the CLI may ask for onboarding in interactive use.",
            remedy=Remedy(claude(), "   (start it once in a terminal and answer its first-start questions; it "
                          "writes the global config), then run the checks again: ", RUN_AGAIN),
        ))
