"""Run a child process with a hard time limit, and kill everything it started when it runs over.

The ``claude`` CLI retries for minutes when the network is gone (domain.md section 5) and may
start helpers of its own, so the limit is enforced from outside: the child runs in its own
process group (POSIX: a new session; Windows: a new process group) and, when the limit is
reached, the whole group is killed (``killpg`` on POSIX, ``taskkill /T /F`` on Windows).

:func:`run_captured` collects stdout and stderr (for ``claude -p`` and the probes);
:func:`run_attached` hands the child the user's terminal (for ``claude auth login``), so it
stays in the terminal's foreground group where the user can type; at its limit it is stopped
gently (:func:`stop_gently`: SIGINT, a short grace, then the kill), so a CLI that drew on the
terminal can put it back.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Sequence

from .platforms import current_platform, is_windows

OUTPUT_LIMIT = 1024 * 1024  # characters of stdout/stderr kept; the CLI answers with a few KB
DRAIN_SECONDS = 5.0  # how long to wait for pipes to close after the kill
STOP_GRACE = 3.0  # how long a login on the terminal may take to exit after SIGINT before it is killed


@dataclass(frozen=True)
class Completed:
    """What became of one run. ``returncode`` is None when the child was killed at the limit.

    ``stdout``/``stderr`` are the child's raw words (a CLI may echo a token): left out of the repr,
    so no traceback with locals can show them; report them only through ``prompt.redact``.
    """

    argv: tuple[str, ...]
    returncode: int | None
    stdout: str = field(repr=False)
    stderr: str = field(repr=False)
    seconds: float
    timed_out: bool


class LaunchError(Exception):
    """The program could not be started at all (missing, not executable, ...)."""

    def __init__(self, program: str, reason: str) -> None:
        super().__init__(f"{program}: {reason}")
        self.program = program
        self.reason = reason


def _popen(argv: Sequence[str], **kwargs) -> subprocess.Popen:
    try:
        return subprocess.Popen([str(a) for a in argv], **kwargs)
    except FileNotFoundError:
        raise LaunchError(str(argv[0]), "not found") from None
    except PermissionError:
        raise LaunchError(str(argv[0]), "not executable (permission denied)") from None
    except OSError as exc:
        raise LaunchError(str(argv[0]), exc.strerror or type(exc).__name__) from None


def kill_tree(proc: subprocess.Popen, platform: str | None = None, own_group: bool = True) -> None:
    """Kill ``proc`` and what it started. Never raises."""
    if is_windows(platform or current_platform()):
        try:
            subprocess.run(["taskkill", "/T", "/F", "/PID", str(proc.pid)], stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=15, check=False)
        except (OSError, subprocess.SubprocessError):
            pass
    elif own_group and hasattr(os, "killpg"):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError, OSError):
            pass
    try:
        proc.kill()
    except OSError:
        pass


def _group_kwargs(platform: str) -> dict:
    if is_windows(platform):
        return {"creationflags": getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0)}
    return {"start_new_session": True}


def _text(data: bytes | None) -> str:
    return (data or b"")[:OUTPUT_LIMIT].decode("utf-8", "replace")


def run_captured(argv: Sequence[str], *, env: Mapping[str, str], limit: float, cwd: Path | None = None,
                 platform: str | None = None) -> Completed:
    """Run ``argv`` with stdin closed and output collected; stop it (and its group) after ``limit`` s."""
    platform = platform or current_platform()
    start = time.monotonic()
    proc = _popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                  env=dict(env), cwd=str(cwd) if cwd else None, **_group_kwargs(platform))
    timed_out = False
    try:
        out, err = proc.communicate(timeout=limit)
    except subprocess.TimeoutExpired:
        timed_out = True
        kill_tree(proc, platform)
        try:
            out, err = proc.communicate(timeout=DRAIN_SECONDS)
        except subprocess.TimeoutExpired:  # a descendant escaped the group and holds the pipes
            for pipe in (proc.stdout, proc.stderr):
                try:
                    pipe.close()
                except OSError:
                    pass
            out, err = b"", b""
    finally:
        if proc.poll() is None:
            kill_tree(proc, platform)
    if not timed_out and not is_windows(platform):
        kill_tree_leftovers(proc)
    seconds = time.monotonic() - start
    if proc.returncode is None:
        try:
            proc.wait(timeout=DRAIN_SECONDS)
        except subprocess.TimeoutExpired:
            pass
    return Completed(tuple(str(a) for a in argv), None if timed_out else proc.returncode,
                     _text(out), _text(err), seconds, timed_out)


def kill_tree_leftovers(proc: subprocess.Popen) -> None:
    """After a normal exit, stop helpers the child left running in its group (POSIX)."""
    if hasattr(os, "killpg"):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError, OSError):
            pass


def stop_gently(proc: subprocess.Popen, platform: str | None = None, grace: float = STOP_GRACE) -> None:
    """Ask ``proc`` to stop as Ctrl+C would (SIGINT on POSIX), wait up to ``grace`` s, then kill it.

    A CLI that draws on the terminal (the real ``claude auth login`` uses Ink, which puts the
    terminal into raw mode) can only restore the terminal when it is allowed to exit by itself.
    On Windows there is no signal to send to a child that shares our console: it is killed
    with its tree at once. Never raises; a second Ctrl+C during the grace still kills the child.
    """
    platform = platform or current_platform()
    try:
        if proc.poll() is not None:
            return
        if not is_windows(platform) and hasattr(signal, "SIGINT"):
            try:
                proc.send_signal(signal.SIGINT)
                proc.wait(timeout=grace)
            except (OSError, subprocess.TimeoutExpired):
                pass
    finally:
        if proc.poll() is None:
            kill_tree(proc, platform, own_group=False)
            try:
                proc.wait(timeout=DRAIN_SECONDS)
            except subprocess.TimeoutExpired:
                pass


def run_attached(argv: Sequence[str], *, env: Mapping[str, str], limit: float, cwd: Path | None = None,
                 platform: str | None = None, console=None) -> Completed:
    """Run ``argv`` on the user's terminal; stop it after ``limit`` s.

    ``console`` (a :class:`~claude_session_tokens.console.Console`, opened by the caller) becomes
    the child's stdin, stdout and stderr; without one the child inherits this process's streams
    (under pytest's capture those are not the terminal). The child stays in the terminal's
    foreground process group so it can read the keyboard and Ctrl+C reaches it; on the limit,
    or when this process is interrupted, it is stopped with :func:`stop_gently` (SIGINT, a short
    grace, then the kill: with its tree on Windows, only the direct child on POSIX).
    """
    platform = platform or current_platform()
    streams = {} if console is None else {"stdin": console.stdin, "stdout": console.stdout,
                                          "stderr": console.stdout}
    start = time.monotonic()
    proc = _popen(argv, env=dict(env), cwd=str(cwd) if cwd else None, **streams)
    timed_out = False
    try:
        proc.wait(timeout=limit)
    except subprocess.TimeoutExpired:
        timed_out = True
        stop_gently(proc, platform)
    except BaseException:  # Ctrl+C in the terminal (the child got it too) or pytest-timeout
        stop_gently(proc, platform)
        raise
    return Completed(tuple(str(a) for a in argv), None if timed_out else proc.returncode, "", "",
                     time.monotonic() - start, timed_out)
