"""git safety against what git holds, in any language, with git failures explained (review 2.8, 2.9).

Real ``git`` in throw-away repositories; a fake ``git`` only to inject what the real one will
not do on demand (a translated message, a hang).
"""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path

import pytest
from helpers.render_support import git, make_repo

from claude_session_tokens.k8s import git_safety
from claude_session_tokens.k8s.git_safety import (
    SCAN_FAILED,
    check_destination,
    git_environment,
    tracked_session_secrets,
)
from claude_session_tokens.k8s.render import git_refusal

SECRET = """apiVersion: v1
kind: Secret
metadata: {name: claude-session-tokens}
data:
  .credentials.json: eyJ9
"""

posix_only = pytest.mark.skipif(os.name == "nt", reason="the fake git is a POSIX shell script")


def committed_secret_repo(tmp_path: Path) -> Path:
    repo = make_repo(tmp_path / "repo")
    (repo / "k8s").mkdir()
    (repo / "k8s" / "claude.yaml").write_text(SECRET)
    (repo / "README.md").write_text("no secret here, only the word .credentials.json\n")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "oops")
    return repo


def test_a_committed_secret_deleted_from_disk_is_still_found(tmp_path):
    repo = committed_secret_repo(tmp_path)
    (repo / "k8s" / "claude.yaml").unlink()
    found, note = tracked_session_secrets(repo)
    assert found == ["k8s/claude.yaml"]
    assert "2 tracked files" in note


def test_a_committed_secret_emptied_on_disk_is_still_found(tmp_path):
    repo = committed_secret_repo(tmp_path)
    (repo / "k8s" / "claude.yaml").write_text("")
    assert tracked_session_secrets(repo)[0] == ["k8s/claude.yaml"]


def test_a_secret_written_over_a_tracked_file_is_found_before_it_is_staged(tmp_path):
    repo = make_repo(tmp_path / "repo")
    (repo / "config.yaml").write_text("kind: ConfigMap\n")
    git(repo, "add", ".")
    (repo / "config.yaml").write_text(SECRET)  # one "git commit -a" away from publishing it
    assert tracked_session_secrets(repo)[0] == ["config.yaml"]


def test_git_rm_cached_clears_the_finding(tmp_path):
    repo = committed_secret_repo(tmp_path)
    git(repo, "rm", "-q", "--cached", "k8s/claude.yaml")
    assert tracked_session_secrets(repo)[0] == []


def test_odd_file_names_are_read_from_the_index(tmp_path):
    repo = make_repo(tmp_path / "repo")
    name = "dir with space/ünïcode secret.yaml"
    (repo / "dir with space").mkdir()
    (repo / name).write_text(SECRET)
    (repo / "other.yaml").write_text("kind: Secret\ndata:\n  .credentials.json: eA==\n")
    git(repo, "add", ".")
    os.remove(repo / name)
    assert tracked_session_secrets(repo)[0] == sorted([name, "other.yaml"])


@posix_only  # ":" and newlines cannot be in a Windows file name
def test_names_git_would_read_as_revisions_are_read_by_blob_id(tmp_path):
    """``0:x.yaml`` is "stage 0 of x.yaml" to cat-file, and a name with a newline breaks its
    request lines: the blob ids from ``ls-files -s`` are asked for instead (review 2, 5.6)."""
    repo = make_repo(tmp_path / "repo")
    (repo / "x.yaml").write_text("kind: ConfigMap\n")  # what ":0:x.yaml" would have read
    for name in ("0:x.yaml", "two\nlines.yaml"):
        (repo / name).write_text(SECRET)
    git(repo, "add", ".")
    for name in ("0:x.yaml", "two\nlines.yaml"):
        os.remove(repo / name)  # only the index holds them now
    assert tracked_session_secrets(repo)[0] == ["0:x.yaml", "two\nlines.yaml"]


