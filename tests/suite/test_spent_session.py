"""A refresh during the test prompt must not be followed by a silent loss of the only live tokens
(review 2.7). The fake CLI's ``rotate`` mode refreshes the tokens in the test copy, as the real
CLI does near expiry (a real refresh cannot run offline).
"""

from __future__ import annotations

from helpers.fake_claude import FakeClaude
from helpers.leaks import assert_no_leak
from helpers.render_support import make_repo, run_render_secret


def test_a_failing_git_check_stops_the_prompt_before_it_can_refresh(checks, profile, tmp_path):
    profile.create()
    before = profile.snapshot()
    fake = FakeClaude(tmp_path / "fake-bin").control("rotate")
    repo = make_repo(tmp_path / "app-repo", gitignore="*.log\n")
    target = repo / "k8s" / "claude.yaml"
    run = checks.run("--claude-config-dir", str(profile.dir), "--claude-bin", str(fake.bin),
                     "--secret-out", str(target), env=fake.env())
    cases = run.testcases()
    assert cases["test_secret_cannot_be_committed"].outcome == "failed"
    prompt = cases["test_prompt_answers_on_what_ships"]
    assert prompt.outcome == "failed"
    assert "The test prompt was not run: checks before it failed" in prompt.message
    assert "test_35_secret_not_committed.py" in prompt.message
    assert fake.events("prompt") == []  # the CLI never ran, so nothing was refreshed
    assert not target.exists() and profile.snapshot() == before
    assert_no_leak(run)


def test_a_refresh_then_a_failed_write_says_the_session_is_spent(checks, profile, tmp_path):
    profile.create()
    fake = FakeClaude(tmp_path / "fake-bin").control("rotate")
    (tmp_path / "a-file").write_text("x")
    target = tmp_path / "a-file" / "s.yaml"  # the write fails only in the render step, after the prompt
    run = checks.run("--claude-config-dir", str(profile.dir), "--claude-bin", str(fake.bin),
                     "--secret-out", str(target), env=fake.env())
    cases = run.testcases()
    assert cases["test_prompt_answers_on_what_ships"].outcome == "passed"
    assert len(fake.events("prompt")) == 1
    render = cases["test_render_secret"]
    assert render.outcome == "failed"
    assert "your session on this machine is spent; run pytest checks --fresh-login" in render.message
    assert render.prop("remedy")[0].startswith("pytest checks --fresh-login")
    assert f"{tmp_path / 'a-file'} is a file, not a directory" in render.message
    assert_no_leak(run)


def test_render_secret_summary_says_the_session_is_spent(profile, tmp_path):
    import os

    profile.create()
    fake = FakeClaude(tmp_path / "fake-bin").control("rotate")
    (tmp_path / "a-file").write_text("x")
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "CLAUDE_"))}, **fake.env()}
    result = run_render_secret("--claude-config-dir", str(profile.dir), "--claude-bin", str(fake.bin),
                               "--reports-dir", str(tmp_path / "reports"),
                               "--secret-out", str(tmp_path / "a-file" / "s.yaml"), env=env)
    assert result.returncode == 1
    assert "No Secret was rendered" in result.stderr  # the failure goes to standard error
    assert ("your session on this machine is spent; run python render_secret.py --fresh-login "
            f"--claude-config-dir {profile.dir} --claude-bin {fake.bin}.") in result.stderr
    # render_secret.py spells the remedies with its own command (the options are the same)
    assert (f"fix: python render_secret.py --fresh-login --claude-config-dir {profile.dir} --claude-bin {fake.bin}"
            "   (after fixing what is listed: ") in result.stderr
    assert "pytest checks" not in result.stdout + result.stderr
    # the details are shown under the failure, the spent session first
    wrong = result.stderr.split("What went wrong:")[1]
    assert "\n      The test prompt refreshed the tokens, but no Secret was written" in wrong
    assert "Traceback" not in result.stdout + result.stderr


def test_without_a_refresh_a_failed_write_says_nothing_about_a_spent_session(checks, profile, tmp_path):
    profile.create()
    fake = FakeClaude(tmp_path / "fake-bin").control("ok")
    (tmp_path / "a-file").write_text("x")
    run = checks.run("--claude-config-dir", str(profile.dir), "--claude-bin", str(fake.bin),
                     "--secret-out", str(tmp_path / "a-file" / "s.yaml"), env=fake.env())
    render = run.testcases()["test_render_secret"]
    assert render.outcome == "failed" and "spent" not in render.message
    assert "is a file, not a directory: pass --secret-out" in render.message
