"""The registry of checks: the one place that says what each file in ``checks/`` proves and does.

One :class:`Check` per ``checks/test_*.py`` file, in the order the checks run: the requirement
IDs it proves (the plugin tags each of its testcases with them, as the ``requirement`` marker and
the JUnit ``requirement`` properties, in this order), its :class:`Role` s, and why it does not
apply to a credential kind. The plugin, the render gate, the time limits and the setup-token
mode read it; ``tests/architecture/test_registry.py`` holds the README table and the check files to it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from claude_session_tokens.core.requirements import table_ids
from claude_session_tokens.kinds.credential_kind import (
    NO_FILES,
    NO_SIGN_IN,
    SETUP_TOKEN,
    CredentialKind,
)


class Role(enum.Enum):
    # An offline check of the render step that runs before the test prompt: when one failed, the
    # run cannot write the Secret, so the prompt must not risk a refresh of the tokens (refresh
    # tokens are single-use; the new ones would be lost with the run).
    RENDER_PREREQUISITE = "render prerequisite"
    RENDER = "render step"  # writes the Secret; runs last and judges every other verdict
    NEEDS_TERMINAL = "needs a terminal"  # the CLI's sign-in reads the user's keys
    RUNS_CLI = "runs the CLI"
    LOGIN = "login"  # the fresh login: its time limit follows --login-timeout
    PROMPT = "prompt"  # the test prompt: its time limit follows --prompt-timeout


@dataclass(frozen=True)
class Check:
    file: str  # the file name in checks/
    requirements: tuple[str, ...]  # FR/SC/US IDs, in the order the testcases are tagged with them
    roles: frozenset[Role] = frozenset()
    # (credential kind name, why the check does not apply to it)
    not_applicable: tuple[tuple[str, str], ...] = ()

    @property
    def name(self) -> str:
        return self.file.removesuffix(".py")

    def table_requirements(self) -> tuple[str, ...]:
        """The IDs of the final table (FR, SC) the check proves, in the spec's order."""
        return tuple(rid for rid in table_ids() if rid in self.requirements)


_NO_LOGOUT_NEEDED = "setup-token mode does not use the CLI's logout or login: its test prompt needs only 'claude -p'"
_NO_SESSION_FILES = ((SETUP_TOKEN, NO_FILES),)

CHECKS: tuple[Check, ...] = (
    Check("test_00_fresh_login.py", ("FR-001", "FR-002", "SC-001", "US1.1", "US1.3"),
          frozenset({Role.LOGIN, Role.NEEDS_TERMINAL, Role.RUNS_CLI})),
    Check("test_10_session_directory.py", ("FR-003", "SC-003"), not_applicable=_NO_SESSION_FILES),
    Check("test_12_credentials_present.py", ("SC-003", "FR-003", "US1.1", "US2.1"), not_applicable=_NO_SESSION_FILES),
    Check("test_13_credentials_regular_file.py", ("SC-003", "US2.1"), not_applicable=_NO_SESSION_FILES),
    Check("test_14_credentials_not_empty.py", ("SC-003", "US2.2"), not_applicable=_NO_SESSION_FILES),
    Check("test_15_credentials_readable.py", ("SC-003", "US2.3"), not_applicable=_NO_SESSION_FILES),
    Check("test_16_credentials_valid.py", ("SC-003", "US1.1"),
          not_applicable=((SETUP_TOKEN, NO_FILES + " (the token's shape is judged when it is read)"),)),
    Check("test_20_claude_cli.py", ("FR-001", "FR-002"), frozenset({Role.RUNS_CLI}),
          not_applicable=((SETUP_TOKEN, _NO_LOGOUT_NEEDED),)),
    Check("test_30_session_lifetime.py", ("SC-005",)),
    Check("test_35_secret_not_committed.py", ("FR-008", "SC-006"), frozenset({Role.RENDER_PREREQUISITE})),
    Check("test_38_secret_preview.py", ("FR-007", "SC-004", "US3.1", "US3.2", "US3.3"),
          frozenset({Role.RENDER_PREREQUISITE})),
    Check("test_40_test_prompt.py", ("FR-004", "SC-002", "US1.2"), frozenset({Role.PROMPT, Role.RUNS_CLI})),
    Check("test_60_directory_listing.py", ("FR-005", "US2.1"), not_applicable=_NO_SESSION_FILES),
    Check("test_90_render_secret.py", ("FR-006", "SC-004", "FR-008", "SC-006"), frozenset({Role.RENDER})),
)

_BY_FILE = {check.file: check for check in CHECKS}


def by_file(file_name: str) -> Check | None:
    """The check in ``checks/<file_name>``, or None when the registry does not know the file."""
    return _BY_FILE.get(file_name)


def with_role(role: Role) -> tuple[Check, ...]:
    return tuple(check for check in CHECKS if role in check.roles)


def files_with(role: Role) -> tuple[str, ...]:
    return tuple(check.file for check in with_role(role))


def the(role: Role) -> Check:
    """The one check with ``role`` (the render step, the login, the prompt)."""
    (check,) = with_role(role)
    return check


def not_applicable(file_name: str, kind: CredentialKind) -> str | None:
    """Why the check in ``file_name`` does not apply to a run of ``kind``, or None."""
    check = by_file(file_name)
    if check is None:
        return None
    if Role.LOGIN in check.roles and kind.is_token and not kind.sign_in_runs:
        return NO_SIGN_IN  # a token file was given: no sign-in runs
    return dict(check.not_applicable).get(kind.name)
