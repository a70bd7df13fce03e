"""Run a program's ``main`` in this process as a child would run it, without starting Python again.

``render_secret.py`` is ``sys.exit(render_cli.main())`` and ``python -m pytest`` is
``pytest.main()``: calling ``main(argv)`` here, with the environment, working directory, stdin
and ``sys.path[0]`` a child would have, and the output captured at the file descriptors (so what
the CLI's children write is seen as well), gives what the child prints and its exit code.
Starting an interpreter and importing pytest and the package costs about a second per run; a
test about the process itself (a signal, the interpreter's exit, a real terminal, every byte a
child writes up to its exit) still starts a child.

What a run leaves in the process is put back afterwards: the environment, the working directory,
``sys.argv``, ``sys.path``, stdin, the temporary directory, the test's own pytest-timeout
alarm, and the modules it imported by path
(the checks' test modules, conftest.py files, a plugin a test wrote), so that the next run
imports them afresh, as a new process would; the modules of Python, the installed libraries and
the package stay, as they are the same in every run. The product's own state between runs
(signal handlers, the remedies' spelling) is reset by the product at the end of every run, as
``pytest_unconfigure`` and ``signals.uninstall`` do.
"""

from __future__ import annotations

import contextlib
import os
import signal
import site
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from _pytest.capture import FDCapture, MultiCapture

ROOT = Path(__file__).resolve().parents[2]
# modules that are the same in every run: Python's, the installed libraries' and the package's
SHARED = {Path(sysconfig.get_paths()[key]).resolve() for key in ("stdlib", "platstdlib", "purelib", "platlib")}
SHARED |= {Path(p).resolve() for p in site.getsitepackages()} | {ROOT / "claude_session_tokens"}


def _imported_by_path(module) -> bool:
    """A module pytest or a test imported by its path: the checks' test modules, a conftest.py,
    a plugin a test wrote (``-p name``)."""
    file = getattr(module, "__file__", None)
    if not file:
        return False
    path = Path(file).resolve()
    return not any(shared in path.parents for shared in SHARED)


def _saved_alarm():
    """pytest-timeout's alarm for the test that runs this (POSIX): the run's own pytest-timeout
    sets and then cancels an alarm of the same kind, so it is put back after the run."""
    if not hasattr(signal, "setitimer"):
        return None
    return signal.getsignal(signal.SIGALRM), signal.getitimer(signal.ITIMER_REAL)[0], time.monotonic()


def _restore_alarm(alarm) -> None:
    if alarm is None:
        return
    handler, left, since = alarm
    signal.signal(signal.SIGALRM, handler)
    if left:
        signal.setitimer(signal.ITIMER_REAL, max(left - (time.monotonic() - since), 0.001))


@contextlib.contextmanager
def like_a_child(env: dict[str, str] | None, cwd: Path) -> Iterator[None]:
    """The environment (all of it, as ``subprocess.run(env=...)``), cwd and stdin of a child."""
    saved_env, saved_cwd = dict(os.environ), os.getcwd()
    saved_argv, saved_path, saved_modules = sys.argv, list(sys.path), dict(sys.modules)
    saved_stdin, saved_tempdir = sys.stdin, tempfile.tempdir
    alarm = _saved_alarm()
    tempfile.tempdir = None  # the run finds its temporary directory from its own TMPDIR, TEMP, TMP
    if env is not None:
        os.environ.clear()
        os.environ.update(env)
    os.chdir(cwd)
    devnull = open(os.devnull, encoding="utf-8")  # noqa: SIM115 - closed below, after the run
    sys.stdin = devnull
    try:
        yield
    finally:
        sys.stdin, tempfile.tempdir = saved_stdin, saved_tempdir
        _restore_alarm(alarm)
        devnull.close()
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_env)
        sys.argv, sys.path[:] = saved_argv, saved_path
        for name, module in list(sys.modules.items()):
            if name not in saved_modules and _imported_by_path(module):
                del sys.modules[name]
        sys.modules.update({name: module for name, module in saved_modules.items()
                            if sys.modules.get(name) is not module})


def exit_code(exc: SystemExit) -> int:
    """The exit status a process ending with ``exc`` has (``sys.exit("text")`` prints and is 1)."""
    if exc.code is None:
        return 0
    if isinstance(exc.code, int):
        return exc.code
    print(exc.code, file=sys.stderr)
    return 1


def run_main(main, argv: Sequence[str], program: str, env: dict[str, str] | None = None,
             cwd: Path | None = None, path0: Path | None = None) -> subprocess.CompletedProcess:
    """``main(argv)`` as ``python PROGRAM ARGV`` would run it: its exit code, stdout and stderr.
    ``path0``: what Python puts first on ``sys.path`` (the script's directory; the working
    directory for ``python -m``), so that ``-p plugin`` finds a module there as the child would."""
    capture = MultiCapture(in_=None, out=FDCapture(1), err=FDCapture(2))
    with like_a_child(env, cwd or Path.cwd()):
        sys.argv = [program, *argv]
        if path0 is not None:
            sys.path.insert(0, str(path0))
        capture.start_capturing()
        try:
            try:
                code = main(list(argv))
            except SystemExit as exc:
                code = exit_code(exc)
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            out, err = capture.readouterr()
            capture.stop_capturing()
    return subprocess.CompletedProcess([sys.executable, program, *argv], int(code), out, err)
