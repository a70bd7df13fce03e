"""The registry of checks (claude_session_tokens/suite/registry.py) is the one source of what each
check proves: the JUnit XML, the README table and the check files agree with it."""

from __future__ import annotations

from helpers.fake_claude import FakeClaude

# What the JUnit XML recorded for each check before the registry existed (the IDs came from each
# check file's own @pytest.mark.requirement): the requirement properties of each testcase, in
# order, and first among its properties. The registry must reproduce them exactly.
JUNIT_REQUIREMENTS = {
    "test_fresh_login": ("FR-001", "FR-002", "SC-001", "US1.1", "US1.3"),
    "test_session_directory_exists": ("FR-003", "SC-003"),
    "test_credentials_are_present": ("SC-003", "FR-003", "US1.1", "US2.1"),
    "test_credentials_are_a_regular_file": ("SC-003", "US2.1"),
    "test_credentials_are_not_empty": ("SC-003", "US2.2"),
    "test_credentials_are_readable": ("SC-003", "US2.3"),
    "test_credentials_hold_a_claude_max_session": ("SC-003", "US1.1"),
    "test_claude_cli_can_log_out_and_in": ("FR-001", "FR-002"),
    "test_session_lasts_long_enough": ("SC-005",),
    "test_secret_cannot_be_committed": ("FR-008", "SC-006"),
    "test_secret_preview_builds_and_validates_offline": ("FR-007", "SC-004", "US3.1", "US3.2", "US3.3"),
    "test_prompt_answers_on_what_ships": ("FR-004", "SC-002", "US1.2"),
    "test_session_directory_can_be_listed": ("FR-005", "US2.1"),
    "test_render_secret": ("FR-006", "SC-004", "FR-008", "SC-006"),
}


def test_junit_requirement_properties_are_exactly_as_before(checks, profile, tmp_path):
    profile.create()
    fake = FakeClaude(tmp_path / "fake-bin")
    run = checks.run("--claude-config-dir", str(profile.dir), "--claude-bin", str(fake.bin), "--dry-run",
                     env=fake.env())
    cases = run.testcases()
    assert set(cases) == set(JUNIT_REQUIREMENTS), run.output
    for name, ids in JUNIT_REQUIREMENTS.items():
        properties = cases[name].properties
        assert tuple(cases[name].requirements()) == ids, name
        assert properties[:len(ids)] == [("requirement", rid) for rid in ids], name


# What the gate named for a check file the run did not collect, before the registry existed (it
# read the FR/SC IDs from the file's marker, sorted, without the acceptance scenarios).
UNCOLLECTED_IDS = {
    "test_00_fresh_login.py": "FR-001, FR-002, SC-001",
    "test_10_session_directory.py": "FR-003, SC-003",
    "test_12_credentials_present.py": "FR-003, SC-003",
    "test_13_credentials_regular_file.py": "SC-003",
    "test_14_credentials_not_empty.py": "SC-003",
    "test_15_credentials_readable.py": "SC-003",
    "test_16_credentials_valid.py": "SC-003",
    "test_20_claude_cli.py": "FR-001, FR-002",
    "test_30_session_lifetime.py": "SC-005",
    "test_35_secret_not_committed.py": "FR-008, SC-006",
    "test_38_secret_preview.py": "FR-007, SC-004",
    "test_40_test_prompt.py": "FR-004, SC-002",
    "test_60_directory_listing.py": "FR-005",
    "test_90_render_secret.py": "FR-006, FR-008, SC-004, SC-006",
}


def test_the_gate_names_an_uncollected_file_as_before():
    from claude_session_tokens.core.remedy import RUN_AGAIN
    from claude_session_tokens.suite.gate import blocking_reasons
    from claude_session_tokens.suite.plugin import CHECKS_DIR, Ledger

    for name, ids in UNCOLLECTED_IDS.items():
        assert blocking_reasons(Ledger(), "render", [name], CHECKS_DIR) == [
            (f"{ids}: {name} was not part of the run (a single file or a subset was given); "
             f"run the whole suite: {RUN_AGAIN}")], name
