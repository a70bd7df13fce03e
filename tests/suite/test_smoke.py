"""The good profile passes the session-file checks; the table and reports say so."""

from helpers.leaks import assert_no_leak

SESSION_FILE_CHECKS = tuple(f"test_1{n}_" for n in range(7))


def test_good_profile_passes_session_file_checks(checks, profile):
    profile.create()
    run = checks.run("--claude-config-dir", str(profile.dir))
    cases = run.testcases()
    session_file_cases = {n: c for n, c in cases.items() if "/test_1" in c.file or "/test_60_" in c.file}
    assert len(session_file_cases) == 7  # test_10..16 but the listing, which runs as test_60 (after the CLI)
    assert {c.outcome for c in session_file_cases.values()} == {"passed"}
    assert "FR-005" in cases["test_session_directory_can_be_listed"].requirements()
    assert "FR-005  PASS" in run.stdout
    assert "| SC-003 | PASS |" in run.summary_path.read_text()
    assert_no_leak(run)
