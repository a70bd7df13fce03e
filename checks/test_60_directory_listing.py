"""The session directory can be listed, and its listing is shown and recorded.

Requirements: FR-005, US2.1.

Each top-level entry is listed with its kind, size and mode; a sub-directory such as
``projects/`` is summarised by its entry count and total size. No file content is ever
read for the listing; the listing ends with where the credentials were read from (the
file, or on macOS the Keychain item). The listing appears at the end of the run, in ``reports/summary.md``
and as ``entry`` properties in the JUnit XML.

The walk starts in the background when the first check asks for the session, and this check
runs after the ``claude`` CLI checks (hence its number): a profile with 100,000 transcripts
is walked while the CLI subprocesses run, instead of adding its time to the run.

Fix: make the directory readable by your user (``chmod u+rx ~/.claude``).
"""

from claude_session_tokens.session.listing import format_listing
from claude_session_tokens.suite.plugin import record_section


def test_session_directory_can_be_listed(claude_session, record_property):
    entries = claude_session.listing
    lines = format_listing(claude_session.location.config_dir, entries)
    lines.append(f"credentials read from: {claude_session.location.credentials.label}")
    record_property("credentials_source", claude_session.location.credentials.label)
    record_section("session directory listing (FR-005)", lines)
    for entry in entries:
        record_property("entry", entry.line())
