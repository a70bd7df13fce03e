"""The user's terminal, opened by name for the fresh login (``claude auth login``).

The login must talk to a person: it prints a sign-in URL and waits for a pasted code
(without a terminal it waits forever: docs/claude-cli-facts.md, Commands). The suite's own standard
streams cannot be handed on: pytest keeps stdin on the null device while it captures
output, and ``render_secret.py`` redirects stdout. So the terminal is opened directly,
as ``ssh`` and ``sudo`` do for a password prompt: ``/dev/tty`` (the controlling terminal)
on POSIX, ``CONIN$``/``CONOUT$`` (the console) on Windows.

What this detects, per platform (the caller also refuses at once when ``CI`` is set):

- POSIX: the run has a controlling terminal (``/dev/tty`` opens: not so under cron, a CI
  runner, ``ssh`` without ``-t``, a container started without ``-t``) and is in that
  terminal's foreground (not a background job started with ``&``, which would be stopped
  when the login reads the keyboard). A pipe on stdin or ``nohup`` do not matter: the
  login still reaches the terminal.
- Windows: the process has a console (``CONIN$`` opens). A service or a CI agent often has
  a hidden console too, so this alone does not prove that a person is there; ``CI=true``
  is what the suite relies on there.

The terminal's settings (termios, POSIX) can be saved and restored around the login
(:meth:`Console.mode_kept`), so a CLI that set raw mode and was killed does not leave the
terminal without echo and Ctrl+C.
"""

from __future__ import annotations

import contextlib
import locale
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import BinaryIO

from claude_session_tokens.core.findings import Finding, os_reason

try:
    import termios
except ImportError:  # Windows: no termios; the console restores its own mode per process
    termios = None


class NoConsole(Exception):
    """No terminal can be opened; ``reason`` says why, in words for the user."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


FALSE_WORDS = ("", "0", "false", "no", "off")  # values of CI that do not mean "a CI job"


def ci_job(environ: Mapping[str, str]) -> str | None:
    """Why nobody can sign in when ``CI`` is set to a true value (GitHub Actions, GitLab, Azure's
    agents and most others set ``CI=true``), whatever terminal or console the job has; else None."""
    value = str(environ.get("CI", "")).strip()
    if value.lower() in FALSE_WORDS:
        return None
    return f"CI={value} is set: a CI job has no person to sign in in the browser and paste the code"


def no_terminal_finding(what: str, reason: str, why: str, remedy: object) -> Finding:
    """``what`` cannot run here: it needs a terminal for the person signing in, and ``reason``
    says why this run has none (:class:`NoConsole`, :func:`ci_job`)."""
    return Finding(cause=f"{what} needs an interactive terminal, and this run has none ({reason}).",
                   why=why, remedy=remedy)


@dataclass
class Console:
    """The terminal's input and output, as binary files a child process can inherit."""

    stdin: BinaryIO
    stdout: BinaryIO

    def say(self, text: str) -> None:
        """Write one line for the user. Never raises: a closed terminal must not hide the verdict."""
        try:
            self.stdout.write((text + "\n").encode(self.encoding(), "replace"))
            self.stdout.flush()
        except (OSError, ValueError):
            pass

    @staticmethod
    def encoding() -> str:
        """UTF-8 for ``CONOUT$`` (opened binary on Windows it expects UTF-8), else the locale's."""
        if os.name == "nt":
            return "utf-8"
        return locale.getpreferredencoding(False) or "utf-8"

    @contextlib.contextmanager
    def mode_kept(self) -> Iterator[None]:
        """Save the terminal's settings (POSIX termios) and restore them afterwards, whatever happened."""
        saved = fd = None
        if termios is not None:
            try:
                fd = self.stdin.fileno()
                saved = termios.tcgetattr(fd)
            except (OSError, ValueError, termios.error):
                saved = None  # not a terminal (a stand-in in tests): nothing to restore
        try:
            yield
        finally:
            if saved is not None:
                try:
                    termios.tcsetattr(fd, termios.TCSADRAIN, saved)
                except (OSError, ValueError, termios.error):
                    pass

    def close(self) -> None:
        for handle in {id(h): h for h in (self.stdin, self.stdout)}.values():
            try:
                handle.close()
            except OSError:
                pass

    def __enter__(self) -> Console:
        return self

    def __exit__(self, *exc: object) -> None:
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
            raise NoConsole(f"no console window: CONIN$ cannot be opened ({os_reason(exc)})") from None
        try:
            stdout = open("CONOUT$", "wb", buffering=0)  # noqa: SIM115
        except (OSError, ValueError) as exc:
            stdin.close()
            raise NoConsole(f"no console window: CONOUT$ cannot be opened ({os_reason(exc)})") from None
        return Console(stdin, stdout)
    try:
        fd = os.open("/dev/tty", os.O_RDWR | getattr(os, "O_NOCTTY", 0))
    except OSError as exc:
        raise NoConsole(f"no controlling terminal: /dev/tty cannot be opened ({os_reason(exc)})") from None
    if _in_background(fd):
        os.close(fd)
        raise NoConsole("this run is a background job of its terminal (started with '&'): the login could not "
                        "read the keyboard; run it in the foreground")
    handle = os.fdopen(fd, "r+b", buffering=0)
    return Console(handle, handle)


def _in_background(fd: int) -> bool:
    """True when this process is not in the terminal's foreground process group (POSIX)."""
    try:
        return os.tcgetpgrp(fd) != os.getpgrp()
    except (OSError, AttributeError):
        return False  # cannot tell: let the login try

