"""The session directory exists where the Claude CLI keeps it.

Requirements: FR-003, SC-003.

The CLI stores the signed-in session in its config directory: the directory named by
``--claude-config-dir`` or ``CLAUDE_CONFIG_DIR``, else ``%USERPROFILE%\\.claude`` on Windows
and ``~/.claude`` elsewhere. If it is missing, nobody has signed in on this machine (or the
suite is looking in the wrong place).

Fix: ``claude auth login``, or ``pytest checks --claude-config-dir <dir>``.
"""

from claude_session_tokens.suite.plugin import fail_check


def test_session_directory_exists(claude_session):
    problem = claude_session.directory_problem()
    if problem:
        fail_check(problem)
