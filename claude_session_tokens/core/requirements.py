"""The requirements of the spec (docs: ../shared/spec/claude-session-tokens.md) that the checks prove.

Every check is tagged with the IDs the registry of checks gives it (``suite/registry.py``); the
final table lists each functional requirement (FR) and success criterion (SC) below, whether or
not a check ran.
Acceptance scenarios of the user stories (``US2.1`` ...) may be tagged too; they are recorded
in the JUnit XML but not listed in the table.
"""

from __future__ import annotations

import re

REQUIREMENTS: dict[str, str] = {
    "FR-001": "Log out of the existing Claude session to force fresh tokens",
    "FR-002": "Log in to Claude Max with interactive authentication",
    "FR-003": "Session tokens are stored in the standard user profile location",
    "FR-004": "Authentication is verified by a test prompt",
    "FR-005": "All files in the session directory can be listed",
    "FR-006": "A Kubernetes Secret YAML is generated from the session files",
    "FR-007": "Secret generation has a dry-run mode that needs no cluster",
    "FR-008": "The generated Secret YAML is never committed to version control",
    "SC-001": "A fresh login completes within 2 minutes",
    "SC-002": "The test prompt answers within 10 seconds",
    "SC-003": "All required session files are present after login",
    "SC-004": "The Secret YAML passes validation and contains all session files",
    "SC-005": "The session stays valid for at least 24 hours after capture",
    "SC-006": "The Secret YAML is excluded from version control by .gitignore",
}

_ID = re.compile(r"^(FR-00[1-8]|SC-00[1-6]|US[1-3]\.[1-3])$")


def is_known(requirement_id: str) -> bool:
    """True for an FR, SC or user-story acceptance ID that the spec defines."""
    return bool(_ID.match(requirement_id))


def table_ids() -> list[str]:
    """The IDs the final table lists, in spec order: FR-001..FR-008, then SC-001..SC-006."""
    return list(REQUIREMENTS)
