"""Run a child process with a hard time limit, and kill everything it started when it runs over.

The ``claude`` CLI retries for minutes when the network is gone (docs/claude-cli-facts.md) and may
start helpers of its own, so the limit is enforced from outside: the child runs in its own
process group (POSIX: a new session; Windows: a new process group) and, when the limit is
reached, the whole group is killed (``killpg`` on POSIX, ``taskkill /T /F`` on Windows). On
Linux this process is also a child subreaper while the child runs, so a helper that left the
group (``setsid``) is collected and killed too (:func:`collecting_orphans`, :func:`kill_leftovers`);
on macOS such a helper is out of reach. The run ends when the child itself exits: a helper
still holding its stdout does not turn an answer into a time-out.

:func:`run_captured` collects stdout and stderr (for ``claude -p`` and the probes);
:func:`run_attached` hands the child the user's terminal (for ``claude auth login``), so it
stays in the terminal's foreground group where the user can type; at its limit it is stopped
gently (:func:`stop_gently`: SIGINT, a short grace, then the kill), so a CLI that drew on the
terminal can put it back.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from claude_session_tokens.core.findings import os_reason
from claude_session_tokens.core.platforms import current_platform, is_windows

if TYPE_CHECKING:
    from claude_session_tokens.claude.console import Console

OUTPUT_LIMIT = 1024 * 1024  # characters of stdout/stderr kept; the CLI answers with a few KB
DRAIN_SECONDS = 5.0  # how long to wait for pipes to close after the kill
STOP_GRACE = 3.0  # how long a login on the terminal may take to exit after SIGINT before it is killed


@dataclass(frozen=True)
class Completed:
    """What became of one run. ``returncode`` is None when the child was killed at the limit.

    ``stdout``/``stderr`` are the child's raw words (a CLI may echo a token): left out of the repr,
    so no traceback with locals can show them; report them only through ``redaction.redact``.
    """

    argv: tuple[str, ...]
    returncode: int | None
    stdout: str = field(repr=False)
    stderr: str = field(repr=False)
    seconds: float
    timed_out: bool
    raw_stdout: bytes | None = field(default=None, repr=False)  # the bytes as the child wrote them
    raw_stderr: bytes | None = field(default=None, repr=False)

    def output_bytes(self) -> bytes:
        """stdout and stderr as the child wrote them (for ``redaction.redact``, which masks bytes)."""
        out = self.raw_stdout if self.raw_stdout is not None else self.stdout.encode("utf-8", "surrogatepass")
        err = self.raw_stderr if self.raw_stderr is not None else self.stderr.encode("utf-8", "surrogatepass")
        return out + b"\n" + err if err else out


class LaunchError(Exception):
    """The program could not be started at all (missing, not executable, ...)."""

    def __init__(self, program: str, reason: str) -> None:
        super().__init__(f"{program}: {reason}")
        self.program = program
        self.reason = reason


def _popen(argv: Sequence[str], **kwargs: Any) -> subprocess.Popen:
    try:
        return subprocess.Popen([str(a) for a in argv], **kwargs)
    except FileNotFoundError:
        raise LaunchError(str(argv[0]), "not found") from None
    except PermissionError:
        raise LaunchError(str(argv[0]), "not executable (permission denied)") from None
    except OSError as exc:
        raise LaunchError(str(argv[0]), os_reason(exc)) from None


def signal_group(proc: subprocess.Popen, signum: int) -> None:
    """Send ``signum`` to the process group that ``proc`` leads (POSIX; nothing elsewhere).
    Never raises: a group that is gone, or not ours, has nothing left to stop."""
    if hasattr(os, "killpg"):
        try:
            os.killpg(proc.pid, signum)
        except OSError:
            pass


def kill_tree(proc: subprocess.Popen, platform: str | None = None, own_group: bool = True) -> None:
    """Kill ``proc`` and what it started. Never raises."""
    if is_windows(platform or current_platform()):
        try:
            subprocess.run(["taskkill", "/T", "/F", "/PID", str(proc.pid)], stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=15, check=False)
        except (OSError, subprocess.SubprocessError):
            pass
    elif own_group:
        signal_group(proc, signal.SIGKILL)
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


# --- collecting the whole tree ---------------------------------------------------------------
#
# A process that starts its own session (``setsid``) leaves the CLI's process group, so killing
# the group misses it. On Linux this process becomes a *child subreaper* while a CLI runs
# (``prctl(PR_SET_CHILD_SUBREAPER)``): every descendant orphaned by the death of its parent is
# then re-parented to this process instead of to init, so after the CLI has exited or been
# killed, every process left whose parent is this one (and that was not already a child before
# the CLI started) is a leftover of the CLI: it is killed and reaped, repeatedly, until none is
# left. The suite starts no other process while a CLI runs. Elsewhere (macOS, Windows) only the
# process group (POSIX) or ``taskkill /T`` (Windows) is available.

PR_SET_CHILD_SUBREAPER = 36
PR_GET_CHILD_SUBREAPER = 37
_SUBREAPER: dict = {"depth": 0, "was": None}
_SUBREAPER_LOCK = threading.Lock()


def _prctl(option: int, value: object) -> int:  # an int or a ctypes.byref()
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    zero = ctypes.c_ulong(0)
    arg = ctypes.c_ulong(value) if isinstance(value, int) else value
    return libc.prctl(ctypes.c_int(option), arg, zero, zero, zero)


def _set_subreaper(on: bool) -> bool | None:
    """Make this process a child subreaper (or stop being one); returns whether it was one before,
    or None where that is not possible (not Linux, no prctl)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        was = ctypes.c_int(0)
        if _prctl(PR_GET_CHILD_SUBREAPER, ctypes.byref(was)) != 0:
            return None
        if _prctl(PR_SET_CHILD_SUBREAPER, 1 if on else 0) != 0:
            return None
        return bool(was.value)
    except (OSError, AttributeError, ValueError):
        return None


