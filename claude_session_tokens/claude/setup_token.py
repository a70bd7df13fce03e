"""``--setup-token``: run ``claude setup-token`` in the user's terminal and capture the token it prints.

The CLI prints an authorize URL, asks for the code in a "Paste code here if prompted" box, and
after the sign-in prints a one-year token, wrapped at the terminal's width. Copying it by hand
is how it gets corrupted (a lost piece of a line, a newline in the header), so the suite
captures it, and shows it to nobody:

1. the same refusals as the fresh login, before anything runs: ``CI`` set to a true value, no
   terminal (``/dev/tty`` cannot be opened: cron, CI, ``ssh`` without ``-t``), a background job;
2. the CLI runs on a pseudo-terminal the suite owns, of the size of the user's terminal. The
   user's terminal is put into raw mode (restored afterwards, whatever happens) and every key
   typed is relayed to the CLI; everything the CLI prints is relayed to the user through
   :class:`MaskingRelay`, which replaces every character of a token-shaped string
   (``sk-ant-...``, followed across line wraps) with ``*``. A raw copy is kept in memory only;
3. at ``--login-timeout`` the CLI is stopped as Ctrl+C would (SIGINT to its group, a short
   grace, then the kill); Ctrl+C typed by the user (a key, in raw mode) stops the CLI the same
   way and interrupts the run, as it would in a shell;
4. the token is taken from the raw copy (oauth_token.extract: escapes and box drawing removed,
   the wrapped pieces joined using the terminal's width) and judged as a token file would be.

When the user's terminal is resized, the CLI's terminal follows (SIGWINCH), so its wrapping
stays right for both the screen and the capture. What the real CLI does is in
docs/setup-token.md.

Windows has no pseudo-terminal the suite can own here (ConPTY is not used): ``--setup-token``
refuses there with the commands that do the same by hand.
"""

from __future__ import annotations

import codecs
import os
import select
import signal
import subprocess
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from claude_session_tokens.claude.child_env import login_environment
from claude_session_tokens.claude.cli import INSTALL
from claude_session_tokens.claude.console import (
    Console,
    NoConsole,
    ci_job,
    no_terminal_finding,
    open_console,
)
from claude_session_tokens.claude.processes import LaunchError, _popen, stop_gently
from claude_session_tokens.core.findings import Finding, FindingError
from claude_session_tokens.core.masked import Masked
from claude_session_tokens.core.signals import deferred
from claude_session_tokens.kinds.oauth_token import local_session_tokens, token_from
from claude_session_tokens.session.temp_copies import make_private_dir, remove_tree

if TYPE_CHECKING:
    from types import FrameType

    from claude_session_tokens.suite.session import SessionUnderTest

RAW_LIMIT = 4 * 1024 * 1024  # bytes of the CLI's screen kept in memory (the screen is a few KB)
RUN_IT = "python render_secret.py --setup-token"
BY_HAND = ("run 'claude setup-token' yourself, save the token it prints to a file (never into shell history), "
           "then: python render_secret.py --oauth-token-file FILE")
_PREFIX = "sk-ant-"
_TOKEN_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
MASK = "*"
CTRL_C = b"\x03"
MAX_MASKED = 400  # characters after the prefix; a token has ~100


def _is_frame(ch: str) -> bool:
    """Spaces and box drawing: what may stand between the pieces of a wrapped token."""
    return ch in " \t\u00a0" or "\u2500" <= ch <= "\u259f"


