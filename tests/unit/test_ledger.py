"""The requirements table: how the verdicts of several checks make one requirement's status."""

from claude_session_tokens.suite.plugin import Ledger, Verdict, render_summary

RENDER = "checks/test_90_render_secret.py::test_render_secret"
GIT = "checks/test_35_secret_not_committed.py::test_secret_cannot_be_committed"
PROMPT = "checks/test_40_test_prompt.py::test_prompt"


def _book() -> Ledger:
    book = Ledger()
    book.verdicts[PROMPT] = Verdict(PROMPT, ("FR-004", "SC-002"))
    book.verdicts[GIT] = Verdict(GIT, ("FR-008", "SC-006"))
    book.verdicts[RENDER] = Verdict(RENDER, ("FR-006", "SC-004", "FR-008", "SC-006"))
    return book


def test_a_closed_gate_does_not_turn_a_proven_requirement_into_a_failure():
    book = _book()
    book.record(PROMPT, "failed", "The test prompt failed", "claude auth login")
    book.record(GIT, "passed")
    book.record(RENDER, "blocked", "not rendered: first fix what blocked it: FR-004, SC-002")
    assert book.requirement_status("FR-004") == ("FAIL", "claude auth login")
    status, note = book.requirement_status("FR-008")
    assert status == "PASS" and "FR-004" in note  # test_35 proved it; the note says why no Secret
    status, note = book.requirement_status("FR-006")
    assert status == "FAIL" and note.startswith("not rendered") and "FR-004" in note


def test_a_real_failure_wins_over_a_pass_and_is_shown_with_its_remedy():
    book = _book()
    book.record(GIT, "failed", "The destination is not ignored", "echo 'secrets/' >> .gitignore")
    book.record(RENDER, "passed")
    assert book.requirement_status("FR-008") == ("FAIL", "echo 'secrets/' >> .gitignore")
    assert book.requirement_status("FR-006") == ("PASS", "")
    assert book.requirement_status("FR-001") == ("NOT RUN", "")
    assert "| FR-008 | FAIL |" in "\n".join(render_summary(book))


def test_a_later_phase_cannot_hide_an_earlier_failure():
    book = _book()
    book.record(PROMPT, "failed", "call failed")
    book.record(PROMPT, "passed")  # e.g. a teardown report arriving after the failure
    assert book.verdicts[PROMPT].outcome == "failed"


def test_a_refused_check_reads_not_run_and_names_what_to_fix_first():
    book = _book()
    book.record(GIT, "failed", "The destination is not ignored", "add /k8s/s.yaml to .gitignore")
    book.record(PROMPT, "refused", "not run: first fix FR-008, SC-006 (test_35_secret_not_committed.py)",
                "fix what the checks named above say", ("FR-008, SC-006: test_35_secret_not_committed.py failed",))
    assert book.requirement_status("FR-004") == (
        "NOT RUN", "not run: first fix FR-008, SC-006 (test_35_secret_not_committed.py)")
    assert book.requirement_status("FR-008") == ("FAIL", "add /k8s/s.yaml to .gitignore")
    book.record(PROMPT, "failed", "a later phase failed for real", "x")
    assert book.requirement_status("FR-004") == ("FAIL", "x")  # a real failure still wins


def test_only_details_that_name_checks_count_as_blockers():
    from claude_session_tokens.core.findings import Blocker
    from claude_session_tokens.suite.plugin import blockers
    from claude_session_tokens.suite.spent_session import spent_line

    named = (Blocker("FR-004, SC-002, US1.2", "test_40_test_prompt.py::test_p", "was not run", "first fix FR-008"),
             Blocker("FR-008, SC-006", "test_35_secret_not_committed.py", "failed", "A Secret ...: x"),
             Blocker("FR-005", "test_60_directory_listing.py", "was not part of the run (a single file ...)"),
             Blocker("FR-008, SC-006", "test_35_secret_not_committed.py::other", "failed"))
    # the blockers are data; each reads as the line the reports have always shown
    assert [str(b) for b in named] == [
        "FR-004, SC-002, US1.2: test_40_test_prompt.py::test_p was not run (first fix FR-008)",
        "FR-008, SC-006: test_35_secret_not_committed.py failed (A Secret ...: x)",
        "FR-005: test_60_directory_listing.py was not part of the run (a single file ...)",
        "FR-008, SC-006: test_35_secret_not_committed.py::other failed"]
    details = (spent_line(), *named,
               "FR-009: test_99_not_a_blocker.py failed (a plain line, however it reads)",
               "  an indented line: with a colon")
    assert blockers(details) == [("FR-004, SC-002, US1.2", "test_40_test_prompt.py"),
                                 ("FR-008, SC-006", "test_35_secret_not_committed.py"),
                                 ("FR-005", "test_60_directory_listing.py")]


def test_render_secret_shows_the_details_and_its_own_command():
    from claude_session_tokens.core import remedy

    with remedy.using(remedy.Spelling(front_door=remedy.RENDER_SECRET)):  # as in a render_secret.py run
        _render_secret_shows_the_details_and_its_own_command()


def _render_secret_shows_the_details_and_its_own_command():
    from claude_session_tokens.core.remedy import RUN_AGAIN
    from claude_session_tokens.render_cli import requirement_lines

    book = _book()
    book.record(GIT, "failed", "A Secret with session tokens could be committed:\nWhy it matters: ...",
                "apply the fixes listed above",
                ("/k8s/s.yaml is not ignored. Fix: add the line /k8s/s.yaml to .gitignore",))
    book.record(PROMPT, "refused", "not run: first fix FR-008, SC-006 (test_35_secret_not_committed.py)",
                f"fix what the checks named above say, then run the whole suite again: {RUN_AGAIN}",
                ("FR-008, SC-006: test_35_secret_not_committed.py failed",))
    book.record(RENDER, "blocked", "not rendered: first fix what blocked it: FR-004, SC-002; FR-008, SC-006",
                f"fix what is listed, then run the whole suite again: {RUN_AGAIN}")
    lines = requirement_lines(book)
    text = "\n".join(lines)
    at = lines.index("  test_35_secret_not_committed.py (FR-008, SC-006): A Secret with session tokens could be committed:")
    assert lines[at + 1] == "      /k8s/s.yaml is not ignored. Fix: add the line /k8s/s.yaml to .gitignore"
    assert lines[at + 2] == "      fix: apply the fixes listed above"
    assert "  test_40_test_prompt.py (FR-004, SC-002): not run: first fix FR-008, SC-006 " \
           "(test_35_secret_not_committed.py)" in lines
    assert "      fix: fix what the checks named above say, then run the whole suite again: " \
           "python render_secret.py" in lines
    assert "  FR-004  NOT RUN  Authentication is verified by a test prompt" in lines
    assert "pytest checks" not in text and "test_90" not in text.split("What went wrong:")[1]