def is_subreaper() -> bool | None:
    """Whether this process is a child subreaper now (None: cannot tell, not Linux)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        value = ctypes.c_int(0)
        return bool(value.value) if _prctl(PR_GET_CHILD_SUBREAPER, ctypes.byref(value)) == 0 else None
    except (OSError, AttributeError, ValueError):
        return None


def own_children() -> set[int]:
    """The pids whose parent is this process, from ``/proc/*/stat`` (empty without /proc)."""
    me = os.getpid()
    found: set[int] = set()
    try:
        names = os.listdir("/proc")
    except OSError:
        return found
    for name in names:
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as stat:
                fields = stat.read().rsplit(b")", 1)[-1].split()
        except OSError:
            continue
        if len(fields) > 1 and fields[1] == str(me).encode():
            found.add(int(name))
    return found


@contextlib.contextmanager
def collecting_orphans() -> Iterator[set[int]]:
    """While the block runs this process is a child subreaper (Linux); yields the children it had
    before, which :func:`kill_leftovers` leaves alone."""
    with _SUBREAPER_LOCK:
        if _SUBREAPER["depth"] == 0:
            _SUBREAPER["was"] = _set_subreaper(True)
        _SUBREAPER["depth"] += 1
    try:
        yield own_children()
    finally:
        with _SUBREAPER_LOCK:
            _SUBREAPER["depth"] -= 1
            if _SUBREAPER["depth"] == 0 and _SUBREAPER["was"] is False:
                _set_subreaper(False)


def _reap(pid: int, deadline: float) -> None:
    while True:
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            return  # not (or no longer) ours to reap
        except OSError:
            return
        if done or time.monotonic() > deadline:
            return
        time.sleep(0.01)


def kill_leftovers(before: set[int], keep: int | None = None, seconds: float = DRAIN_SECONDS) -> int:
    """Kill and reap every child of this process not in ``before`` (nor ``keep``), again and again
    until none is left (a killed helper's own children are re-parented here). POSIX with /proc;
    returns how many were killed."""
    if os.name == "nt" or not hasattr(os, "waitpid"):
        return 0
    deadline = time.monotonic() + seconds
    killed = 0
    while time.monotonic() < deadline:
        found = own_children() - before - ({keep} if keep else set())
        if not found:
            break
        for pid in found:
            try:
                os.kill(pid, signal.SIGKILL)
                killed += 1
            except OSError:
                pass
        for pid in found:
            _reap(pid, deadline)
    return killed


def _finish_tree(proc: subprocess.Popen, platform: str, before: set[int]) -> None:
    """After the child exited or was killed: its group, then every orphan collected here."""
    if not is_windows(platform):  # after a normal exit too: helpers the child left in its group
        signal_group(proc, signal.SIGKILL)
    if proc.returncode is None:
        try:
            proc.wait(timeout=DRAIN_SECONDS)
        except subprocess.TimeoutExpired:
            pass
    kill_leftovers(before, keep=proc.pid if proc.returncode is None else None)


EXIT_DRAIN = 1.0  # after the child exited: how long to read what is still in the pipes


def _collect_selecting(proc: subprocess.Popen, limit: float, platform: str,
                       before: set[int]) -> tuple[bytes, bytes, bool]:
    """Read stdout and stderr until the child exited (then what it left in the pipes) or ``limit``.

    The verdict belongs to the child itself: once it has exited, everything it wrote is in the
    pipes, so a helper of it that still holds them open does not make the run wait for the limit;
    the helpers are killed and the pipes drained.
    """
    import selectors

    buffers = {proc.stdout: bytearray(), proc.stderr: bytearray()}
    chooser = selectors.DefaultSelector()
    for pipe in buffers:
        os.set_blocking(pipe.fileno(), False)
        chooser.register(pipe, selectors.EVENT_READ)
    deadline = time.monotonic() + limit
    drain_until: float | None = None
    timed_out = False
    try:
        while True:
            now = time.monotonic()
            if drain_until is None:
                if proc.poll() is not None:
                    _finish_tree(proc, platform, before)
                    drain_until = time.monotonic() + EXIT_DRAIN
                elif now >= deadline:
                    timed_out = True
                    kill_tree(proc, platform)
                    _finish_tree(proc, platform, before)
                    drain_until = time.monotonic() + DRAIN_SECONDS
            elif now >= drain_until or not chooser.get_map():
                break
            if not chooser.get_map():  # both pipes closed, the child still runs: wait for its exit
                try:
                    proc.wait(timeout=max(0.0, deadline - now))
                except subprocess.TimeoutExpired:
                    pass
                continue
            wait = 0.05 if drain_until is None else max(0.0, min(0.05, drain_until - now))
            for key, _ in chooser.select(wait):
                try:
                    chunk = os.read(key.fd, 65536)
                except BlockingIOError:
                    continue
                except OSError:
                    chunk = b""
                if not chunk:
                    chooser.unregister(key.fileobj)
                    continue
                kept = buffers[key.fileobj]
                if len(kept) < OUTPUT_LIMIT:
                    kept += chunk[:OUTPUT_LIMIT - len(kept)]
    finally:
        chooser.close()
    return bytes(buffers[proc.stdout]), bytes(buffers[proc.stderr]), timed_out


def _collect_threaded(proc: subprocess.Popen, limit: float, platform: str,
                      before: set[int]) -> tuple[bytes, bytes, bool]:
    """As :func:`_collect_selecting`, for Windows, whose pipes cannot be selected: a reader thread per pipe."""
    buffers = {proc.stdout: bytearray(), proc.stderr: bytearray()}

    def read(pipe: IO[bytes], kept: bytearray) -> None:
        try:
            while True:
                chunk = pipe.read1(65536) if hasattr(pipe, "read1") else pipe.read(65536)
                if not chunk:
                    return
                if len(kept) < OUTPUT_LIMIT:
                    kept += chunk[:OUTPUT_LIMIT - len(kept)]
        except (OSError, ValueError):
            return

    readers = [threading.Thread(target=read, args=(pipe, kept), daemon=True) for pipe, kept in buffers.items()]
    for reader in readers:
        reader.start()
    timed_out = False
    try:
        proc.wait(timeout=limit)
        grace = EXIT_DRAIN
    except subprocess.TimeoutExpired:
        timed_out = True
        kill_tree(proc, platform)
        grace = DRAIN_SECONDS
    _finish_tree(proc, platform, before)
    for reader in readers:
        reader.join(grace)
    return bytes(buffers[proc.stdout]), bytes(buffers[proc.stderr]), timed_out


def run_captured(argv: Sequence[str], *, env: Mapping[str, str], limit: float, cwd: Path | None = None,
                 platform: str | None = None) -> Completed:
    """Run ``argv`` with stdin closed and output collected; stop it (and its tree) after ``limit`` s.

    The run ends when the child itself exits (a helper it left holding the pipes is killed, never
    waited for) or at the limit; either way nothing it started is left running (see
    :func:`collecting_orphans`), also when this process is interrupted (Ctrl+C, SIGTERM, SIGHUP).
    """
    platform = platform or current_platform()
    start = time.monotonic()
    with collecting_orphans() as before:
        proc = _popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                      env=dict(env), cwd=str(cwd) if cwd else None, **_group_kwargs(platform))
        collect = _collect_threaded if os.name == "nt" else _collect_selecting
        try:
            out, err, timed_out = collect(proc, limit, platform, before)
        finally:
            if proc.poll() is None:
                kill_tree(proc, platform)
            _finish_tree(proc, platform, before)
            for pipe in (proc.stdout, proc.stderr):
                try:
                    pipe.close()
                except OSError:
                    pass
    seconds = time.monotonic() - start
    return Completed(tuple(str(a) for a in argv), None if timed_out else proc.returncode,
                     _text(out), _text(err), seconds, timed_out, out, err)


def stop_gently(proc: subprocess.Popen, platform: str | None = None, grace: float = STOP_GRACE,
                own_group: bool = False) -> None:
    """Ask ``proc`` to stop as Ctrl+C would (SIGINT on POSIX), wait up to ``grace`` s, then kill it.
    ``own_group``: ``proc`` leads a process group of its own; the signal and the kill go to all of it.

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
                if own_group and hasattr(os, "killpg"):
                    signal_group(proc, signal.SIGINT)
                else:
                    proc.send_signal(signal.SIGINT)
                proc.wait(timeout=grace)
            except (OSError, subprocess.TimeoutExpired):
                pass
    finally:
        if proc.poll() is None:
            kill_tree(proc, platform, own_group=own_group)
            try:
                proc.wait(timeout=DRAIN_SECONDS)
            except subprocess.TimeoutExpired:
                pass


def run_attached(argv: Sequence[str], *, env: Mapping[str, str], limit: float, cwd: Path | None = None,
                 platform: str | None = None, console: Console | None = None) -> Completed:
    """Run ``argv`` on the user's terminal; stop it after ``limit`` s.

    ``console`` (a :class:`~claude_session_tokens.claude.console.Console`, opened by the caller) becomes
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
    with collecting_orphans() as before:
        proc = _popen(argv, env=dict(env), cwd=str(cwd) if cwd else None, **streams)
        timed_out = False
        try:
            proc.wait(timeout=limit)
        except subprocess.TimeoutExpired:
            timed_out = True
            stop_gently(proc, platform)
        except BaseException:  # Ctrl+C in the terminal (the child got it too), SIGTERM/SIGHUP, pytest-timeout
            stop_gently(proc, platform)
            raise
        finally:
            kill_leftovers(before, keep=proc.pid if proc.returncode is None else None)
    return Completed(tuple(str(a) for a in argv), None if timed_out else proc.returncode, "", "",
                     time.monotonic() - start, timed_out)
