"""The CLI's whole process tree is collected, and a helper holding its stdout does not fake a time-out.

Real processes: a child that starts a grandchild in a session of its own (``setsid``), which a
kill of the child's process group does not reach. On Linux the suite is a child subreaper while
the CLI runs, so the orphaned grandchild is re-parented to it and killed when the CLI is done.
"""

from __future__ import annotations

import os
import sys
import time

import pytest
from helpers.fake_claude import process_gone

from claude_session_tokens.claude import processes
from claude_session_tokens.claude.processes import run_captured

pytestmark = pytest.mark.skipif(os.name == "nt", reason="setsid and /proc are POSIX; Windows uses taskkill /T")
LINUX = sys.platform.startswith("linux")

# The child answers, leaves a setsid'd grandchild holding its stdout and stderr, and exits.
ANSWERS_AND_LEAVES_A_GRANDCHILD = """
import subprocess, sys
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"], start_new_session=True)
print(child.pid, flush=True)
print('{"type": "result", "is_error": false, "result": "ok"}', flush=True)
"""

# A chain: the child's setsid'd grandchild starts a setsid'd great-grandchild; both print their pid.
CHAIN = """
import subprocess, sys, time
inner = "import subprocess, sys, time; " \\
        "c = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'], start_new_session=True); " \\
        "print(c.pid, flush=True); time.sleep(600)"
middle = subprocess.Popen([sys.executable, "-c", inner], start_new_session=True)
print(middle.pid, flush=True)
time.sleep(1.5)
"""

HANGS_WITH_A_GRANDCHILD = """
import subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"], start_new_session=True)
print(child.pid, flush=True)
time.sleep(600)
"""


def _kill(pids):
    for pid in pids:
        try:
            os.kill(pid, 9)
        except OSError:
            pass


def test_an_answer_is_judged_when_the_child_exits_not_when_its_helper_lets_go():
    started = time.monotonic()
    done = run_captured([sys.executable, "-c", ANSWERS_AND_LEAVES_A_GRANDCHILD], env=dict(os.environ), limit=20)
    wall = time.monotonic() - started
    grandchild = int(done.stdout.split()[0])
    try:
        assert not done.timed_out and done.returncode == 0
        assert '"result": "ok"' in done.stdout
        assert wall < 10, "the run waited for the grandchild instead of the child"
        if LINUX:  # the subreaper collected it; on macOS a setsid'd helper is out of reach
            assert process_gone(grandchild), "the setsid'd grandchild survived"
    finally:
        _kill([grandchild])


def test_every_generation_that_left_the_group_is_killed():
    done = run_captured([sys.executable, "-c", CHAIN], env=dict(os.environ), limit=20)
    pids = [int(word) for word in done.stdout.split()]
    try:
        assert not done.timed_out and done.returncode == 0
        assert len(pids) == 2, done.stdout
        if LINUX:
            assert all(process_gone(pid) for pid in pids), "a descendant survived"
    finally:
        _kill(pids)


def test_at_the_limit_a_setsid_grandchild_is_killed_too():
    done = run_captured([sys.executable, "-c", HANGS_WITH_A_GRANDCHILD], env=dict(os.environ), limit=1.5)
    grandchild = int(done.stdout.split()[0])
    try:
        assert done.timed_out and done.returncode is None
        assert done.seconds < 1.5 + 8
        if LINUX:
            assert process_gone(grandchild)
    finally:
        _kill([grandchild])


@pytest.mark.skipif(not LINUX, reason="PR_SET_CHILD_SUBREAPER is Linux's")
def test_the_subreaper_is_on_only_while_a_cli_runs():
    assert processes.is_subreaper() is False
    seen = run_captured([sys.executable, "-c", "print(open('/proc/self/stat').read().rsplit(')', 1)[1].split()[1])"],
                        env=dict(os.environ), limit=20)
    assert int(seen.stdout) == os.getpid()
    with processes.collecting_orphans():
        assert processes.is_subreaper() is True
    assert processes.is_subreaper() is False


def test_children_this_process_had_before_are_left_alone():
    import subprocess

    mine = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        done = run_captured([sys.executable, "-c", ANSWERS_AND_LEAVES_A_GRANDCHILD], env=dict(os.environ), limit=20)
        _kill([int(done.stdout.split()[0])])
        assert mine.poll() is None, "a child that was not the CLI's was killed"
    finally:
        mine.kill()
        mine.wait()


def test_the_prompt_passes_when_the_cli_answered_and_a_setsid_helper_holds_stdout(checks, profile, tmp_path):
    """The fake answers and exits, leaving a setsid'd grandchild with its stdout: the verdict is the
    CLI's own answer, not "did not answer within the limit", and the grandchild is gone afterwards."""
    from helpers.fake_claude import FakeClaude

    profile.create()
    fake = FakeClaude(tmp_path / "fake-bin").control("ok", orphan=True)
    limit = 30
    run = checks.run(f"--claude-config-dir={profile.dir}", f"--claude-bin={fake.bin}", f"--prompt-timeout={limit}",
                     paths=("test_40_test_prompt.py",), env=fake.env())
    orphans = [c["orphan_pid"] for c in fake.events("orphan")]
    try:
        case = run.testcases()["test_prompt_answers_on_what_ships"]
        assert len(orphans) == 1
        assert case.outcome == "passed", case.message
        assert float(case.prop("prompt_seconds")[0]) < limit / 2
        if LINUX:
            assert process_gone(orphans[0]), "the setsid'd grandchild survived the run"
    finally:
        _kill(orphans)


def test_a_child_that_closes_its_output_early_is_waited_for_not_killed():
    code = "import os, sys, time; print('said', flush=True); os.close(1); os.close(2); time.sleep(1); sys.exit(5)"
    done = run_captured([sys.executable, "-c", code], env=dict(os.environ), limit=20)
    assert (done.returncode, done.timed_out, done.stdout.strip()) == (5, False, "said")
