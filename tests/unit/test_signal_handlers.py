"""signals.py without a real run: which handlers are installed, what exit code a stop maps to."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from claude_session_tokens import render_cli
from claude_session_tokens.claude import processes
from claude_session_tokens.core import signals

POSIX = os.name != "nt"


@pytest.fixture
def clean_handlers():
    saved = {s: signal.getsignal(s) for s in signals.handled_signals()}
    depth = signals._state["depth"]
    signals._state["depth"] = 0
    yield
    for signum, handler in saved.items():
        signal.signal(signum, handler)
    signals._state["depth"] = depth


@pytest.mark.skipif(not POSIX, reason="SIGHUP is POSIX")
def test_an_ignored_sighup_stays_ignored_as_under_nohup(clean_handlers):
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signals.install()
    try:
        assert signal.getsignal(signal.SIGHUP) is signal.SIG_IGN
        assert signal.getsignal(signal.SIGTERM) is signals._handler
    finally:
        signals.uninstall()
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL


@pytest.mark.skipif(not POSIX, reason="SIGTERM to oneself with a handler is POSIX")
def test_the_first_sigterm_raises_a_keyboard_interrupt_the_second_is_only_noted(clean_handlers):
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signals.install()
    try:
        with pytest.raises(KeyboardInterrupt) as stopped:
            os.kill(os.getpid(), signal.SIGTERM)
            for _ in range(100):  # the handler runs between bytecodes
                pass
        assert isinstance(stopped.value, signals.Terminated) and stopped.value.exit_code == 143
        os.kill(os.getpid(), signal.SIGTERM)  # the clean-up must be allowed to finish
        for _ in range(100):
            pass
        assert signals.received() == signal.SIGTERM
        assert signals.exit_code() == 143
    finally:
        signals.uninstall()
        signals._state["received"] = None


def test_exit_codes(monkeypatch):
    monkeypatch.setitem(signals._state, "received", None)
    assert signals.exit_code(KeyboardInterrupt()) == 130  # Ctrl+C
    assert signals.exit_code(signals.Terminated(1)) == 129
    assert signals.Terminated(1).exit_code == 129 and signals.Terminated(15).exit_code == 143
    assert signals.signal_name(15) == "SIGTERM"


def test_render_secret_maps_a_terminated_run_to_143(monkeypatch, capsys):
    def stopped(*_a, **_k):
        raise signals.Terminated(15)

    monkeypatch.setattr(render_cli, "run", stopped)
    assert render_cli.main([]) == 143
    assert "Stopped by SIGTERM; nothing was written." in capsys.readouterr().err


def test_the_threaded_collector_for_windows_keeps_output_and_ends_with_the_child():
    """The collector Windows uses (its pipes cannot be selected), run here on real pipes."""
    code = "import sys; print('out'); print('err', file=sys.stderr); sys.exit(4)"
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err, timed_out = processes._collect_threaded(proc, 30, "linux", set())
    assert (out.strip(), err.strip(), timed_out, proc.returncode) == (b"out", b"err", False, 4)
    slow = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    out, err, timed_out = processes._collect_threaded(slow, 0.5, "linux", set())
    assert timed_out and slow.poll() is not None


@pytest.mark.skipif(not POSIX, reason="signals to oneself with handlers are POSIX")
@pytest.mark.parametrize("signame", ["SIGTERM", "SIGINT"])
def test_a_stop_during_a_deferred_clean_up_waits_until_it_is_done(clean_handlers, signame):
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signals.install()
    done = []
    try:
        with pytest.raises(KeyboardInterrupt) as stopped, signals.deferred():
            os.kill(os.getpid(), getattr(signal, signame))
            for _ in range(1000):
                pass
            done.append("the whole clean-up ran")
        assert done == ["the whole clean-up ran"]
        assert isinstance(stopped.value, signals.Terminated) == (signame == "SIGTERM")
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    finally:
        signals.uninstall()
        signals._state["received"] = None
