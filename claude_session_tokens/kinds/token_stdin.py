"""``--oauth-token-file -``: read the token from standard input before pytest's capture hides it.

pytest replaces file descriptor 0 with the null device while it captures output, so a check
could never read a pipe. The token is therefore read once, at configuration time, with the
capture paused (stdin included), and kept in a :class:`~claude_session_tokens.core.masked.Masked`
(or the FindingError that explains why it could not be read, reported by the checks).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from claude_session_tokens.core.findings import FindingError
from claude_session_tokens.core.masked import Masked
from claude_session_tokens.kinds.oauth_token import read_stdin

if TYPE_CHECKING:
    import pytest
    from _pytest.capture import CaptureManager


def _paused(capman: CaptureManager) -> bool:
    """True when pytest's output capture is paused now: it is, while pytest configures itself,
    with standard input still on the null device."""
    capture = getattr(capman, "_global_capturing", None)
    return capture is not None and getattr(capture, "_state", "started") == "suspended"


def read_before_capture(config: pytest.Config) -> Masked[bytes] | FindingError:
    capman = config.pluginmanager.getplugin("capturemanager")
    paused = capman is not None and _paused(capman)
    if capman is not None:
        capman.suspend_global_capture(in_=True)  # standard input too
    try:
        return read_stdin(0)
    except FindingError as err:
        return err
    finally:
        if capman is not None:
            capman.resume_global_capture()
            if paused:  # back as it was: output not captured yet, standard input captured
                capman.suspend_global_capture(in_=False)
