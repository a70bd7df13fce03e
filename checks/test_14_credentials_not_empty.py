"""The credentials are not empty.

Requirements: SC-003, US2.2.

An empty credentials file holds no tokens; a pod given it starts signed out.

Fix: ``claude auth logout && claude auth login``.
"""

from claude_session_tokens.suite.plugin import fail_check


def test_credentials_are_not_empty(claude_session):
    source = claude_session.location.credentials
    problem = source.presence_problem() or source.shape_problem() or source.emptiness_problem()
    if problem:
        fail_check(problem)
