"""The user's terminal, opened by name for the fresh login (``claude auth login``).

The login must talk to a person: it prints a sign-in URL and waits for a pasted code
(domain.md section 1; without a terminal it waits forever). The suite's own standard
streams cannot be handed on: pytest keeps stdin on the null device while it captures
output, and ``render_secret.py`` redirects stdout. So the terminal is opened directly,
as ``ssh`` and ``sudo`` do for a password prompt: ``/dev/tty`` (the controlling terminal)
on POSIX, ``CONIN$``/``CONOUT$`` (the console) on Windows. Whether that open succeeds is
the answer to "is a person at a terminal?"; in CI it fails, and the suite says so before
it changes anything.
"""

from __future__ import annotations

import locale
import os
from dataclasses import dataclass
from typing import BinaryIO


class NoConsole(Exception):
    """No terminal can be opened; ``reason`` says why, in words for the user."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class Console:
    """The terminal's input and output, as binary files a child process can inherit."""

    stdin: BinaryIO
    stdout: BinaryIO

    def say(self, text: str) -> None:
        """Write one line for the user. Never raises: a closed terminal must not hide the verdict."""
        try:
            self.stdout.write((text + "\n").encode(locale.getpreferredencoding(False) or "utf-8", "replace"))
            self.stdout.flush()
        except (OSError, ValueError):
            pass

    def close(self) -> None:
        for handle in {id(h): h for h in (self.stdin, self.stdout)}.values():
            try:
                handle.close()
            except OSError:
                pass

    def __enter__(self) -> "Console":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def open_console() -> Console:
    """Open the terminal the user started the suite from; raises :class:`NoConsole`.

    Decided by the operating system this runs on (not by a simulated platform): opening
    ``CONIN$`` anywhere but Windows would create a file of that name.
    """
    if os.name == "nt":
        try:
            stdin = open("CONIN$", "rb", buffering=0)  # noqa: SIM115 - handed to the child, closed by Console
        except (OSError, ValueError) as exc:
            raise NoConsole(f"no console window: CONIN$ cannot be opened ({_why(exc)})") from None
        try:
            stdout = open("CONOUT$", "wb", buffering=0)  # noqa: SIM115
        except (OSError, ValueError) as exc:
            stdin.close()
            raise NoConsole(f"no console window: CONOUT$ cannot be opened ({_why(exc)})") from None
        return Console(stdin, stdout)
    try:
        fd = os.open("/dev/tty", os.O_RDWR | getattr(os, "O_NOCTTY", 0))
    except OSError as exc:
        raise NoConsole(f"no controlling terminal: /dev/tty cannot be opened ({_why(exc)})") from None
    handle = os.fdopen(fd, "r+b", buffering=0)
    return Console(handle, handle)


def _why(exc: BaseException) -> str:
    return getattr(exc, "strerror", None) or type(exc).__name__
