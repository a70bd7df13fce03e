"""Run a child process that the kernel's file permissions really apply to, even as root.

The tests run as root in CI, and root reads every file whatever its mode, so "this file
cannot be read by the current user" cannot happen to root. Switching to ``nobody`` does not
work either: the interpreter lives under ``/root`` (mode 0700). Instead the child keeps its
uid but loses the two capabilities that let root ignore modes, ``CAP_DAC_OVERRIDE`` and
``CAP_DAC_READ_SEARCH``: it drops them from its bounding set before ``exec``, so the new
program never has them. From then on a file mode 0000, or a directory mode 0000, is refused
with ``EACCES`` by the kernel, exactly as for an ordinary user. No mock is involved.

For a non-root user nothing needs dropping: modes apply already.
"""

from __future__ import annotations

import os
import sys

PR_CAPBSET_DROP = 24
CAP_DAC_OVERRIDE = 1
CAP_DAC_READ_SEARCH = 2


def needs_drop() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def supported() -> tuple[bool, str]:
    """(True, "") when modes can be made to apply to a child here; else (False, why not)."""
    if os.name == "nt":
        return False, "POSIX file modes do not exist on Windows"
    if needs_drop() and not sys.platform.startswith("linux"):
        return False, "dropping root's file-permission override is only implemented for Linux"
    return True, ""


def drop_file_permission_override() -> None:
    """``preexec_fn``: remove the mode-bypassing capabilities before the child execs."""
    if not needs_drop():
        return
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH):
        if libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            err = ctypes.get_errno()
            raise OSError(err, f"prctl(PR_CAPBSET_DROP, {cap}) failed: {os.strerror(err)}")
