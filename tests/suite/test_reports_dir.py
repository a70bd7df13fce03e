"""A report destination that cannot be used is a short usage error, never a traceback (review 2.4)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from helpers import privileges
from helpers.leaks import assert_no_leak
from helpers.render_support import run_render_secret

from claude_session_tokens.suite.report_paths import directory_problem, reports_problem


def test_a_usable_reports_dir_is_created(tmp_path):
    target = tmp_path / "a" / "b"
    assert reports_problem(target, str(target / "junit.xml")) is None
    assert target.is_dir() and list(target.iterdir()) == []  # the write test leaves nothing behind


def test_reports_dir_below_a_file_names_the_cause_and_the_option(tmp_path):
    (tmp_path / "file").write_text("x")
    problem = reports_problem(tmp_path / "file" / "sub", None)
    assert problem.startswith(f"--reports-dir {tmp_path / 'file' / 'sub'} cannot be used: it cannot be created (")
    assert "Fix: pass --reports-dir with a writable directory, e.g. --reports-dir " in problem


def test_reports_dir_that_is_a_file(tmp_path):
    (tmp_path / "file").write_text("x")
    assert directory_problem(tmp_path / "file") == "it is not a directory"


def test_junitxml_in_an_unusable_directory(tmp_path):
    (tmp_path / "file").write_text("x")
    problem = reports_problem(tmp_path / "reports", str(tmp_path / "file" / "junit.xml"))
    assert problem.startswith(f"--junitxml {tmp_path / 'file' / 'junit.xml'} cannot be written")
    assert f"e.g. --junitxml {tmp_path / 'reports' / 'junit.xml'}" in problem


def test_junitxml_home_is_expanded_not_created_literally(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    assert reports_problem(tmp_path / "reports", "~/ci/junit.xml") is None
    assert (tmp_path / "home" / "ci").is_dir() and not (tmp_path / "~").exists()


@pytest.mark.skipif(os.name == "nt", reason="POSIX directory modes; Windows has ACLs")
def test_read_only_reports_dir(tmp_path):
    """Judged in a child that file modes really apply to, even when the tests run as root."""
    ok, why = privileges.supported()
    assert ok, why
    target = tmp_path / "ro"
    target.mkdir(mode=0o500)
    code = ("import sys; from pathlib import Path; "
            "from claude_session_tokens.suite.report_paths import directory_problem; "
            "print(directory_problem(Path(sys.argv[1])))")
    try:
        child = subprocess.run([sys.executable, "-c", code, str(target)], capture_output=True, text=True,
                               preexec_fn=privileges.drop_file_permission_override, timeout=60)
    finally:
        target.chmod(0o700)
    assert child.returncode == 0, child.stderr
    assert child.stdout.startswith("nothing can be written into it ("), child.stdout


def test_pytest_checks_with_a_bad_reports_dir_stops_before_any_check(checks, profile, tmp_path):
    profile.create()
    (tmp_path / "file").write_text("x")
    secret = tmp_path / "out" / "s.yaml"
    run = checks.run("--claude-config-dir", str(profile.dir), "--secret-out", str(secret),
                     "--reports-dir", str(tmp_path / "file" / "sub"))
    assert run.ret == pytest.ExitCode.USAGE_ERROR
    assert "Traceback" not in run.output and "NotADirectoryError" not in run.output
    assert f"--reports-dir {tmp_path / 'file' / 'sub'} cannot be used" in run.output
    assert not secret.exists()  # no check ran, nothing was written
    assert_no_leak(run)


def test_render_secret_with_a_bad_reports_dir_exits_2_with_the_fix(profile, tmp_path):
    profile.create()
    (tmp_path / "file").write_text("x")
    secret = tmp_path / "out" / "s.yaml"
    result = run_render_secret("--claude-config-dir", str(profile.dir), "--secret-out", str(secret),
                               "--reports-dir", str(tmp_path / "file" / "sub"))
    assert result.returncode == 2
    both = result.stdout + result.stderr
    assert "Traceback" not in both
    assert "Fix: pass --reports-dir with a writable directory" in result.stderr
    assert "the command line has a problem" in result.stdout and "Nothing was written." in result.stdout
    assert result.stdout.splitlines()[0].strip(), "no empty first line (pytest's ERROR went to stderr)"
    assert not secret.exists()
