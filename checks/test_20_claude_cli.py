"""The claude CLI is installed and can log out and log in.

Requirements: FR-001, FR-002.

The CLI is ``--claude-bin`` when given, else ``claude`` on your PATH, else the project's
``node_modules/.bin/claude``. Its version (``claude --version``) is recorded as the
``claude_version`` property; ``claude auth --help`` must list the ``logout`` and ``login``
commands the fresh login uses (the spec's ``claude login`` is ``claude auth login`` in
today's CLI). Both probes run against an empty temporary profile, never yours.

Fix: ``npm install -g @anthropic-ai/claude-code@latest``, or ``--claude-bin PATH``.
"""

from claude_session_tokens.suite.plugin import fail_check


def test_claude_cli_can_log_out_and_in(claude_session, record_property):
    cli = claude_session.cli
    record_property("claude_version", cli.version)
    record_property("claude_bin", f"{cli.path} (via {cli.found_via})")
    problem = cli.capability_problem()
    if problem:
        fail_check(problem)