class MaskingRelay:
    """Turns the CLI's output into what the user may see: every token-shaped string masked.

    Fed bytes in chunks of any size (a token may be split between two reads); escape sequences
    pass through unchanged. After ``sk-ant-`` every token character is replaced by ``*``,
    also on the following lines while they continue it (the token wraps at the terminal's
    width): masking ends at a blank line, at a character that is neither a token character,
    a space nor box drawing, or at a new word on the same line.
    """

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self._pending = ""  # a prefix of "sk-ant-" not yet shown
        self._escape = ""  # "", "start", "csi", "osc", "osc-esc", "string"
        self._masking = False
        self._masked = 0
        self._newlines = 0
        self._line_start = False
        self._paused = False

    def feed(self, data: bytes) -> bytes:
        out: list[str] = []
        for ch in self._decoder.decode(data):
            self._char(ch, out)
        return "".join(out).encode("utf-8")

    def flush(self) -> bytes:
        out: list[str] = []
        for ch in self._decoder.decode(b"", final=True):
            self._char(ch, out)
        out.append(self._pending)
        self._pending = ""
        return "".join(out).encode("utf-8")

    # --- the state machine -------------------------------------------------------------------
    def _char(self, ch: str, out: list[str]) -> None:
        if self._escape:
            out.append(ch)
            self._escape_step(ch)
            return
        if ch == "\x1b":
            out.append(self._pending)  # no token is split by an escape; show what was held back
            self._pending = ""
            out.append(ch)
            self._escape = "start"
            return
        if self._masking and self._mask(ch, out):
            return
        self._plain(ch, out)

    def _escape_step(self, ch: str) -> None:
        state = self._escape
        if state == "start":
            self._escape = {"[": "csi", "]": "osc", "P": "string", "X": "string", "^": "string",
                            "_": "string"}.get(ch, "")
        elif state == "csi":
            if "\x40" <= ch <= "\x7e":
                self._escape = ""
        elif state in ("osc", "string"):
            if ch == "\x07" and state == "osc":
                self._escape = ""
            elif ch == "\x1b":
                self._escape = "osc-esc"
        elif state == "osc-esc":
            self._escape = ""  # ESC \ ends the string (anything else: give up on it)

    def _mask(self, ch: str, out: list[str]) -> bool:
        """Handle ``ch`` while masking; False when masking ended and ``ch`` is plain text."""
        if ch in _TOKEN_CHARS:
            if self._paused or self._masked >= MAX_MASKED:
                self._masking = False  # a new word after a space on the same line
                return False
            out.append(MASK)
            self._masked += 1
            self._newlines = 0
            self._line_start = False
            return True
        if ch == "\n":
            self._newlines += 1
            out.append(ch)
            if self._newlines >= 2:
                self._masking = False
            self._line_start, self._paused = True, False
            return True
        if ch == "\r":
            out.append(ch)
            return True
        if _is_frame(ch):
            out.append(ch)
            if not self._line_start:
                self._paused = True
            return True
        self._masking = False
        return False

    def _plain(self, ch: str, out: list[str]) -> None:
        held = self._pending + ch
        if _PREFIX.startswith(held):
            if held == _PREFIX:
                out.append(held)
                self._pending = ""
                self._masking, self._masked, self._newlines = True, 0, 0
                self._line_start = self._paused = False
            else:
                self._pending = held
            return
        # the longest tail of what was held that can still start the prefix stays held
        for start in range(1, len(held) + 1):
            if _PREFIX.startswith(held[start:]):
                out.append(held[:start])
                self._pending = held[start:]
                return


@dataclass(frozen=True)
class SetupTokenOutcome:
    seconds: float
    fingerprint: str


def no_terminal(reason: str) -> Finding:
    return no_terminal_finding(
        "--setup-token", reason,
        why="'claude setup-token' shows a sign-in URL and asks for a code on the terminal; without one it waits "
            "forever. Nothing was run.",
        remedy=f"run it in an interactive terminal: {RUN_IT}   or, without a terminal (CI), pass a token you "
               "already have: python render_secret.py --oauth-token-file FILE")


def _take_the_terminal() -> None:  # in the child, after setsid: the pseudo-terminal becomes its own
    import fcntl
    import termios

    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def _window_size(console: Console) -> tuple[int, int]:
    """(rows, columns) of the user's terminal; 24x80 when it cannot tell."""
    try:
        size = os.get_terminal_size(console.stdout.fileno())
        if size.columns > 0 and size.lines > 0:
            return size.lines, size.columns
    except (OSError, ValueError, AttributeError):
        pass
    return 24, 80


def _set_size(fd: int, rows: int, columns: int) -> None:
    import fcntl
    import struct
    import termios

    try:
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    except OSError:
        pass


_NOT_SET = object()


