"""The credentials are a regular file (or a symlink to one).

Requirements: SC-003, US2.1.

A directory, a device or a dangling symlink where the credentials should be means the
profile is damaged. Symlinks are followed, so Kubernetes-style ``..data`` links work.

Fix: move the odd entry away and ``claude auth login``.
"""

from claude_session_tokens.suite.plugin import fail_check


def test_credentials_are_a_regular_file(claude_session):
    source = claude_session.location.credentials
    problem = source.presence_problem() or source.shape_problem()
    if problem:
        fail_check(problem)