def test_a_failing_cat_file_is_reported_not_taken_for_no_secret(tmp_path, monkeypatch):
    repo = committed_secret_repo(tmp_path)
    real = git_safety._git

    def cat_file_fails(git_bin, cwd, *args, stdin=None):
        result = real(git_bin, cwd, *args, stdin=stdin)
        if args[:1] == ("cat-file",):
            result.returncode, result.stdout = 128, b""
        return result

    monkeypatch.setattr(git_safety, "_git", cat_file_fails)
    (repo / "k8s" / "claude.yaml").unlink()  # only the index holds it: the scan must not say "none"
    found, note = tracked_session_secrets(repo)
    assert found == [] and note.startswith(SCAN_FAILED) and "cat-file failed" in note


def test_git_runs_in_english():
    env = git_environment()
    assert env["LC_ALL"] == "C" and env["LANGUAGE"] == "C"


def fake_git(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "fake-git" / "git"
    path.parent.mkdir(exist_ok=True)
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)
    return path


@posix_only
def test_a_translated_git_still_means_outside_a_repository(tmp_path, monkeypatch):
    """A German git says "Kein Git-Repository" unless LC_ALL=C is passed, as the real one does."""
    fake = fake_git(tmp_path, 'if [ "$LC_ALL" = C ]; then echo "fatal: not a git repository (or any of the '
                              'parent directories): .git" >&2; else echo "fatal: Kein Git-Repository" >&2; fi\n'
                              "exit 128\n")
    monkeypatch.setenv("LC_ALL", "de_DE.UTF-8")
    monkeypatch.setattr(git_safety, "git_executable", lambda: str(fake))
    verdict = check_destination(tmp_path / "plain" / "s.yaml")
    assert verdict.safe and "not inside a git work tree" in verdict.note


@posix_only
def test_a_hanging_git_is_explained_with_a_command(tmp_path, monkeypatch):
    fake = fake_git(tmp_path, "exec sleep 30\n")
    monkeypatch.setattr(git_safety, "git_executable", lambda: str(fake))
    monkeypatch.setattr(git_safety, "GIT_TIMEOUT", 0.5)
    target = tmp_path / "out" / "s.yaml"
    verdict = check_destination(target)
    assert not verdict.safe and "did not answer within 0.5 s" in verdict.note
    refusal = git_refusal(target)
    assert f"git -C {shlex.quote(str(tmp_path))} rev-parse --show-toplevel" in refusal.remedy
    assert "--secret-out" in refusal.remedy
    found, note = tracked_session_secrets(tmp_path)
    assert found == [] and note.startswith(SCAN_FAILED) and "did not answer" in note


def test_a_git_that_cannot_start_is_explained(tmp_path, monkeypatch):
    missing = tmp_path / "no-such-git"
    monkeypatch.setattr(git_safety, "git_executable", lambda: str(missing))
    verdict = check_destination(tmp_path / "s.yaml")
    assert not verdict.safe and "could not be run" in verdict.note
    assert tracked_session_secrets(tmp_path)[1].startswith(SCAN_FAILED)


def test_the_check_fails_with_the_git_command_when_the_scan_fails(checks, profile, tmp_path):
    """The git safety check (35) runs the scan in the project; a git that cannot start fails it."""
    profile.create()
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    broken = bin_dir / ("git.exe" if os.name == "nt" else "git")
    broken.write_bytes(b"not a program")
    broken.chmod(0o755)
    run = checks.run("--claude-config-dir", str(profile.dir), "--secret-out", str(tmp_path / "out" / "s.yaml"),
                     paths=("test_35_secret_not_committed.py",),
                     env={"PATH": f"{bin_dir}{os.pathsep}{Path(sys.executable).parent}"})
    case = run.testcases()["test_secret_cannot_be_committed"]
    assert case.outcome == "failed"
    assert SCAN_FAILED in case.message and "ls-files   and fix what it says" in case.message
    assert "Traceback" not in run.output