def _follow_resizes(console: Console, slave_name: str):
    """Give the CLI's terminal the user's new size whenever the user's terminal is resized (SIGWINCH)."""
    if not hasattr(signal, "SIGWINCH"):
        return _NOT_SET

    def resized(_signum: int, _frame: FrameType | None) -> None:
        try:
            fd = os.open(slave_name, os.O_RDWR | os.O_NOCTTY)
        except OSError:
            return
        try:
            _set_size(fd, *_window_size(console))
        finally:
            os.close(fd)
    try:
        return signal.signal(signal.SIGWINCH, resized)
    except (ValueError, OSError):  # not the main thread: the size stays as it was at the start
        return _NOT_SET


def _restore_winch(previous: object) -> None:  # a handler, or _NOT_SET
    if previous is not _NOT_SET:
        try:
            signal.signal(signal.SIGWINCH, previous)
        except (ValueError, OSError, TypeError):
            pass


def _stop(proc: subprocess.Popen) -> None:
    """As Ctrl+C would: SIGINT to the CLI's group, a short grace, then the kill of the group."""
    stop_gently(proc, own_group=True)


@dataclass
class PtyRun:
    raw: Masked[bytes]
    returncode: int | None
    seconds: float
    timed_out: bool
    columns: int


def run_on_pty(argv: list[str], env: dict[str, str], limit: float, console: Console,
               cwd: Path | None = None) -> PtyRun:
    """Run ``argv`` on a pseudo-terminal, relaying keys in and masked output out (POSIX)."""
    import termios
    import tty

    rows, columns = _window_size(console)
    master, slave = os.openpty()
    slave_name = os.ttyname(slave)
    _set_size(slave, rows, columns)
    start = time.monotonic()
    try:
        proc = _popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=str(cwd) if cwd else None,
                      start_new_session=True, preexec_fn=_take_the_terminal, close_fds=True)
    except LaunchError:
        os.close(master)
        os.close(slave)
        raise
    os.close(slave)
    relay = MaskingRelay()
    raw = bytearray()
    timed_out = False
    try:
        keys = console.stdin.fileno()
    except (OSError, ValueError, AttributeError):
        keys = None
    previous_winch = _follow_resizes(console, slave_name)
    try:
        with console.mode_kept():
            if keys is not None:
                try:
                    tty.setraw(keys)
                except (OSError, ValueError, termios.error):
                    pass  # not a terminal (a stand-in in tests): keys are relayed as they come
            deadline = start + limit
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    timed_out = True
                    _stop(proc)
                    _drain(master, relay, raw, console)
                    break
                watched = [master] + ([keys] if keys is not None else [])
                ready, _, _ = select.select(watched, [], [], min(left, 0.2))
                if master in ready:
                    try:
                        chunk = os.read(master, 65536)
                    except OSError:  # EIO: the CLI and everything it started have closed the terminal
                        chunk = b""
                    if not chunk:
                        break
                    _keep(raw, chunk)
                    _show(console, relay.feed(chunk))
                if keys is not None and keys in ready:
                    try:
                        typed = os.read(keys, 1024)
                    except OSError:
                        typed = b""
                    if CTRL_C in typed:  # raw mode turned Ctrl+C into a key: it stops the run, as in a shell
                        os.write(master, typed[:typed.index(CTRL_C)])
                        _stop(proc)
                        raise KeyboardInterrupt
                    if typed:
                        os.write(master, typed)
                    else:
                        keys = None  # the terminal went away: the limit still applies
                if not ready and proc.poll() is not None:
                    _drain(master, relay, raw, console)
                    break
    except BaseException:
        _stop(proc)
        raise
    finally:
        _restore_winch(previous_winch)
        _show(console, relay.flush())
        try:  # the width the token was last drawn at (the user may have resized the terminal)
            columns = os.get_terminal_size(master).columns or columns
        except OSError:
            pass
        os.close(master)
        if proc.poll() is None:
            _stop(proc)
    return PtyRun(Masked(bytes(raw)), None if timed_out else proc.returncode, time.monotonic() - start,
                  timed_out, columns)


def _keep(raw: bytearray, chunk: bytes) -> None:
    if len(raw) < RAW_LIMIT:
        raw += chunk[:RAW_LIMIT - len(raw)]


