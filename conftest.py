"""The checkout's guard: the package under test must be this checkout's, not a copy.

Every hook and fixture of the suite is in ``claude_session_tokens/suite/plugin.py``, loaded for
every run by ``-p claude_session_tokens.suite.pytest_options`` in ``pyproject.toml``. This one
check stays here because only a file that lives in the checkout knows where the checkout is: the
plugin lives in the package, which is exactly what is in the wrong place when the package was
installed as a copy.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from claude_session_tokens.suite.plugin import PROJECT_ROOT


@pytest.hookimpl(tryfirst=True)  # registered after the plugin, so called before its own configure
def pytest_configure(config: pytest.Config) -> None:
    if Path(__file__).resolve().parent != PROJECT_ROOT:
        raise pytest.UsageError(
            f"claude_session_tokens is imported from {PROJECT_ROOT}, not from this checkout "
            f"({Path(__file__).resolve().parent}): it was installed as a copy, so the checks would "
            "judge the wrong files. Fix: python -m pip install -e .   (from this directory)")
