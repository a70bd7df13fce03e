"""Looking at a session file without trusting it: every state has a kind and an explanation."""

from __future__ import annotations

import os

import pytest
from helpers.profiles import CANARY_ACCESS, CANARY_MARKER

from claude_session_tokens.core.findings import FindingError
from claude_session_tokens.session.files import (
    READ_LIMIT,
    inspect_file,
    read_secret_file,
)
from claude_session_tokens.session.sources import (
    LOGIN_REMEDY,
    FileCredentialSource,
    first_problem,
)

posix_only = pytest.mark.skipif(os.name == "nt", reason="symlinks and FIFOs as POSIX has them")


def test_regular_file(tmp_path):
    path = tmp_path / "f"
    path.write_bytes(b"abc")
    state = inspect_file(path)
    assert (state.exists, state.kind, state.size, state.is_symlink) == (True, "file", 3, False)
    assert read_secret_file(path, "file", "fix").reveal() == b"abc"


def test_missing_and_missing_parent(tmp_path):
    assert inspect_file(tmp_path / "absent").kind == "missing"
    (tmp_path / "plain").write_text("")
    assert inspect_file(tmp_path / "plain" / "child").kind == "missing"  # a file where a dir should be


@posix_only
def test_symlink_states(tmp_path):
    (tmp_path / "real").write_bytes(b"x")
    (tmp_path / "link").symlink_to(tmp_path / "real")
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    assert (inspect_file(tmp_path / "link").kind, inspect_file(tmp_path / "link").is_symlink) == ("file", True)
    assert inspect_file(tmp_path / "dangling").kind == "broken symlink"
    loop = inspect_file(tmp_path / "loop")
    assert loop.kind == "unreachable" and "symbolic links" in loop.reason
    with pytest.raises(FindingError) as info:
        read_secret_file(tmp_path / "loop", "credentials file", LOGIN_REMEDY)
    assert "cannot be looked at by the current user" in info.value.finding.cause
    assert info.value.finding.remedy.startswith(f"repair the symlink {tmp_path / 'loop'}")


@posix_only
def test_fifo_is_refused_without_opening_it(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    assert inspect_file(fifo).kind == "other"
    with pytest.raises(FindingError) as info:  # opening a FIFO would block for ever
        read_secret_file(fifo, "credentials file", LOGIN_REMEDY)
    assert "is a special file (a FIFO, socket or device), not a regular file." in info.value.finding.cause


def test_directory_is_refused(tmp_path):
    with pytest.raises(FindingError) as info:
        read_secret_file(tmp_path, "credentials file", LOGIN_REMEDY)
    assert f"The credentials file at {tmp_path} is a directory, not a regular file." == info.value.finding.cause


def test_larger_than_a_secret_is_refused(tmp_path):
    big = tmp_path / "big"
    big.write_bytes(CANARY_ACCESS.encode() * (READ_LIMIT // len(CANARY_ACCESS) + 1))
    with pytest.raises(FindingError) as info:
        read_secret_file(big, "credentials file", LOGIN_REMEDY)
    assert "is larger than 1048576 bytes (1 MiB)" in info.value.finding.cause
    assert CANARY_MARKER not in info.value.finding.message()


def test_exactly_the_limit_is_read(tmp_path):
    path = tmp_path / "limit"
    path.write_bytes(b"x" * READ_LIMIT)
    assert len(read_secret_file(path, "file", "fix")) == READ_LIMIT


def test_file_source_problems_in_order(tmp_path):
    source = FileCredentialSource(tmp_path / ".credentials.json")
    assert "is missing" in first_problem(source).cause
    source.path.write_bytes(b"")
    assert source.presence_problem() is None and source.shape_problem() is None
    assert "is empty (0 bytes)" in first_problem(source).cause
    source.path.write_bytes(b"{}")
    assert first_problem(source) is None
    assert source.read().reveal() == b"{}"
