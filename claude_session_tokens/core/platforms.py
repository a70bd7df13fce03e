"""Which operating system the suite is judging, in one place so tests can simulate another.

Windows, macOS and Linux differ in where the session lives (docs/claude-cli-facts.md) and in what
file modes mean. Code asks :func:`current_platform` instead of reading ``sys.platform``
directly; the project's tests replace it to run the Windows and macOS paths on Linux.
"""

from __future__ import annotations

import sys


def current_platform() -> str:
    """``sys.platform`` of the running interpreter: ``win32``, ``darwin``, ``linux`` ..."""
    return sys.platform


def is_windows(platform: str | None = None) -> bool:
    return (platform or current_platform()).startswith("win")


def is_macos(platform: str | None = None) -> bool:
    return (platform or current_platform()) == "darwin"
