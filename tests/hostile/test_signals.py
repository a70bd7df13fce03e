"""SIGTERM and SIGHUP stop a run as cleanly as Ctrl+C; a run killed outright is cleaned up by the next.

Real signals sent to a real process group: ``python render_secret.py`` or ``pytest checks`` runs
in a session of its own (as a shell job does) against the fake ``claude`` hanging in the test
prompt, with a helper in its process group and a grandchild that left it (``setsid``); once
the prompt's temporary copy of the session exists, the signal goes to the run's group. Then:
exit 128 + n, no copy left in the ``TMPDIR`` the run was given, no process of the CLI left, no
canary in any output or report, the earlier Secret and the profile byte-identical.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers.fake_claude import FakeClaude, process_gone
from helpers.leaks import assert_no_leak
from helpers.profiles import CANARY_ACCESS
from helpers.render_support import RENDER_SECRET
from helpers.runner import ROOT
from helpers.terminal_runs import checks_command

from claude_session_tokens.session.temp_copies import COPY_PREFIX, OWNER_FILE

pytestmark = pytest.mark.skipif(os.name == "nt", reason="SIGTERM/SIGHUP to a process group are POSIX")
LINUX = sys.platform.startswith("linux")
EARLIER_SECRET = b"# an earlier Secret: must survive any failed run byte for byte\n"


class Run:
    """One run of a front door in its own session (process group), output in files."""

    def __init__(self, front_door: str, tmp_path: Path, fake: FakeClaude, profile, *extra: str) -> None:
        self.tmp = tmp_path / "child-tmp"
        self.tmp.mkdir(exist_ok=True)
        self.out = tmp_path / "out"
        self.secret = tmp_path / "deploy" / "secrets" / "claude.yaml"
        common = [f"--claude-config-dir={profile.dir}", f"--claude-bin={fake.bin}", f"--secret-out={self.secret}",
                  "--prompt-timeout=120", *extra]
        if front_door == "render_secret.py":
            cmd = [sys.executable, str(RENDER_SECRET), f"--reports-dir={self.out}", *common]
        else:
            cmd = checks_command(self.out, tmp_path / "basetemp", *common)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "CLAUDE_"))}
        env.update(fake.env(), TMPDIR=str(self.tmp), TEMP=str(self.tmp), TMP=str(self.tmp))
        self.stdout_file = tmp_path / "stdout.txt"
        self.stderr_file = tmp_path / "stderr.txt"
        with open(self.stdout_file, "wb") as out, open(self.stderr_file, "wb") as err:
            self.proc = subprocess.Popen(cmd, cwd=ROOT if front_door == "render_secret.py" else tmp_path, env=env,
                                         stdin=subprocess.DEVNULL, stdout=out, stderr=err, start_new_session=True)

    def copies(self) -> list[Path]:
        return sorted(self.tmp.glob(COPY_PREFIX + "*"))

    def wait_for(self, condition, what: str, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if self.proc.poll() is not None:
                pytest.fail(f"the run ended ({self.proc.returncode}) before {what}:\n" + self.text()[-3000:])
            if time.monotonic() > deadline:
                pytest.fail(f"timed out waiting for {what}")
            time.sleep(0.1)

    def text(self) -> str:
        return (self.stdout_file.read_bytes() + self.stderr_file.read_bytes()).decode("utf-8", "replace")

    def every_file(self) -> str:
        parts = []
        for root in (self.out, self.tmp, self.secret.parent):
            for path in sorted(root.rglob("*")) if root.exists() else ():
                if path.is_file() and path != self.secret:
                    parts.append(path.read_bytes().decode("utf-8", "replace"))
        return "\n".join(parts)

    def stop(self, signum: int) -> int:
        os.killpg(self.proc.pid, signum)
        return self.proc.wait(timeout=90)


def _cli_pids(fake: FakeClaude) -> list[int]:
    pids = [c["pid"] for c in fake.events("prompt")]
    pids += [c["helper_pid"] for c in fake.events("hang")]
    return pids


def _orphans(fake: FakeClaude) -> list[int]:
    return [c["orphan_pid"] for c in fake.events("orphan")]


def _kill(pids) -> None:
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


@pytest.fixture
def hanging(tmp_path, profile):
    profile.create()
    fake = FakeClaude(tmp_path / "fake-bin").control("hang", orphan=True)
    secret = tmp_path / "deploy" / "secrets" / "claude.yaml"
    secret.parent.mkdir(parents=True)
    secret.write_bytes(EARLIER_SECRET)
    secret.chmod(0o600)
    yield fake
    _kill(_cli_pids(fake) + _orphans(fake))  # whatever a failing test left behind


@pytest.mark.parametrize("signame", ["SIGTERM", "SIGHUP"])
@pytest.mark.parametrize("front_door", ["render_secret.py", "pytest checks"])
def test_a_signal_during_the_prompt_cleans_up_and_exits_128_plus_n(front_door, signame, hanging, profile, tmp_path):
    fake = hanging
    before = profile.snapshot()
    run = Run(front_door, tmp_path, fake, profile)
    run.wait_for(lambda: fake.events("hang") and fake.events("orphan") and run.copies(),
                 "the CLI hangs in the prompt, its copy of the session in place")
    (copy,) = run.copies()
    assert (copy.stat().st_mode & 0o777) == 0o700, "the copy lives in a private directory"
    assert (copy / OWNER_FILE).is_file()
    signum = getattr(signal, signame)

    code = run.stop(signum)

    text = run.text()
    assert code == 128 + signum, text[-3000:]
    assert run.copies() == [], "the temporary copy of the session (plaintext tokens) was left behind"
    for pid in _cli_pids(fake):
        assert process_gone(pid), "the CLI or its helper is still running"
    if LINUX:
        for pid in _orphans(fake):
            assert process_gone(pid), "the CLI's setsid'd grandchild is still running"
    assert run.secret.read_bytes() == EARLIER_SECRET
    assert profile.snapshot() == before
    assert "Traceback" not in text
    assert_no_leak(text, "the output")
    assert_no_leak(run.every_file(), "the reports or the temporary directory")
    if front_door == "render_secret.py":
        assert f"Stopped by {signame}; nothing was written." in text


def test_a_run_killed_outright_leaves_a_copy_that_the_next_run_removes(hanging, profile, tmp_path):
    """SIGKILL cannot be handled: the copy stays, with its owner marker; the next run removes it and says so."""
    fake = hanging
    run = Run("pytest checks", tmp_path, fake, profile)
    run.wait_for(lambda: fake.events("hang") and run.copies(), "the CLI hangs in the prompt")
    run.stop(signal.SIGKILL)
    _kill(_cli_pids(fake) + _orphans(fake))  # out of the dead run's reach: its own session
    (left,) = run.copies()
    assert (left / "home" / ".claude" / ".credentials.json").is_file(), "the copy holds the tokens"
    keep = run.tmp / (COPY_PREFIX + "still-running")  # a copy of a live run: never touched
    keep.mkdir(mode=0o700)
    (keep / OWNER_FILE).write_text(f'{{"pid": {os.getpid()}, "start": null}}')
    other = run.tmp / "claude-session-tokens-reports"  # not a copy: not ours to remove
    other.mkdir()

    fake.control("ok")
    again = Run("pytest checks", tmp_path, fake, profile)
    code = again.proc.wait(timeout=180)
    text = again.text()
    assert code == 0, text[-3000:]
    assert not left.exists(), "the stale copy is still there"
    assert keep.exists() and other.exists()
    assert "Removed 1 temporary copy of a session" in text
    assert "Removed 1 temporary copy of a session" in (again.out / "junit.xml").read_text(encoding="utf-8")
    assert "Removed 1 temporary copy of a session" in (again.out / "summary.md").read_text(encoding="utf-8")
    assert_no_leak(text, "the output")


def test_a_copy_whose_pid_was_reused_is_stale(tmp_path):
    from claude_session_tokens.session import temp_copies

    reused = tmp_path / (COPY_PREFIX + "reused")
    reused.mkdir(mode=0o700)
    (reused / OWNER_FILE).write_text(f'{{"pid": {os.getpid()}, "start": "1"}}')  # alive, but not that process
    (reused / "secret").write_text(CANARY_ACCESS)
    live = temp_copies.make_private_dir(str(tmp_path))
    if LINUX:
        assert temp_copies.is_stale(reused)
    assert not temp_copies.is_stale(live), "this run's own copy"
    removed, where = temp_copies.remove_stale(str(tmp_path))
    assert where == tmp_path and live.exists()
    assert removed == (1 if LINUX else 0) and reused.exists() != LINUX


STOPPED_IN_THE_HAND_OFF = """\
import os, signal, sys, time
from claude_session_tokens.k8s import render
from claude_session_tokens import render_cli
real = render.hand_off
def stopped(*args, **kwargs):  # the Secret is on disk now; SIGTERM arrives before the copy goes
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(30)
    return real(*args, **kwargs)
