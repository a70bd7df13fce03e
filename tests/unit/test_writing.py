"""Writing the Secret: atomic, mode 0600, parents 0700; git safety in throw-away repositories; the gate."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest
from helpers.render_support import git, make_repo

from claude_session_tokens.core import atomic
from claude_session_tokens.k8s.git_safety import (
    check_destination,
    gitignore_line,
    tracked_session_secrets,
)
from claude_session_tokens.suite import plugin
from claude_session_tokens.suite.gate import blocking_reasons, uncollected_check_files
from claude_session_tokens.suite.plugin import CHECKS_DIR, Ledger, Verdict

POSIX = pytest.mark.skipif(os.name == "nt", reason="POSIX permission bits; Windows has ACLs instead")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# --- atomic writing ------------------------------------------------------------------------

@POSIX
def test_new_file_is_0600_and_created_parents_0700(tmp_path, monkeypatch):
    monkeypatch.setattr(os, "umask", os.umask)  # restored even if the test fails
    old = os.umask(0)  # the most permissive umask must not loosen anything
    try:
        target = tmp_path / "a" / "b" / "secret.yaml"
        atomic.write_atomically(target, "data: x\n")
    finally:
        os.umask(old)
    assert target.read_text() == "data: x\n"
    assert mode(target) == 0o600
    assert mode(tmp_path / "a") == 0o700 and mode(tmp_path / "a" / "b") == 0o700


@POSIX
def test_existing_parent_keeps_its_mode(tmp_path):
    tmp_path.chmod(0o755)
    atomic.write_atomically(tmp_path / "s.yaml", b"x")
    assert mode(tmp_path) == 0o755


@POSIX
def test_mode_is_0600_before_any_byte_is_written(tmp_path, monkeypatch):
    seen = []
    real_write = os.write

    def spy(fd, data):
        seen.append(stat.S_IMODE(os.fstat(fd).st_mode))
        return real_write(fd, data)

    monkeypatch.setattr(atomic.os, "write", spy)
    atomic.write_atomically(tmp_path / "s.yaml", b"secret bytes")
    assert seen and set(seen) == {0o600}


def test_failure_between_temp_write_and_rename_leaves_old_file(tmp_path, monkeypatch):
    target = tmp_path / "s.yaml"
    target.write_bytes(b"old secret\n")
    before = target.read_bytes()

    def fail(source, destination):
        assert Path(source).read_bytes() == b"new secret\n"  # the temp file was complete
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic, "_rename", fail)
    with pytest.raises(OSError):
        atomic.write_atomically(target, b"new secret\n")
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.yaml"]  # no temp file left behind


def test_interrupt_during_write_leaves_old_file(tmp_path, monkeypatch):
    target = tmp_path / "s.yaml"
    target.write_bytes(b"old")

    def interrupted(fd, data):  # Ctrl-C in the middle of writing the temporary file
        raise KeyboardInterrupt

    monkeypatch.setattr(atomic.os, "write", interrupted)
    with pytest.raises(KeyboardInterrupt):
        atomic.write_atomically(target, b"new")
    assert target.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == ["s.yaml"]


def test_two_renders_racing_leave_one_whole_file(tmp_path):
    target = tmp_path / "secrets" / "s.yaml"
    contents = [bytes([65 + i]) * 200_000 for i in range(2)]
    errors = []
    start = threading.Barrier(2)

    def writer(data):
        try:
            start.wait()
            for _ in range(20):
                atomic.write_atomically(target, data)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(c,)) for c in contents]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert target.read_bytes() in contents  # one render's bytes, never a mix
    assert [p.name for p in target.parent.iterdir()] == ["s.yaml"]


def test_plugin_uses_the_one_implementation():
    assert plugin.write_atomically is atomic.write_atomically


# --- git safety ----------------------------------------------------------------------------

def test_unignored_destination_is_refused_with_the_line_to_add(tmp_path):
    repo = make_repo(tmp_path / "repo", gitignore="*.pyc\n")
    verdict = check_destination(repo / "out" / "claude secret.yaml")
    assert not verdict.safe
    assert verdict.gitignore_line == "/out/claude secret.yaml"
    assert verdict.gitignore_file == (repo / ".gitignore").resolve()
    with open(repo / ".gitignore", "a") as handle:  # the suggested line really fixes it
        handle.write(verdict.gitignore_line + "\n")
    assert check_destination(repo / "out" / "claude secret.yaml").safe


def test_ignored_destination_is_accepted(tmp_path):
    repo = make_repo(tmp_path / "repo", gitignore="secrets/\n")
    verdict = check_destination(repo / "secrets" / "claude-session-tokens.yaml")
    assert verdict.safe and verdict.work_tree == repo.resolve()


def test_tracked_destination_is_refused_even_if_ignored_later(tmp_path):
    repo = make_repo(tmp_path / "repo")
    (repo / "secret.yaml").write_text("kind: ConfigMap\n")
    git(repo, "add", "secret.yaml")
    (repo / ".gitignore").write_text("secret.yaml\n")
    assert not check_destination(repo / "secret.yaml").safe


def test_outside_any_work_tree_is_fine_and_said(tmp_path):
    verdict = check_destination(tmp_path / "plain" / "s.yaml")
    assert verdict.safe and verdict.work_tree is None and "not inside a git work tree" in verdict.note


def test_without_git_the_destination_is_allowed_but_said(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    verdict = check_destination(tmp_path / "s.yaml")
    assert verdict.safe and "git was not found" in verdict.note


SECRET_WITH_SESSION = """apiVersion: v1
kind: Secret
metadata: {name: claude-session-tokens}
data:
  .credentials.json: eyJ9
