"""SIGTERM, or closing the terminal, during the fresh login: the login child is stopped, the run exits 128 + n.

The whole suite runs with ``--fresh-login`` on a real pseudo-terminal (tests/helpers/terminal_runs.py)
against the fake ``claude``, whose login waits for a sign-in that never comes. Once the login shows
its browser line, the run's process group gets SIGTERM, or the terminal is closed (its master
side: the kernel sends SIGHUP, and writing to the terminal fails from then on).
"""

from __future__ import annotations

import signal
import sys

import pytest
from helpers.fake_claude import FakeClaude, process_gone
from helpers.leaks import assert_no_leak
from helpers.terminal_runs import (
    HANG_UP,
    TerminalModes,
    checks_command,
    run_in_terminal,
)

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals (pty) are POSIX-only")
BROWSER_LINE = b"If the browser didn't open"


@pytest.fixture
def login_in_terminal(pytester, profile, tmp_path):
    profile.create()
    fake = FakeClaude(tmp_path / "fake-bin").control(login="hang")

    def run(action, modes=None):
        out = tmp_path / "out"
        cmd = checks_command(out, pytester.path / "basetemp-login", "--claude-config-dir", str(profile.dir),
                             "--claude-bin", str(fake.bin), "--fresh-login")
        return run_in_terminal(cmd, out, pytester.path, env=fake.env(), keys=((BROWSER_LINE, action),),
                               modes=modes, timeout=120)
    run.fake = fake
    return run


def _login_pid(fake: FakeClaude) -> int:
    (login,) = fake.events("login")
    return login["pid"]


def test_sigterm_during_the_login_stops_it_and_exits_143(login_in_terminal):
    import termios

    modes = TerminalModes()
    run = login_in_terminal(signal.SIGTERM, modes)
    fake = login_in_terminal.fake
    assert run.ret == 128 + signal.SIGTERM, run.stdout[-3000:]
    assert process_gone(_login_pid(fake)), "the login is still running"
    assert "you are now logged out" in run.stdout and "claude auth login" in run.stdout
    assert fake.events("prompt") == [], "the run stopped: no test prompt after it"
    wanted = termios.ECHO | termios.ICANON | termios.ISIG
    assert modes.after is not None and modes.after & wanted == modes.before & wanted
    assert "Traceback" not in run.stdout
    assert_no_leak(run.stdout, "the terminal")


def test_closing_the_terminal_during_the_login_stops_it_and_exits_129(login_in_terminal):
    run = login_in_terminal(HANG_UP)
    fake = login_in_terminal.fake
    assert run.ret == 128 + signal.SIGHUP
    assert process_gone(_login_pid(fake)), "the login is still running"
    assert fake.events("prompt") == []
    if run.junit_path.exists():
        assert_no_leak(run.junit_path.read_text(encoding="utf-8"), "junit.xml")
