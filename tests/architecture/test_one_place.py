"""Logic that used to be written several times now lives in one place, with one wording.

Each test fails when a second copy comes back or the shared piece loses a case: the words shown
for an OS error, the signs of a dead login (judged by the credentials and the lifetime checks),
the walk up to an existing path, the Windows permission fix, the process-group signal and the
non-blocking bounded read.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers.profiles import now_ms, oauth_entry

import claude_session_tokens.core.platforms as platforms
from claude_session_tokens.claude import processes
from claude_session_tokens.core.atomic import create_parents, nearest_existing
from claude_session_tokens.core.findings import FindingError, os_reason
from claude_session_tokens.core.masked import Masked
from claude_session_tokens.core.remedy import icacls_grant
from claude_session_tokens.k8s.git_safety import existing_ancestor
from claude_session_tokens.k8s.render import write_remedy
from claude_session_tokens.kinds import oauth_token
from claude_session_tokens.session import files
from claude_session_tokens.session.credentials import parse_credentials, session_problems
from claude_session_tokens.session.lifetime import assess

PACKAGE = Path(__file__).resolve().parents[2] / "claude_session_tokens"


def package_files_containing(pattern: str) -> set[str]:
    found = set()
    for path in PACKAGE.rglob("*.py"):
        if re.search(pattern, path.read_text(encoding="utf-8")):
            found.add(path.relative_to(PACKAGE).as_posix())
    return found


# --- the words for an OS error -----------------------------------------------------------------

def test_os_reason_is_the_message_else_the_type():
    assert os_reason(PermissionError(13, "Permission denied")) == "Permission denied"
    assert os_reason(OSError("no errno")) == "OSError"
    assert os_reason(ValueError("embedded null byte")) == "ValueError"  # CONIN$ can raise it


def test_no_inline_copy_of_the_os_error_reason_is_left():
    assert package_files_containing(r"strerror or type\(") == set()
    assert package_files_containing(r"def _(reason|why)\(exc") == set()


# --- the signs of a dead login -----------------------------------------------------------------

def _session(**overrides):
    return parse_credentials(Masked(json.dumps({"claudeAiOauth": oauth_entry(**overrides)}).encode()))


@pytest.mark.parametrize("overrides, words", [
    ({"refreshToken": ""}, "refreshToken is empty"),
    ({"expiresAt": 0}, "expiresAt is 0"),
    ({"scopes": ["user:profile"]}, 'scopes lack "user:inference"'),
])
def test_the_credentials_and_the_lifetime_check_name_a_dead_login_in_one_sentence(overrides, words):
    session = _session(**overrides)
    from_credentials = [p for p in session_problems(session, "max") if words in p]
    from_lifetime = [p for p in assess(session, now_ms(), 24).problems if words in p]
    assert len(from_credentials) == 1
    assert from_credentials == from_lifetime


def test_the_empty_refresh_token_sentence_holds_both_wordings():
    [sentence] = [p for p in session_problems(_session(refreshToken=""), "max") if "refresh" in p.lower()]
    assert sentence.startswith("refreshToken is empty: the CLI wipes it when a login has died")
    assert "the refresh token is empty" in sentence


# --- the walk up to an existing path -------------------------------------------------------------

def test_nearest_existing_stops_at_a_file_or_a_directory(tmp_path):
    (tmp_path / "a-file").write_text("x")
    assert nearest_existing(tmp_path / "missing" / "deeper") == tmp_path
    assert nearest_existing(tmp_path / "a-file" / "below") == tmp_path / "a-file"
    assert nearest_existing(tmp_path) == tmp_path
    assert existing_ancestor(tmp_path / "a-file" / "below") == tmp_path  # git is asked in a directory


def test_create_parents_creates_exactly_the_missing_ones(tmp_path):
    target = tmp_path / "one" / "two" / "three"
    create_parents(target, 0o700)
    assert target.is_dir()
    if os.name != "nt":
        assert {(p / "").stat().st_mode & 0o777 for p in (tmp_path / "one", tmp_path / "one" / "two", target)} == {0o700}
    create_parents(target, 0o700)  # all there: nothing to do, no error


def test_write_remedy_names_the_file_in_the_way(tmp_path):
    (tmp_path / "a-file").write_text("x")
    remedy = write_remedy(tmp_path / "a-file" / "sub" / "secret.yaml", FileNotFoundError(2, "No such file"))
    assert remedy.startswith(f"{tmp_path / 'a-file'} is a file, not a directory")


# --- the Windows permission fix ------------------------------------------------------------------

def test_icacls_is_spelled_once(monkeypatch, tmp_path):
    assert icacls_grant(Path("C:/x y"), "R") == 'icacls "C:/x y" /grant "${env:USERNAME}:R"'
    monkeypatch.setattr(platforms, "current_platform", lambda: "win32")
    assert files.grant_access_command(tmp_path, directory=True) == icacls_grant(tmp_path, "RX") + "   (in PowerShell)"
    monkeypatch.setattr("claude_session_tokens.k8s.render.is_windows", lambda: True)
    remedy = write_remedy(tmp_path / "secret.yaml", PermissionError(13, "Permission denied"))
    assert remedy.startswith(icacls_grant(tmp_path, "(OI)(CI)M") + "   (in PowerShell")
    assert package_files_containing(r"icacls \"") == {"core/remedy.py"}


# --- the process-group signal --------------------------------------------------------------------

def test_only_processes_py_signals_a_process_group():
    assert package_files_containing(r"os\.killpg\(") == {"claude/processes.py"}
    source = (PACKAGE / "claude" / "processes.py").read_text(encoding="utf-8")
    assert source.count("os.killpg(") == 1


@pytest.mark.skipif(not hasattr(os, "killpg"), reason="POSIX process groups only")
def test_signal_group_reaches_a_helper_in_the_group_and_never_raises():
    proc = subprocess.Popen([sys.executable, "-c", "import subprocess, sys, time; "
                             "h = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']); "
                             "print(h.pid, flush=True); time.sleep(60)"],
                            stdout=subprocess.PIPE, start_new_session=True)
    try:
        helper = int(proc.stdout.readline())
        processes.signal_group(proc, signal.SIGKILL)
        assert proc.wait(timeout=10) == -signal.SIGKILL
        for _ in range(200):  # killed: a zombie until init reaps it, then gone
            try:
                with open(f"/proc/{helper}/stat", "rb") as stat:
                    if stat.read().rsplit(b")", 1)[-1].split()[0] in (b"Z", b"X"):
                        break
            except FileNotFoundError:
                break
            time.sleep(0.05)
        else:
            pytest.fail("the helper in the group survived the group's SIGKILL")
        processes.signal_group(proc, signal.SIGKILL)  # the group is gone: no error
    finally:
        proc.kill()
        proc.wait()
        proc.stdout.close()


# --- the bounded, non-blocking read ----------------------------------------------------------------

@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX")
def test_the_session_files_and_the_token_file_refuse_a_fifo_through_one_reader(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(files.ReadRefused) as refused:
        files.read_regular(fifo, 1024)  # would block forever if it were opened for reading blocking
    assert refused.value.mode is not None and refused.value.error is None
    with pytest.raises(FindingError) as token_err:
        oauth_token.read_bounded(fifo)
    assert "a FIFO (named pipe), not a regular file" in token_err.value.finding.cause
    with pytest.raises(FindingError) as session_err:
        files.read_bounded(fifo, "credentials file", "claude auth login")
    assert "special file" in session_err.value.finding.cause


def test_the_reader_stops_at_the_limit(tmp_path):
    big = tmp_path / "big"
    big.write_bytes(b"x" * 2048)
    with pytest.raises(files.ReadRefused) as refused:
        files.read_regular(big, 1024)
    assert refused.value.size == 2048
    assert files.read_regular(big, 4096).reveal() == b"x" * 2048
    with pytest.raises(files.ReadRefused) as missing:
        files.read_regular(tmp_path / "missing", 1024)
    assert missing.value.opening and isinstance(missing.value.error, FileNotFoundError)
    with pytest.raises(FindingError) as token_err:
        oauth_token.read_bounded(tmp_path / "missing")
    assert token_err.value.finding.cause == f"The token file {tmp_path / 'missing'} does not exist."
