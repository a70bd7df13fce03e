"""helpers/in_process.py runs a program's main here as a child would, and leaves the process as it was."""

from __future__ import annotations

import os
import signal
import sys
import tempfile

import pytest
from helpers.foundation import FOUNDATION_FILES, outcomes
from helpers.in_process import run_main


def test_the_output_at_the_file_descriptors_and_the_exit_code_are_the_childs():
    def main(argv):
        print("printed", argv)
        sys.stdout.flush()
        os.write(1, b"written to fd 1\n")  # as a child process of the program would
        os.write(2, b"written to fd 2\n")
        return 3

    done = run_main(main, ["a"], "prog.py")
    assert done.returncode == 3
    assert done.stdout == "printed ['a']\nwritten to fd 1\n"
    assert done.stderr == "written to fd 2\n"


@pytest.mark.parametrize("code, status, said", [(None, 0, ""), (2, 2, ""), ("refused", 1, "refused\n")])
def test_sys_exit_gives_the_status_a_process_would_have(code, status, said):
    def main(argv):
        sys.exit(code)

    done = run_main(main, [], "prog.py")
    assert (done.returncode, done.stderr) == (status, said)


def test_environment_cwd_path_stdin_and_temporary_directory_are_the_childs_and_put_back(tmp_path):
    before = (dict(os.environ), os.getcwd(), list(sys.path), sys.stdin, tempfile.gettempdir(), sys.argv)
    child_tmp = tmp_path / "child-tmp"
    child_tmp.mkdir()
    seen = {}

    def main(argv):
        seen.update(env=dict(os.environ), cwd=os.getcwd(), path0=sys.path[0], stdin=sys.stdin.read(),
                    tmp=tempfile.gettempdir(), argv=list(sys.argv))
        os.environ["LEFT_BEHIND"] = "x"
        os.chdir("/")
        return 0

    run_main(main, ["--x"], "prog.py", env={"ONLY": "this", "TMPDIR": str(child_tmp)}, cwd=tmp_path,
             path0=tmp_path / "bin")
    assert seen == {"env": {"ONLY": "this", "TMPDIR": str(child_tmp)}, "cwd": str(tmp_path),
                    "path0": str(tmp_path / "bin"), "stdin": "", "tmp": str(child_tmp), "argv": ["prog.py", "--x"]}
    assert (dict(os.environ), os.getcwd(), list(sys.path), sys.stdin, tempfile.gettempdir(), sys.argv) == before


def test_a_module_imported_by_path_is_imported_afresh_by_the_next_run(tmp_path):
    plugin = tmp_path / "written_by_the_test.py"

    def main(argv):
        import written_by_the_test

        print(written_by_the_test.VALUE)
        return 0

    plugin.write_text("VALUE = 'first'\n")
    assert run_main(main, [], "prog.py", cwd=tmp_path, path0=tmp_path).stdout == "first\n"
    assert "written_by_the_test" not in sys.modules
    plugin.write_text("VALUE = 'second'\n")
    assert run_main(main, [], "prog.py", cwd=tmp_path, path0=tmp_path).stdout == "second\n"


@pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="interval timers are POSIX")
def test_the_tests_own_alarm_survives_a_run_that_cancels_its_own():
    previous = signal.signal(signal.SIGALRM, signal.SIG_IGN)
    signal.setitimer(signal.ITIMER_REAL, 300)
    try:
        def main(argv):
            signal.setitimer(signal.ITIMER_REAL, 0)  # as the run's own pytest-timeout does at its end
            return 0

        run_main(main, [], "prog.py")
        assert 250 < signal.getitimer(signal.ITIMER_REAL)[0] <= 300
        assert signal.getsignal(signal.SIGALRM) is signal.SIG_IGN
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_the_checks_in_this_process_judge_as_a_child_does(checks, profile):
    """The same broken profile, once in this process and once in a child: the same verdicts."""
    profile.create()
    profile.credentials.write_text('{"claudeAiOauth": {"accessToken": 1}}')
    here = checks.run("--claude-config-dir", str(profile.dir), paths=FOUNDATION_FILES, env={"CLAUDE_CONFIG_DIR": None})
    judged_here, last_line_here = outcomes(here), here.stdout.splitlines()[-1]  # the child rewrites the reports
    child = checks.run("--claude-config-dir", str(profile.dir), paths=FOUNDATION_FILES, env={"CLAUDE_CONFIG_DIR": None},
                       inline=False)
    assert here.ret == child.ret == 1
    assert judged_here == outcomes(child) and "failed" in judged_here.values()
    assert last_line_here.split(" in ")[0] == child.stdout.splitlines()[-1].split(" in ")[0]