"""


def test_tracked_secret_with_session_keys_is_detected(tmp_path):
    repo = make_repo(tmp_path / "repo")
    (repo / "deploy").mkdir()
    (repo / "deploy" / "claude.yaml").write_text(SECRET_WITH_SESSION)
    (repo / "deploy" / "other-secret.yaml").write_text("kind: Secret\ndata:\n  password: eA==\n")
    (repo / "deploy" / "list.json").write_text(
        '{"kind": "List", "items": [{"kind": "Secret", "stringData": {".credentials.json": "{}"}}]}')
    (repo / "README.md").write_text("Never commit a Secret with .credentials.json in it.\n")
    git(repo, "add", ".")
    found, note = tracked_session_secrets(repo)
    assert sorted(found) == ["deploy/claude.yaml", "deploy/list.json"]
    assert "4 tracked files" in note


def test_untracked_secret_is_not_reported(tmp_path):
    repo = make_repo(tmp_path / "repo")
    (repo / "claude.yaml").write_text(SECRET_WITH_SESSION)
    assert tracked_session_secrets(repo)[0] == []


def test_gitignore_line_escapes_patterns():
    assert gitignore_line(Path("a[1]/*.yaml")) == "/a\\[1]/\\*.yaml"


# --- the gate (plain function) -------------------------------------------------------------

def book_of(**outcomes: str) -> Ledger:
    book = Ledger()
    for name, outcome in outcomes.items():
        book.verdicts[name] = Verdict(name, ("FR-004",) if name == "prompt" else ("SC-003",), outcome,
                                      message="It broke.\nWhy it matters: ...")
    book.verdicts["render"] = Verdict("render", ("FR-006",))
    return book


def test_gate_open_when_all_passed_or_skipped_by_design():
    assert blocking_reasons(book_of(a="passed", b="skipped by design"), "render") == []


@pytest.mark.parametrize("outcome, words", [("failed", "failed"), ("error", "stopped with an error"),
                                            ("skipped", "was skipped"), ("not run", "did not run")])
def test_gate_blocks_on_every_other_outcome_and_names_the_requirement(outcome, words):
    reasons = blocking_reasons(book_of(a="passed", prompt=outcome), "render")
    assert [str(r) for r in reasons] == [f"FR-004: prompt {words} (It broke.)"]
    assert (reasons[0].ids, reasons[0].check, reasons[0].what, reasons[0].note) == ("FR-004", "prompt", words, "It broke.")


def test_gate_blocks_on_deselected_and_uncollected():
    book = book_of(a="passed", prompt="not run")
    book.deselected.append("prompt")
    reasons = blocking_reasons(book, "render", ["test_40_test_prompt.py", "test_41_unregistered.py"])
    assert str(reasons[0]).startswith("FR-004: prompt was deselected")
    assert str(reasons[1]).startswith("FR-004, SC-002: test_40_test_prompt.py was not part of the run")
    assert str(reasons[2]).startswith("unknown requirements: test_41_unregistered.py was not part of the run")


def test_uncollected_files_are_found():
    all_files = sorted(p.name for p in CHECKS_DIR.glob("test_*.py"))
    collected = ["checks/test_90_render_secret.py::test_render_secret"]
    missing = uncollected_check_files(CHECKS_DIR, collected)
    assert "test_90_render_secret.py" not in missing
    assert sorted(missing + ["test_90_render_secret.py"]) == all_files


def test_default_destination_is_secrets_name_in_the_project(tmp_path):
    from claude_session_tokens.suite.options import Settings

    assert Settings(project_root=tmp_path).secret_path() == tmp_path / "secrets" / "claude-session-tokens.yaml"
    assert Settings(project_root=tmp_path, secret_name="x", secret_format="json").secret_path() == \
        tmp_path / "secrets" / "x.json"
    assert Settings(project_root=tmp_path, secret_out="elsewhere/s.yaml").secret_path() == Path("elsewhere/s.yaml")


def test_project_gitignore_ignores_the_default_destination_and_generated_reports(tmp_path):
    """Judged in a throw-away repository with the project's .gitignore, so the test means the same
    outside a git checkout (sdist, tarball), where every path would be "safe" for lack of a work tree."""
    from helpers.runner import ROOT

    repo = make_repo(tmp_path / "project", gitignore=(ROOT / ".gitignore").read_text(encoding="utf-8"))
    targets = [repo / "secrets" / "claude-session-tokens.yaml", repo / "secrets" / "claude-session-tokens.json",
               repo / "reports" / "junit.xml", repo / "reports" / "summary.md"]
    for target in targets:
        verdict = check_destination(target)
        assert verdict.work_tree is not None and verdict.safe, target
    assert not check_destination(repo / "elsewhere.yaml").safe  # the .gitignore does not ignore everything


def test_round_trip_check_catches_a_secret_that_does_not_decode_to_the_payload():
    from claude_session_tokens.core.findings import FindingError
    from claude_session_tokens.core.masked import Masked
    from claude_session_tokens.k8s.payload import Payload
    from claude_session_tokens.k8s.render import check_round_trip

    payload = Payload(files={".credentials.json": Masked(b"{}"), ".claude.json": Masked(b"{}")})
    check_round_trip("data:\n  .credentials.json: e30=\n  .claude.json: e30=\n", payload)
    for broken in ("data:\n  .credentials.json: e30=\n", "data:\n  .credentials.json: W10=\n  .claude.json: e30=\n",
                   "not: [yaml"):
        with pytest.raises(FindingError):
            check_round_trip(broken, payload)


def test_a_ctrl_c_during_the_write_takes_effect_once_the_write_is_whole(tmp_path, monkeypatch):
    """A stop that lands inside write_atomically (here: right after mkstemp, in the chmod) is
    held back until the file is complete and renamed; no temporary file stays behind."""
    import os
    import signal

    from claude_session_tokens.core import atomic

    destination = tmp_path / "secret.yaml"
    destination.write_text("old\n")
    real_chmod = atomic._chmod

    def chmod_then_interrupt(path, mode):
        real_chmod(path, mode)
        os.kill(os.getpid(), signal.SIGINT)

    monkeypatch.setattr(atomic, "_chmod", chmod_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        atomic.write_atomically(destination, "new\n")
    assert destination.read_text() == "new\n"
    assert [p.name for p in tmp_path.iterdir()] == ["secret.yaml"]