def _show(console: Console, data: bytes) -> None:
    if not data:
        return
    try:
        console.stdout.write(data)
        console.stdout.flush()
    except (OSError, ValueError):
        pass


def _drain(master: int, relay: MaskingRelay, raw: bytearray, console: Console) -> None:
    """What the CLI printed just before it exited."""
    while True:
        ready, _, _ = select.select([master], [], [], 0.1)
        if not ready:
            return
        try:
            chunk = os.read(master, 65536)
        except OSError:
            return
        if not chunk:
            return
        _keep(raw, chunk)
        _show(console, relay.feed(chunk))


def capture(session: SessionUnderTest, attach: Callable[[], AbstractContextManager[None]],
            terminal: Callable[[], Console] | None = None) -> SetupTokenOutcome:
    """Run ``claude setup-token`` for ``session`` and adopt the token it printed; raises :class:`FindingError`."""
    if os.name == "nt":
        raise FindingError(Finding(
            cause="--setup-token is not available on Windows: the suite cannot run 'claude setup-token' on a "
                  "terminal of its own there, and would otherwise have to show the token.",
            why="the token must be captured without being shown or copied by hand.",
            remedy=BY_HAND))
    cli = session.cli
    if terminal is None and (in_ci := ci_job(session.environ)):
        raise FindingError(no_terminal(in_ci))
    try:
        console = (terminal or open_console)()
    except NoConsole as err:
        raise FindingError(no_terminal(err.reason)) from None
    limit = session.settings.login_timeout
    # The CLI's own profile stays out of it: setup-token saves nothing, and an empty config dir
    # keeps whatever it writes (onboarding state) away from the user's.
    with deferred():
        scratch = make_private_dir()  # 0700, with a marker naming this process (temp_copies.py)
    env = login_environment(session.environ, str(scratch)).env
    with console, attach():
        console.say("")
        console.say(f"claude setup-token: sign in in your browser and paste the code here (limit {limit:g} s, "
                    "--login-timeout). The token it prints is shown masked and captured.")
        try:
            run = run_on_pty([str(cli.path), "setup-token"], env, limit, console, cwd=scratch)
        except LaunchError as err:
            raise FindingError(Finding(
                cause=f"'claude setup-token' could not be started ({err.reason}).",
                why="without the CLI no token can be made.", remedy=f"{INSTALL}, then {RUN_IT}")) from None
        except KeyboardInterrupt:
            console.say("")
            console.say("Interrupted: no token was captured; nothing was changed on this machine.")
            raise
        finally:
            with deferred():
                remove_tree(scratch)
        console.say("")
        console.say(f"claude setup-token {'was stopped' if run.timed_out else 'finished'} after {run.seconds:.0f} s; "
                    "the checks go on.")
    return _adopt(session, run, limit)


def _adopt(session: SessionUnderTest, run: PtyRun, limit: float) -> SetupTokenOutcome:
    try:
        token = token_from(run.raw, width=run.columns,
                           session_tokens=local_session_tokens(_config_dirs(session)))
    except FindingError as err:
        if run.timed_out:
            raise FindingError(Finding(
                cause=f"'claude setup-token' did not print a token within {limit:g} s and was stopped (SC-001).",
                why="SC-001 expects the sign-in to complete within 2 minutes; no token was captured, nothing "
                    "was changed.",
                remedy=f"run it again and finish the browser sign-in in time: {RUN_IT} (or allow more time: "
                       "--login-timeout 300)")) from None
        cause = err.finding.cause.replace("The token input", "What 'claude setup-token' printed")
        raise FindingError(Finding(
            cause=cause + (f" (it exited with code {run.returncode})" if run.returncode else ""),
            why="no usable token was captured; " + err.finding.why,
            remedy=f"run it again: {RUN_IT}   (or {BY_HAND})")) from None
    session.adopt_token(token)
    return SetupTokenOutcome(run.seconds, token.fingerprint())


def _config_dirs(session: SessionUnderTest) -> list[Path]:
    try:
        return [session.location.config_dir]
    except FindingError:
        return []


