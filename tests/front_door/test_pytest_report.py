"""pytest's own report as ``render_secret.py`` shows it (``-v``; always with ``--fresh-login``)."""

from __future__ import annotations

import os

from helpers.render_support import run_render_secret


def test_verbose_report_has_no_warning_of_the_suites_own_making(profile, fake, tmp_path):
    # A child, not the in-process runner: the tests' own pytest has imported the plugin already
    # (with assertion rewriting), so only a fresh process shows what a user's run prints.
    profile.create()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "CLAUDE_", "PYTEST_"))}
    env.update(fake.env())
    result = run_render_secret("-v", "--dry-run", "--claude-config-dir", str(profile.dir),
                               "--claude-bin", str(fake.bin), "--reports-dir", str(tmp_path / "reports"),
                               env=env, in_process=False)
    assert result.returncode == 0, result.stderr
    assert "passed" in result.stderr  # pytest's report is the one shown
    assert "PytestAssertRewriteWarning" not in result.stderr
    assert "warnings summary" not in result.stderr and " warning" not in result.stderr.splitlines()[-1]
