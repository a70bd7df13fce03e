"""The requirements table: how the verdicts of several checks make one requirement's status."""

from claude_session_tokens.plugin import Ledger, Verdict, render_summary

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
