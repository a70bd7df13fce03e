"""Per-check time limits that follow the options, so pytest-timeout never cuts a limit the user chose.

pytest-timeout stops any check after ``timeout`` seconds (600 in pyproject.toml, or
``--timeout``, or ``PYTEST_TIMEOUT``). Two checks wait for as long as an option says:
the fresh login (``--login-timeout``, plus the logout and the stop) and the test prompt
(``--prompt-timeout``). With ``--login-timeout 700`` pytest-timeout would end the login in
the middle, after the logout, with a failure that reads like a bug in the suite. So these two
checks get a per-check ``timeout`` mark of what their options need plus a margin; a larger
limit the run already has (or none at all: ``--timeout 0``) is kept. The plugin calls
:func:`raise_limits` once the checks are collected.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from claude_session_tokens.claude.cli import PROBE_LIMIT
from claude_session_tokens.claude.login import LOGOUT_LIMIT
from claude_session_tokens.claude.processes import DRAIN_SECONDS, STOP_GRACE
from claude_session_tokens.suite.options import Settings
from claude_session_tokens.suite.registry import Role, the

MARGIN = 60.0  # seconds for the suite's own work in the check (reading files, discovery, reports)
LOGIN_CHECK = the(Role.LOGIN).file
PROMPT_CHECK = the(Role.PROMPT).file
_PROBES = 2 * PROBE_LIMIT  # 'claude --version' and 'claude auth --help', each under its own limit

NEEDS: dict[str, Callable[[Settings], float]] = {
    LOGIN_CHECK: lambda s: _PROBES + LOGOUT_LIMIT + s.login_timeout + STOP_GRACE + 2 * DRAIN_SECONDS + MARGIN,
    PROMPT_CHECK: lambda s: _PROBES + s.prompt_timeout + 2 * DRAIN_SECONDS + MARGIN,
}


def seconds_needed(check_file: str, settings: Settings) -> float | None:
    """How long the check in ``check_file`` may take with these options; None when no option sets it."""
    need = NEEDS.get(check_file)
    return None if need is None else need(settings)


def run_timeout(config: pytest.Config) -> float | None:
    """pytest-timeout's limit per check for this run (as pytest-timeout reads it); None without the plugin."""
    if not config.pluginmanager.hasplugin("timeout"):
        return None
    value = config.getvalue("timeout")
    if value is None:
        value = os.environ.get("PYTEST_TIMEOUT") or None
    if value is None:
        value = config.getini("timeout") or 0
    try:
        return float(value)
    except (TypeError, ValueError):
        return None  # pytest-timeout itself reports a bad value


def raise_limits(config: pytest.Config, items: list[pytest.Item], settings: Settings) -> None:
    """Give the login and the prompt check a ``timeout`` mark when the run's limit is too short for them."""
    default = run_timeout(config)
    if default is None:
        return
    for item in items:
        needed = seconds_needed(Path(str(item.path)).name, settings)
        if needed is None:
            continue
        marker = item.get_closest_marker("timeout")
        current = default
        if marker is not None:
            value = marker.args[0] if marker.args else marker.kwargs.get("timeout")
            try:
                current = float(value)
            except (TypeError, ValueError):
                continue
        if current > 0 and current < needed:  # 0 means no limit at all
            item.add_marker(pytest.mark.timeout(needed))
