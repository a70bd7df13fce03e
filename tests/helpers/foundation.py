"""The foundation's session-file checks (checks/test_10..16, the listing test_60) and how to judge a run of them.

The project's tests run only these files (``FOUNDATION_FILES``): the later checks (CLI, prompt,
render) need more than a profile on disk and are tested in their own files.
"""

from __future__ import annotations

import os
import shlex
import shutil

from claude_session_tokens.suite import registry
from helpers.runner import ROOT, ChecksRun

# short name -> (file in checks/, test function, requirement IDs it must carry in the JUnit XML: the registry's)
_FUNCTIONS = {
    "dir": ("test_10_session_directory.py", "test_session_directory_exists"),
    "list": ("test_60_directory_listing.py", "test_session_directory_can_be_listed"),
    "present": ("test_12_credentials_present.py", "test_credentials_are_present"),
    "regular": ("test_13_credentials_regular_file.py", "test_credentials_are_a_regular_file"),
    "nonempty": ("test_14_credentials_not_empty.py", "test_credentials_are_not_empty"),
    "readable": ("test_15_credentials_readable.py", "test_credentials_are_readable"),
    "valid": ("test_16_credentials_valid.py", "test_credentials_hold_a_claude_max_session"),
}
CHECKS = {short: (file, func, registry.by_file(file).requirements) for short, (file, func) in _FUNCTIONS.items()}
ORDER = tuple(CHECKS)
FOUNDATION_FILES = tuple(file for file, _, _ in CHECKS.values())

# Remedies name the CLI the run found and, for a profile that is not ~/.claude, set
# CLAUDE_CONFIG_DIR; the tests' profiles are such profiles. {cli} is filled in by fill().
LOGIN = "{cli} auth login   (then run the checks again)"
RELOGIN = "{cli} auth logout && {cli} auth login"
DIRECTORY_REMEDY = ("{cli} auth login   (it creates the directory), or point the suite at the right one: "
                    "pytest checks --claude-config-dir <dir>")


def claude_as_found() -> str:
    """The CLI as a run without --claude-bin finds it: ``claude`` on PATH, else node_modules/.bin."""
    if shutil.which("claude"):
        return "claude"
    return str(ROOT / "node_modules" / ".bin" / ("claude.cmd" if os.name == "nt" else "claude"))


def fill(text: str, profile_dir, **more) -> str:
    """``text`` with {cli} (the CLI with this profile's CLAUDE_CONFIG_DIR) and ``more`` filled in."""
    return text.format(cli=f"CLAUDE_CONFIG_DIR={shlex.quote(str(profile_dir))} {claude_as_found()}", **more)


def outcomes(run: ChecksRun) -> dict[str, str]:
    """{short name: passed/failed/error/skipped} of the foundation checks in the JUnit XML."""
    cases = run.testcases()
    return {short: cases[func].outcome for short, (_, func, _) in CHECKS.items() if func in cases}


def case(run: ChecksRun, short: str):
    return run.testcases()[CHECKS[short][1]]


def assert_no_crash(run: ChecksRun) -> None:
    """No Python traceback, no INTERNALERROR, in the output or the JUnit XML."""
    texts = {"output": run.output, "junit.xml": run.junit_path.read_text(encoding="utf-8", errors="replace")}
    for where, text in texts.items():
        assert "Traceback" not in text, f"a traceback in the {where}"
        assert "INTERNALERROR" not in text, f"INTERNALERROR in the {where}"
        assert "stopped on an unexpected" not in text, f"a check hit a bug, not a finding ({where})"


def assert_requirements_tagged(run: ChecksRun) -> None:
    """Every foundation testcase carries exactly its requirement IDs as JUnit properties."""
    cases = run.testcases()
    for short, (_, func, ids) in CHECKS.items():
        assert sorted(cases[func].requirements()) == sorted(ids), short
