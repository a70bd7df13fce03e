"""The prompt gate: the test prompt never runs in a run that cannot write the Secret (review 2, 4.2,
5.1, 5.4, 5.9), and a prompt that was refused is shown as not run, not as a failure of FR-004.

The fake CLI records every ``-p`` call, so "the CLI was never asked" can be asserted.
"""

from __future__ import annotations

import shlex
from pathlib import Path

from helpers.fake_claude import FakeClaude
from helpers.leaks import assert_no_leak
from helpers.render_support import make_repo

from claude_session_tokens.suite import gate
from claude_session_tokens.suite.plugin import CHECKS_DIR

PROMPT = "test_prompt_answers_on_what_ships"
PROMPT_FILE = "test_40_test_prompt.py"


def _run(checks, profile, tmp_path, *args, paths=()):
    fake = FakeClaude(tmp_path / "fake-bin").control("rotate")
    run = checks.run("--claude-config-dir", str(profile.dir), "--claude-bin", str(fake.bin),
                     "--secret-out", str(tmp_path / "out" / "s.yaml"), *args, paths=paths, env=fake.env())
    return run, fake


def _row(run, rid: str) -> list[str]:
    """The terminal table's line for ``rid`` and the note under it."""
    lines = run.stdout.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith(f"{rid}  "))
    return lines[at:at + 2]


def test_the_prerequisites_are_real_check_files_that_run_before_the_prompt():
    present = {p.name for p in CHECKS_DIR.glob("test_*.py")}
    assert gate.RENDER_PREREQUISITES, "the prompt gate must name the checks it waits for"
    for name in gate.RENDER_PREREQUISITES:
        assert name in present, f"{name} was renamed: the prompt gate would be switched off silently"
        assert name < PROMPT_FILE, f"{name} must sort (and so run) before {PROMPT_FILE}"
    assert PROMPT_FILE in present


def test_a_session_with_credential_problems_is_never_prompted_when_the_preview_failed(checks, profile, tmp_path):
    """5.1: a "pro" session fails test_16 and test_38; the prompt must not run, whatever the
    kind of problem (it used to run whenever the credentials had problems)."""
    profile.create(subscriptionType="pro")
    before = profile.snapshot()
    run, fake = _run(checks, profile, tmp_path)
    cases = run.testcases()
    assert cases["test_credentials_hold_a_claude_max_session"].outcome == "failed", run.output
    assert cases["test_secret_preview_builds_and_validates_offline"].outcome == "failed", run.output
    assert fake.events("prompt") == [], "the CLI got a -p call in a run that cannot write the Secret"
    assert cases[PROMPT].outcome == "failed"  # JUnit stays honest: CI is red
    assert "The test prompt was not run: checks before it failed" in cases[PROMPT].message
    assert run.ret != 0 and profile.snapshot() == before
    assert_no_leak(run)


def test_a_failing_preview_stops_the_prompt_and_the_table_says_not_run(checks, profile, tmp_path):
    """4.2 and 5.4: test_38 fails (an unknown Kubernetes version); the prompt is not run, and
    FR-004/SC-002 read NOT RUN with the checks to fix first, not FAIL with a generic remedy."""
    profile.create()
    run, fake = _run(checks, profile, tmp_path, "--kubernetes-version", "0.1.0")
    cases = run.testcases()
    assert cases["test_secret_preview_builds_and_validates_offline"].outcome == "failed", run.output
    assert fake.events("prompt") == []
    prompt = cases[PROMPT]
    assert prompt.outcome == "failed" and prompt.prop("remedy")  # the testcase fails: CI stays red
    for rid in ("FR-004", "SC-002"):
        status, note = _row(run, rid)
        assert status.split()[1:3] == ["NOT", "RUN"], status
        assert note.strip() == "note: not run: first fix FR-007, SC-004, US3.1, US3.2, US3.3 " \
                               "(test_38_secret_preview.py)", note
    summary = run.summary_path.read_text()
    assert "| FR-004 | NOT RUN |" in summary and "| FR-004 | FAIL |" not in summary
    assert "| FR-007 | FAIL |" in summary  # the real failure is still a failure
    # the render gate names the prompt as not run, with what blocked it
    render = cases["test_render_secret"]
    assert "test_40_test_prompt.py::test_prompt_answers_on_what_ships was not run (first fix FR-007" \
        in render.message
    assert run.ret != 0
    assert_no_leak(run)


def test_the_prompt_waits_for_the_git_check_whatever_order_the_paths_are_given(checks, profile, tmp_path):
    """5.9: ``pytest checks/test_40_test_prompt.py checks/test_35_secret_not_committed.py`` still
    runs test_35 first (pytest itself would run the files in the order given)."""
    profile.create()
    repo = make_repo(tmp_path / "app-repo", gitignore="*.log\n")
    target = repo / "k8s" / "claude.yaml"
    fake = FakeClaude(tmp_path / "fake-bin").control("rotate")
    run = checks.run("--claude-config-dir", str(profile.dir), "--claude-bin", str(fake.bin),
                     "--secret-out", str(target), "-v",
                     paths=(PROMPT_FILE, "test_35_secret_not_committed.py"), env=fake.env())
    cases = run.testcases()
    assert cases["test_secret_cannot_be_committed"].outcome == "failed", run.output
    assert fake.events("prompt") == []
    assert cases[PROMPT].outcome == "failed" and "test_35_secret_not_committed.py" in cases[PROMPT].message
    order = [line.split("::")[0].split("/")[-1] for line in run.stdout.splitlines()
             if "::" in line and (" PASSED" in line or " FAILED" in line)]
    assert order == ["test_35_secret_not_committed.py", PROMPT_FILE], order
    assert not target.exists()


