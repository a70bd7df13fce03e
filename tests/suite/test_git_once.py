"""git is asked each question once per run: test_35 and the render step share one answer."""

from __future__ import annotations

import os
import shutil
from collections import Counter
from pathlib import Path

import pytest
from helpers.messages_api import MessagesAPI
from helpers.profiles import CANARY_ACCESS
from helpers.render_support import REAL_CLAUDE, git, make_repo, run_render_secret

from claude_session_tokens.k8s.git_safety import (
    scan_plan,
    tracked_session_secrets,
    work_tree_of,
)


def git_logging_wrapper(directory: Path, log: Path) -> Path:
    """A ``git`` in front of the real one that notes the suite's own calls (LANGUAGE=C, which
    git_safety.git_environment sets) as ``<cwd> <args>``, one a line; the claude CLI's are not noted."""
    real = shutil.which("git")
    assert real, "these tests need the real git"
    directory.mkdir(parents=True, exist_ok=True)
    wrapper = directory / "git"
    wrapper.write_text(f'#!/bin/sh\n[ "$LANGUAGE" = C ] && printf \'%s %s\\n\' "$PWD" "$*" >> "{log}"\n'
                       f'exec "{real}" "$@"\n')
    wrapper.chmod(0o755)
    return directory


@pytest.mark.skipif(os.name == "nt", reason="the logging git wrapper is a POSIX shell script")
@pytest.mark.parametrize(("where", "dry_run"), [("infra", False), ("infra", True), ("project", True)],
                         ids=["other-work-tree-written", "other-work-tree-dry-run", "project-dry-run"])
def test_each_git_question_is_asked_once_per_run(profile, tmp_path, where, dry_run):
    """``infra``: the Secret goes into another git work tree than the project's (both are scanned);
    ``project``: to the default place, ``secrets/`` of this checkout (--dry-run: nothing is written)."""
    profile.create()
    infra = make_repo(tmp_path / "infra", gitignore="/secrets/\n")  # another work tree than the project's
    (infra / "README").write_text("infra\n")
    git(infra, "add", "README", ".gitignore")
    git(infra, "commit", "-q", "-m", "init")
    log = tmp_path / "git-calls.txt"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "CLAUDE_", "LANGUAGE"))}
    env["PATH"] = f"{git_logging_wrapper(tmp_path / 'bin', log)}{os.pathsep}{env.get('PATH', '')}"
    with MessagesAPI(accept=CANARY_ACCESS) as api:
        env["ANTHROPIC_BASE_URL"] = api.url
        result = run_render_secret("--claude-config-dir", str(profile.dir), "--claude-bin", str(REAL_CLAUDE),
                                   "--reports-dir", str(tmp_path / "reports"),
                                   *(["--secret-out", str(infra / "secrets" / "s.yaml")] if where == "infra" else []),
                                   *(["--dry-run"] if dry_run else []), env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (infra / "secrets" / "s.yaml").exists() is not dry_run
    calls = log.read_text().splitlines()
    asked_twice = [call for call, times in Counter(calls).items() if times > 1]
    assert asked_twice == [], calls
    # the destination was judged (test_35), and both work trees were scanned, by the same run
    assert sum("check-ignore" in call for call in calls) == 1, calls
    assert sum(" ls-files -s -z" in call for call in calls) == (2 if where == "infra" else 1), calls


def test_scan_plan_hands_on_the_tops_git_already_named(tmp_path):
    repo, other = make_repo(tmp_path / "repo"), make_repo(tmp_path / "other")
    (repo / "sub").mkdir()
    top = work_tree_of(repo, shutil.which("git"))
    assert scan_plan(repo / "sub", top) == [(repo / "sub", top)]
    assert scan_plan(repo, other.resolve()) == [(repo, top), (other.resolve(), other.resolve())]
    assert scan_plan(repo, None) == [(repo, None)]  # not asked: tracked_session_secrets asks itself
    plain = tmp_path / "plain"
    plain.mkdir()
    assert scan_plan(plain, other) == [(plain, None), (other, other.resolve())]
    # a top handed on gives the same answer as one asked for
    assert tracked_session_secrets(repo, top) == tracked_session_secrets(repo)


def test_scan_plan_does_not_ask_again_where_the_destination_was_asked(tmp_path, monkeypatch):
    from claude_session_tokens.k8s import git_safety

    repo = make_repo(tmp_path / "repo")
    verdict = git_safety.check_destination(repo / "secrets" / "s.yaml")  # secrets/ does not exist: asked in repo
    assert verdict.asked_in == repo and verdict.work_tree == repo.resolve()
    asked = []
    monkeypatch.setattr(git_safety, "work_tree_of", lambda path, git: asked.append(path) or None)
    assert scan_plan(repo, verdict.work_tree, verdict.asked_in) == [(repo, verdict.work_tree)]
    assert asked == []
    (repo / "sub").mkdir()  # another directory: git is asked there
    scan_plan(repo / "sub", verdict.work_tree, verdict.asked_in)
    assert asked == [repo / "sub"]
