"""claude-session-tokens: verify a Claude Code session, then render it as a Kubernetes Secret.

The pytest checks in ``checks/`` are the product; this package holds the plain logic they
call, so that every piece can be tested without pytest.
"""

__version__ = "0.1.0"