def test_a_dry_run_warns_about_an_unignored_destination_and_still_renders(checks, profile, tmp_path):
    """5.2: --dry-run writes nothing, so a destination git would not ignore is a warning."""
    profile.create()
    repo = make_repo(tmp_path / "app-repo", gitignore="*.log\n")
    target = repo / "k8s" / "claude.yaml"
    fake = FakeClaude(tmp_path / "fake-bin").control("ok")
    run = checks.run("--claude-config-dir", str(profile.dir), "--claude-bin", str(fake.bin),
                     "--secret-out", str(target), "--dry-run", env=fake.env())
    cases = run.testcases()
    git_check = cases["test_secret_cannot_be_committed"]
    assert git_check.outcome == "passed", run.output
    warnings = git_check.prop("warning")
    assert any(f"{target} is inside the git work tree" in w and "without it would refuse" in w
               for w in warnings), warnings
    assert len(fake.events("prompt")) == 1
    assert cases["test_render_secret"].outcome == "passed", run.output
    assert not target.exists()


def test_a_dry_run_still_fails_on_a_committed_secret_beside_the_destination(checks, profile, tmp_path):
    """5.2 and 5.5: tracked Secrets fail even with --dry-run, and the repository --secret-out
    writes into is searched as well as the project."""
    profile.create()
    repo = make_repo(tmp_path / "infra", gitignore="/k8s/claude.yaml\n")
    old = repo / "k8s" / "claude-old.yaml"
    old.parent.mkdir()
    old.write_text("apiVersion: v1\nkind: Secret\nmetadata: {name: old}\ndata:\n  .credentials.json: eyJ9\n")
    import subprocess
    subprocess.run(["git", "-C", str(repo), "add", "."], check=True, capture_output=True)
    subprocess.run(["git", "-C", str(repo), "commit", "-q", "-m", "old"], check=True, capture_output=True)
    target = repo / "k8s" / "claude.yaml"
    for extra in ((), ("--dry-run",)):
        fake = FakeClaude(tmp_path / f"fake-bin{len(extra)}").control("rotate")
        run = checks.run("--claude-config-dir", str(profile.dir), "--claude-bin", str(fake.bin),
                         "--secret-out", str(target), *extra, env=fake.env())
        git_check = run.testcases()["test_secret_cannot_be_committed"]
        assert git_check.outcome == "failed", run.output
        assert f"k8s/claude-old.yaml is tracked by git in {repo.resolve()}" in git_check.message
        assert f"git -C {shlex.quote(str(repo.resolve()))} rm --cached -- k8s/claude-old.yaml" in git_check.message
        assert fake.events("prompt") == []
        assert not target.exists()


def test_the_project_is_not_scanned_twice_when_the_secret_goes_into_it(tmp_path):
    from claude_session_tokens.k8s.git_safety import work_trees_to_scan

    repo = make_repo(tmp_path / "repo")
    (repo / "sub").mkdir()
    assert work_trees_to_scan(repo / "sub", repo) == [repo / "sub"]
    other = make_repo(tmp_path / "other")
    assert work_trees_to_scan(repo, other) == [repo, other]
    assert work_trees_to_scan(repo, None) == [repo]
    plain = tmp_path / "no-git"
    plain.mkdir()
    assert work_trees_to_scan(plain, other) == [plain, other]


def test_prompt_gate_reasons_only_from_the_prerequisites(tmp_path):
    from claude_session_tokens.suite.plugin import Ledger, Verdict

    book = Ledger()
    ids = {"test_16_credentials_valid.py::t": ("SC-003",), "test_38_secret_preview.py::t": ("FR-007", "SC-004"),
           "test_40_test_prompt.py::t": ("FR-004",)}
    for nodeid, rids in ids.items():
        book.verdicts[f"checks/{nodeid}"] = Verdict(f"checks/{nodeid}", rids)
    book.record("checks/test_16_credentials_valid.py::t", "failed", "bad")
    assert gate.earlier_failures(book, "checks/test_40_test_prompt.py::t") == []
    book.record("checks/test_38_secret_preview.py::t", "failed", "bad")
    assert [str(b) for b in gate.earlier_failures(book, "checks/test_40_test_prompt.py::t")] == [
        "FR-007, SC-004: test_38_secret_preview.py::t failed"]
    assert [b.check_file for b in gate.earlier_failures(book, "checks/test_40_test_prompt.py::t")] == [
        "test_38_secret_preview.py"]
    assert Path(CHECKS_DIR / "test_38_secret_preview.py").is_file()
