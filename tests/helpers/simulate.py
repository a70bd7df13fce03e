"""Simulate another operating system in-process: the tool runs on Windows
(PowerShell), macOS and Linux, and what cannot run here is simulated.

The package asks :func:`claude_session_tokens.core.platforms.current_platform` which system it
judges. Modules that did ``from .platforms import current_platform`` hold their own name for
it, so every loaded ``claude_session_tokens`` module that has the name gets the replacement;
``platforms.is_windows()``/``is_macos()`` without an argument follow too.
"""

from __future__ import annotations

import sys

import claude_session_tokens.core.platforms as platforms


def simulate_platform(monkeypatch, platform: str) -> None:
    """Make the package believe it runs on ``platform`` (``win32``, ``darwin``, ``linux``)."""
    fake = lambda: platform  # noqa: E731
    monkeypatch.setattr(platforms, "current_platform", fake)
    for name, module in list(sys.modules.items()):
        if name.startswith("claude_session_tokens.") and module is not platforms \
                and getattr(module, "current_platform", None) is not None:
            monkeypatch.setattr(module, "current_platform", fake)
