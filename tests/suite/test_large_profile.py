"""FR-005 on a heavy user's profile: 100,000 transcripts under ``projects/``.

The profile is built once for the module. The tests assert what the listing says (counts,
sizes, no per-file lines); how fast it is, is measured by the benchmark script, not here:
speed targets live in bench/, not in timed tests.
"""

from __future__ import annotations

import os
import shutil

import pytest
from helpers.foundation import FOUNDATION_FILES, ORDER, assert_no_crash, case, outcomes
from helpers.profiles import ProfileBuilder

from claude_session_tokens.session.listing import list_session_dir

TRANSCRIPTS = 100_000
PER_DIR = 1000  # ProfileBuilder.add_transcripts puts 1000 files in each project dir
SIZE = 64


@pytest.fixture(scope="module")
def big_profile(tmp_path_factory) -> ProfileBuilder:
    profile = ProfileBuilder(tmp_path_factory.mktemp("big") / ".claude").create()
    profile.add_transcripts(TRANSCRIPTS, size=SIZE, hard_links=hasattr(os, "link"))
    yield profile
    shutil.rmtree(profile.dir, ignore_errors=True)  # spare later runs deleting 100,000 files


def test_listing_summarises_projects(big_profile):
    entries = {e.name: e for e in list_session_dir(big_profile.dir, "linux")}
    assert sorted(entries) == [".claude.json", ".credentials.json", "projects"]
    projects = entries["projects"]
    assert projects.kind == "dir"
    assert projects.entries == TRANSCRIPTS + TRANSCRIPTS // PER_DIR  # files plus their project dirs
    assert projects.size == TRANSCRIPTS * SIZE
    assert projects.unreadable == 0
    assert "100100 entries, 6.1 MiB" in projects.line()


def test_checks_pass_and_list_only_the_top_level(big_profile, checks):
    run = checks.run(f"--claude-config-dir={big_profile.dir}", paths=FOUNDATION_FILES, env={"CLAUDE_CONFIG_DIR": None})
    assert run.ret == 0, run.output
    assert_no_crash(run)
    assert outcomes(run) == {c: "passed" for c in ORDER}
    entries = case(run, "list").prop("entry")
    assert len(entries) == 3
    assert any(e.endswith("projects") and "100100 entries, 6.1 MiB" in e for e in entries)
    assert ".jsonl" not in run.every_text()  # sub-directories are summarised, never listed file by file