render.hand_off = stopped
sys.exit(render_cli.main())
"""


def test_sigterm_after_the_secret_was_written_says_it_was_written(profile, tmp_path):
    """Before: a stop during the hand-off (after the write) said "Stopped by SIGTERM; nothing was
    written." and "any earlier Secret file was left as it was", while the new Secret had replaced it."""
    profile.create()
    fake = FakeClaude(tmp_path / "fake-bin")
    secret = tmp_path / "deploy" / "secrets" / "claude.yaml"
    secret.parent.mkdir(parents=True)
    secret.write_bytes(EARLIER_SECRET)
    script = tmp_path / "stopped_in_the_hand_off.py"
    script.write_text(STOPPED_IN_THE_HAND_OFF)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "CLAUDE_"))}
    env.update(fake.env(), PYTHONPATH=str(ROOT), TMPDIR=str(tmp_path))
    done = subprocess.run([sys.executable, str(script), f"--claude-config-dir={profile.dir}",
                           f"--claude-bin={fake.bin}", f"--secret-out={secret}", f"--reports-dir={tmp_path / 'out'}",
                           "--hand-off"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
                          stdin=subprocess.DEVNULL, check=False)
    text = done.stdout + done.stderr
    assert done.returncode == 143, text[-3000:]
    assert secret.read_bytes() != EARLIER_SECRET  # the new Secret is there
    assert "nothing was written" not in text and "left as it was" not in text, text[-3000:]
    assert f"{secret}" in done.stdout  # the summary names the Secret it wrote
    assert "This machine still holds the same session" in done.stdout  # the hand-off did not happen
    assert ("Stopped by SIGTERM after the Secret above was written; the hand-off did not run: this machine "
            "still holds the session.") in done.stdout
    assert profile.credentials.exists()
    assert "Traceback" not in text
    assert_no_leak(text, "the output")
