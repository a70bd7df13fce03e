"""The credentials can be read by the current user, and by nobody else.

Requirements: SC-003, US2.3.

The suite reads exactly the bytes that go into the Secret, so it must be able to open
them. On Linux and macOS a credentials file that group or others can read is reported as
a warning: anyone on the machine could copy the session.

Fix: ``chmod u+r <file>`` for an unreadable file; ``chmod 600 <file>`` for an exposed one.
"""

from claude_session_tokens.core.findings import Finding
from claude_session_tokens.core.platforms import is_windows
from claude_session_tokens.session.files import inspect_file
from claude_session_tokens.session.sources import FileCredentialSource
from claude_session_tokens.suite.plugin import warn_check


def test_credentials_are_readable(claude_session):
    source = claude_session.location.credentials
    claude_session.credentials_blob  # raises the cause and remedy when it cannot be read
    if isinstance(source, FileCredentialSource) and not is_windows(claude_session.platform):
        mode = inspect_file(source.path).mode
        if mode is not None and mode & 0o077:
            warn_check(Finding(
                cause=f"The credentials file {source.path} has mode {mode:04o}: group or others can read it.",
                why="anyone who can read it can use your Claude session.",
                remedy=f"chmod 600 {source.path}",
            ))
