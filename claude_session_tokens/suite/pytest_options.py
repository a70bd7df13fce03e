"""Registers the suite's options with pytest before it reads the command line, and its plugin.

Loaded with ``-p claude_session_tokens.suite.pytest_options`` from ``pyproject.toml``, for every
pytest run of the project; ``pytest_plugins`` below brings in the one plugin with every hook and
fixture (``suite/plugin.py``). Options added only by a ``conftest.py`` are unknown while pytest
first scans its arguments, so in ``pytest checks --claude-config-dir DIR`` pytest would take
``DIR`` for a test path, look for conftest files there and, for a directory it cannot search,
stop with a traceback. Registering them here, as a plugin named on the command line, lets pytest
parse the value as a value.
"""

from __future__ import annotations

import pytest

from claude_session_tokens.suite.options import GROUP, OPTIONS

pytest_plugins = ["claude_session_tokens.suite.plugin"]


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup(GROUP, "claude-session-tokens: verify a Claude session, render its Secret")
    for option in OPTIONS:
        group.addoption(option.flag, **option.kwargs())
