"""FR-005's listing started in the background (SessionUnderTest.start_listing, BackgroundCall):
the same entries and the same Finding as a listing made when the check asks for it; and the
two ways the walk reads directories (open descriptors on POSIX, paths on Windows) agree.

The real suite starts the walk when the first check asks for the ``claude_session`` fixture
(``conftest.py``), so every run of ``checks/`` in the other tests (the unsearchable-directory case of test_foundation_bad_profiles among them)
goes through it as well.
"""

from __future__ import annotations

import threading

import pytest

from claude_session_tokens.core.background import BackgroundCall
from claude_session_tokens.core.findings import FindingError
from claude_session_tokens.session.listing import list_session_dir
from claude_session_tokens.suite import session as session_module
from claude_session_tokens.suite.options import Settings
from claude_session_tokens.suite.session import SessionUnderTest


class Boom(Exception):
    pass


def test_background_call_returns_the_value():
    assert BackgroundCall(sum, [1, 2, 3]).result() == 6


def test_background_call_raises_what_the_function_raised():
    error = Boom("disk on fire")

    def fails():
        raise error

    with pytest.raises(Boom) as raised:
        BackgroundCall(fails).result()
    assert raised.value is error


def test_background_call_runs_elsewhere_and_result_waits_for_it():
    release, threads = threading.Event(), []

    def slow():
        threads.append(threading.current_thread())
        assert release.wait(10)
        return "done"

    call = BackgroundCall(slow, name="slow-one")
    release.set()
    assert call.result() == "done"
    assert threads[0] is not threading.main_thread() and threads[0].name == "slow-one"


@pytest.fixture
def profile(tmp_path):
    d = tmp_path / ".claude"
    (d / "projects" / "-home-dev-repo").mkdir(parents=True)
    for i in range(30):
        (d / "projects" / "-home-dev-repo" / f"{i}.jsonl").write_bytes(b"t" * i)
    (d / ".credentials.json").write_bytes(b"{}")
    return d


def make_session(directory, **settings) -> SessionUnderTest:
    return SessionUnderTest(Settings(claude_config_dir=str(directory), **settings), environ={}, platform="linux")


@pytest.fixture
def walks(monkeypatch):
    """The thread each listing ran in; ``walks.fail`` makes the next listing raise it."""
    class Walks(list):
        fail: BaseException | None = None

    record = Walks()

    def listing(directory, platform=None):
        record.append(threading.current_thread().name)
        if record.fail is not None:
            raise record.fail
        return list_session_dir(directory, platform)

    monkeypatch.setattr(session_module, "list_session_dir", listing)
    return record


def test_started_listing_is_the_listing_made_on_demand(profile, walks):
    started = make_session(profile)
    started.start_listing()
    assert started.listing == make_session(profile).listing
    assert walks == ["fr-005-listing", "MainThread"]
    projects = {e.name: e for e in started.listing}["projects"]
    assert (projects.entries, projects.size) == (31, sum(range(30)))
    assert walks == ["fr-005-listing", "MainThread"]  # collected once, then cached


def test_a_failing_background_walk_gives_the_same_finding(profile, walks):
    walks.fail = PermissionError(13, "Permission denied")
    findings = []
    for start in (True, False):
        session = make_session(profile)
        if start:
            session.start_listing()
        with pytest.raises(FindingError) as raised:
            session.listing
        findings.append(raised.value.finding)
        with pytest.raises(FindingError):  # cached, as every part of the session is
            session.listing
    assert walks == ["fr-005-listing", "MainThread"]
    assert findings[0] == findings[1]
    assert findings[0].cause == f"The session directory {profile} cannot be listed (Permission denied)."
    assert findings[0].remedy == (f"give your user read access: chmod u+rx {profile}   "
                                  f"(every directory above it must be searchable too: ls -ld {profile})")


def test_a_bug_in_the_background_walk_surfaces_unchanged(profile, walks):
    walks.fail = Boom("a bug, not a finding")
    session = make_session(profile)
    session.start_listing()
    with pytest.raises(Boom, match="a bug, not a finding"):
        session.listing


def test_a_missing_directory_still_reports_the_directory_problem(tmp_path, walks):
    session = make_session(tmp_path / "absent")
    session.start_listing()
    with pytest.raises(FindingError) as raised:
        session.listing
    assert raised.value.finding == make_session(tmp_path / "absent").directory_problem()
    assert "does not exist" in raised.value.finding.cause


def test_undiscoverable_session_starts_nothing(tmp_path, walks):
    session = SessionUnderTest(Settings(), environ={}, platform="win32")  # no USERPROFILE: no session
    session.start_listing()
    with pytest.raises(FindingError):
        session.location
    assert walks == []


def test_fresh_login_lists_the_directory_after_the_login(profile, walks):
    session = make_session(profile, fresh_login=True)
    session.start_listing()
    assert walks == []  # the login rewrites the directory first
    (profile / "written-by-login.json").write_bytes(b"{}")
    assert "written-by-login.json" in [e.name for e in session.listing]
    assert walks == ["MainThread"]


@pytest.mark.parametrize("by_fd", [True, False], ids=["posix-descriptors", "paths-as-on-windows"])
def test_both_ways_of_reading_directories_count_the_same(profile, monkeypatch, by_fd):
    from claude_session_tokens.session import listing

    if by_fd and not listing.SCAN_BY_FD:
        pytest.skip("this platform cannot scandir() an open descriptor (Windows)")
    (profile / "projects" / "-home-dev-repo" / "sub").mkdir()
    (profile / "projects" / "-home-dev-repo" / "sub" / "deep.jsonl").write_bytes(b"d" * 100)
    monkeypatch.setattr(listing, "SCAN_BY_FD", by_fd)
    projects = {e.name: e for e in list_session_dir(profile, "linux")}["projects"]
    assert (projects.entries, projects.size, projects.unreadable) == (33, sum(range(30)) + 100, 0)
