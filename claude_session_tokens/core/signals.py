"""SIGTERM and SIGHUP stop a run the way Ctrl+C (SIGINT) does: cleanly, with exit code 128 + n.

Python turns SIGINT into :class:`KeyboardInterrupt`; every clean-up of the suite (the test
prompt's temporary copy of the session, the CLI's process tree, the terminal's settings after a
login, the Secret's temporary file) already runs on that path. SIGTERM (``kill``, a CI runner
cancelling a job, ``systemd``) and SIGHUP (the terminal was closed) would otherwise end the
process at once and skip every ``finally``. :func:`install` makes them raise :class:`Terminated`,
a :class:`KeyboardInterrupt`, so pytest and ``render_secret.py`` take the same path; the exit
code becomes 143 (SIGTERM) or 129 (SIGHUP), as a shell reports a process killed by the signal.

- A signal whose handler is not the default is left alone: under ``nohup`` SIGHUP stays ignored.
- Only the first signal interrupts; a repeated one while the run cleans up is only noted (the
  clean-up must finish), and inside :func:`deferred` (removing the copy) a stop, Ctrl+C
  included, waits until the block is done. SIGKILL cannot be handled by any program: the next run removes the
  temporary copy such a run left behind (``prompt.remove_stale_copies``).
- After SIGHUP the terminal is gone and writing to it fails (EIO): every descriptor on it is
  then pointed at the null device, so the clean-up and the exit are not cut short.
- Windows has no SIGHUP; a console's Ctrl+Break (SIGBREAK) is handled like SIGTERM there.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from types import FrameType

_NAMES = ("SIGTERM", "SIGHUP", "SIGBREAK")
_state: dict[str, Any] = {"received": None, "saved": {}, "depth": 0}


class Terminated(KeyboardInterrupt):
    """The run was stopped by SIGTERM or SIGHUP; ``exit_code`` is 128 + the signal's number."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        super().__init__(f"stopped by {signal_name(signum)}")

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


def signal_name(signum: int) -> str:
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"


def handled_signals() -> list[int]:
    return [getattr(signal, name) for name in _NAMES if hasattr(signal, name)]


def received() -> int | None:
    """The first SIGTERM/SIGHUP this process received since :func:`install`, or None."""
    return _state["received"]


def exit_code(exc: BaseException | None = None, default: int = 130) -> int:
    """128 + n for a run stopped by signal n (:class:`Terminated`, or one noted while the run went
    on), else ``default`` (130: Ctrl+C)."""
    if isinstance(exc, Terminated):
        return exc.exit_code
    signum = received()
    return 128 + signum if signum else default


def _terminal_devices() -> set[int]:
    """The device numbers of the terminal on fds 0-2 (what a hang-up takes away)."""
    found = set()
    for fd in (0, 1, 2):
        try:
            if os.isatty(fd):
                found.add(os.fstat(fd).st_rdev)
        except OSError:
            pass
    return found


def _open_fds() -> list[int]:
    for listing in ("/proc/self/fd", "/dev/fd"):
        try:
            return sorted(int(name) for name in os.listdir(listing) if name.isdigit())
        except OSError:
            continue
    return [0, 1, 2]


def _quiet_a_hung_up_terminal() -> None:
    """Point every output descriptor on the terminal the run started on at the null device (the
    terminal is gone: writing to it fails with EIO). pytest's capture keeps copies of fds 1 and
    2 to restore them later, so every descriptor on that terminal is replaced, not only 1 and 2."""
    devices = _state.get("terminals") or set()
    try:
        null = os.open(os.devnull, os.O_RDWR)
    except OSError:
        return
    try:
        for fd in _open_fds():
            if fd == null:
                continue
            try:
                info = os.fstat(fd)
            except OSError:
                continue
            import stat

            on_terminal = stat.S_ISCHR(info.st_mode) and info.st_rdev in devices
            broken = fd in (1, 2) and not on_terminal and _write_fails(fd)
            if on_terminal or broken:
                try:
                    os.dup2(null, fd)
                except OSError:
                    pass
    finally:
        os.close(null)


def _write_fails(fd: int) -> bool:
    try:
        os.write(fd, b"")
        return False
    except OSError:
        return True


def _handler(signum: int, _frame: FrameType | None) -> None:
    if getattr(signal, "SIGHUP", None) == signum:
        _quiet_a_hung_up_terminal()
    if _state["received"] is not None:
        return  # the run is already stopping: let its clean-up finish
    _state["received"] = signum
    if _state.get("deferring"):
        _state["pending"] = Terminated(signum)
        return
    raise Terminated(signum)


def _defer_sigint(_signum: int, _frame: FrameType | None) -> None:
    _state.setdefault("pending", KeyboardInterrupt())


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """Hold back Ctrl+C, SIGTERM and SIGHUP while the block runs (removing the copy of the session,
    writing its marker): a clean-up cut in half would leave tokens behind. The stop is raised when
    the block ends. Main thread only; elsewhere the block simply runs."""
    main = threading.current_thread() is threading.main_thread()
    if not main or _state.get("deferring"):
        yield
        return
    _state["deferring"] = True
    _state.pop("pending", None)
    sigint = None
    try:
        if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
            sigint = signal.signal(signal.SIGINT, _defer_sigint)
    except (OSError, ValueError):
        sigint = None
    try:
        yield
    finally:
        if sigint is not None:
            try:
                signal.signal(signal.SIGINT, sigint)
            except (OSError, ValueError):
                pass
        _state["deferring"] = False
        pending = _state.pop("pending", None)
        if pending is not None:
            raise pending


def install() -> None:
    """Handle SIGTERM and SIGHUP like SIGINT from now on (nested calls are counted). Main thread only;
    elsewhere (a worker thread) nothing is changed."""
    if threading.current_thread() is not threading.main_thread():
        return
    if _state["depth"] == 0:
        _state["received"] = None
        _state["saved"] = {}
        _state["terminals"] = _terminal_devices()
        for signum in handled_signals():
            try:
                if signal.getsignal(signum) is signal.SIG_DFL:
                    _state["saved"][signum] = signal.signal(signum, _handler)
            except (OSError, ValueError):
                pass
    _state["depth"] += 1


def uninstall() -> None:
    """Undo the matching :func:`install`; the last one restores the previous handlers."""
    if threading.current_thread() is not threading.main_thread() or _state["depth"] == 0:
        return
    _state["depth"] -= 1
    if _state["depth"] == 0:
        for signum, previous in _state["saved"].items():
            try:
                signal.signal(signum, previous)
            except (OSError, ValueError, TypeError):
                pass
        _state["saved"] = {}
