"""Run the real ``checks/`` suite (or ``render_secret.py``) with, or without, a terminal.

Whether the fresh login can talk to a person depends on the *controlling terminal* of the
run (``/dev/tty``; the console on Windows), not on its standard streams. A plain subprocess
inherits the developer's terminal, so these helpers decide it explicitly:

- :func:`run_without_terminal`: a new session with no controlling terminal (POSIX
  ``start_new_session``; Windows ``DETACHED_PROCESS``: no console), as in CI;
- :func:`run_in_terminal` (POSIX): a real pseudo-terminal becomes the run's controlling
  terminal and its stdin/stdout/stderr; when the login shows ``Paste code here if prompted``
  the helper types ``code`` and Enter, as a person would; ``keys`` types more (e.g. ``^C``
  once a text is shown), sends a signal to the run's process group (an ``int``), resizes the
  window (a ``(rows, columns)`` tuple), or closes
  the terminal (:data:`HANG_UP`). Everything the terminal showed is the run's stdout (``\\r\\n``
  turned into ``\\n``). A person sits there, so ``CI`` is removed from its environment
  (the suite refuses a fresh login when ``CI`` is set). ``modes`` (a :class:`TerminalModes`)
  receives the terminal's local flags (termios ``lflag``) before and after the run.

In ``env``, a value of None removes the variable.
"""

from __future__ import annotations

import os
import select
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from .runner import CHECKS, ROOT, UNRELATED_PLUGINS_OFF, ChecksRun

PASTE_PROMPT = b"Paste code here if prompted >"
CTRL_C = b"\x03"
HANG_UP = "hang up"  # in ``keys``: close the terminal (its master side), as closing the window does


@dataclass
class TerminalModes:
    """The pseudo-terminal's termios ``lflag`` (ECHO, ICANON, ISIG, ...) before and after a run."""

    before: int | None = None
    after: int | None = None


def checks_command(out_dir: Path, basetemp: Path, *args: str, paths: tuple[str, ...] = ()) -> list[str]:
    """``python -m pytest <checks> ...`` as ``helpers.runner.ChecksRunner`` builds it."""
    out_dir.mkdir(parents=True, exist_ok=True)
    targets = [str(CHECKS / p) for p in paths] or [str(CHECKS)]
    return [sys.executable, "-m", "pytest", f"--basetemp={basetemp}", *targets, f"--rootdir={ROOT}",
            "-c", str(ROOT / "pyproject.toml"), *UNRELATED_PLUGINS_OFF,
            f"--junitxml={out_dir / 'junit.xml'}", f"--reports-dir={out_dir}", *args]


def _environment(env: dict[str, str | None] | None) -> dict[str, str]:
    merged = dict(os.environ)
    for name, value in (env or {}).items():
        if value is None:
            merged.pop(name, None)
        else:
            merged[name] = value
    return merged


def _lflag(path: str) -> int | None:
    import termios

    try:
        fd = os.open(path, os.O_RDWR | os.O_NOCTTY)
    except OSError:
        return None
    try:
        return termios.tcgetattr(fd)[3]
    finally:
        os.close(fd)


def _run(out_dir: Path, ret: int, stdout: str, stderr: str) -> ChecksRun:
    return ChecksRun(ret, stdout, stderr, out_dir / "junit.xml", out_dir / "summary.md", out_dir)


def run_without_terminal(cmd: list[str], out_dir: Path, cwd: Path, env: dict[str, str] | None = None,
                         timeout: float = 120) -> ChecksRun:
    """Run ``cmd`` detached from every terminal, output captured."""
    if os.name == "nt":
        detach = {"creationflags": 0x00000008 | subprocess.CREATE_NEW_PROCESS_GROUP}  # DETACHED_PROCESS
    else:
        detach = {"start_new_session": True}
    proc = subprocess.run(cmd, cwd=cwd, env=_environment(env), stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, errors="replace", timeout=timeout, **detach)
    return _run(out_dir, proc.returncode, proc.stdout, proc.stderr)


def _take_the_terminal() -> None:  # runs in the child, after setsid: fd 0 becomes its controlling tty
    import fcntl
    import termios

    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def run_in_terminal(cmd: list[str], out_dir: Path, cwd: Path, env: dict[str, str | None] | None = None,
                    code: str | None = "fake-authorization-code", timeout: float = 120,
                    keys: tuple[tuple[bytes, bytes | int | str | tuple[int, int]], ...] = (), modes: TerminalModes | None = None,
                    size: tuple[int, int] | None = None) -> ChecksRun:
    """Run ``cmd`` on a fresh pseudo-terminal (POSIX only); type ``code`` when the login asks,
    and each ``(shown, typed)`` of ``keys`` once ``shown`` has appeared (after the previous key).
    ``size`` is the terminal's (rows, columns)."""
    import pty
    import termios

    master, slave = pty.openpty()
    slave_name = os.ttyname(slave)
    if size is not None:
        import fcntl
        import struct

        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", size[0], size[1], 0, 0))
    if modes is not None:
        modes.before = termios.tcgetattr(slave)[3]
    try:
        proc = subprocess.Popen(cmd, cwd=cwd, env=_environment({"CI": None, **(env or {})}), stdin=slave,
                                stdout=slave, stderr=slave, start_new_session=True,
                                preexec_fn=_take_the_terminal, close_fds=True)
    finally:
        os.close(slave)
    shown = bytearray()
    typed = False
    pending = list(keys)
    deadline = time.monotonic() + timeout
    try:
        while True:
            if time.monotonic() > deadline:
                proc.kill()
                raise TimeoutError(f"the run on the pseudo-terminal took over {timeout:g} s:\n"
                                   + shown.decode("utf-8", "replace"))
            ready, _, _ = select.select([master], [], [], 0.2)
            if not ready:
                if proc.poll() is not None:
                    break
                continue
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: every holder of the terminal has closed it
                break
            if not chunk:
                break
            shown += chunk
            if code is not None and not typed and PASTE_PROMPT in shown:
                os.write(master, code.encode() + b"\n")
                typed = True
            if pending and pending[0][0] in shown:
                action = pending.pop(0)[1]
                if action == HANG_UP:  # the terminal window is closed: the kernel sends SIGHUP
                    os.close(master)
                    master = None
                    break
                if isinstance(action, int):  # a signal for the run's process group
                    os.killpg(proc.pid, action)
                elif isinstance(action, tuple):  # (rows, columns): the window is resized (SIGWINCH)
                    import fcntl
                    import struct

                    fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack("HHHH", action[0], action[1], 0, 0))
                else:
                    os.write(master, action)
        proc.wait(timeout=60)
    finally:
        if modes is not None:
            modes.after = _lflag(slave_name)
        if master is not None:
            os.close(master)
        if proc.poll() is None:
            proc.kill()
    text = shown.decode("utf-8", "replace").replace("\r\n", "\n")
    return _run(out_dir, proc.returncode, text, "")
