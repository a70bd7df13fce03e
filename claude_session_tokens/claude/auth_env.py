"""Warnings about credentials in the user's environment that would override the session.

``ANTHROPIC_AUTH_TOKEN``, ``ANTHROPIC_API_KEY`` and ``CLAUDE_CODE_OAUTH_TOKEN`` win over the
stored session (docs/claude-cli-facts.md, The headless prompt). The test prompt runs without
them, so they cannot make a dead session look alive; but the same variable set in the pod would
silently replace the session the Secret carries. Only the variable's name is ever shown, never
its value.
"""

from __future__ import annotations

from collections.abc import Mapping

from claude_session_tokens.claude.child_env import USER_FACING_OVERRIDES
from claude_session_tokens.core.findings import Finding
from claude_session_tokens.core.platforms import is_windows


def _unset_command(name: str, platform: str) -> str:
    if is_windows(platform):
        return f"Remove-Item Env:{name}   (PowerShell; also remove it from your profile/system settings)"
    return f"unset {name}   (and remove it from your shell profile)"


def override_warnings(environ: Mapping[str, str], platform: str) -> list[Finding]:
    """One warning per overriding variable that is set and non-empty."""
    found = []
    for name in USER_FACING_OVERRIDES:
        if environ.get(name):
            found.append(Finding(
                cause=f"{name} is set in your environment (value not shown).",
                why="the claude CLI prefers it over the signed-in session: the test prompt ran without "
                    f"it, but if {name} is also set in the pod, the pod would use it instead of the "
                    "session in the Secret.",
                remedy=f"{_unset_command(name, platform)}; keep {name} out of the pod's env",
            ))
    return found
