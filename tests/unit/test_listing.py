"""FR-005's listing: names, kinds, sizes, modes; sub-directories summarised; never contents."""

from __future__ import annotations

import os

import pytest

from claude_session_tokens.session.listing import (
    display_name,
    format_listing,
    human_size,
    list_session_dir,
)

posix_only = pytest.mark.skipif(os.name == "nt", reason="symlinks, FIFOs and modes as POSIX has them")


@pytest.fixture
def tree(tmp_path):
    d = tmp_path / ".claude"
    d.mkdir()
    (d / ".credentials.json").write_bytes(b"x" * 300)
    os.chmod(d / ".credentials.json", 0o600)
    projects = d / "projects" / "-home-dev-repo"
    projects.mkdir(parents=True)
    for i in range(5):
        (projects / f"{i}.jsonl").write_bytes(b"y" * 10)
    (d / "projects" / "notes.txt").write_bytes(b"z" * 7)
    return d


def test_top_level_entries_and_directory_summaries(tree):
    entries = {e.name: e for e in list_session_dir(tree, "linux")}
    assert [e.name for e in list_session_dir(tree, "linux")] == sorted(entries)
    creds = entries[".credentials.json"]
    assert (creds.kind, creds.size, creds.mode, creds.entries) == ("file", 300, "0600", None)
    projects = entries["projects"]
    assert (projects.kind, projects.entries, projects.size) == ("dir", 7, 57)  # 1 dir + 6 files, 5*10+7 bytes
    assert "7 entries, 57 B" in projects.line()


@posix_only
def test_symlinks_are_described_not_followed_into(tree, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    for i in range(50):
        (outside / f"{i}").write_bytes(b"q")
    (tree / "linked-file").symlink_to(tree / ".credentials.json")
    (tree / "linked-dir").symlink_to(outside)
    (tree / "dangling").symlink_to(tree / "nowhere")
    (tree / "projects" / "loop").symlink_to(tree)  # inside a dir: counted, never followed
    os.mkfifo(tree / "fifo")
    entries = {e.name: e for e in list_session_dir(tree, "linux")}
    assert (entries["linked-file"].kind, entries["linked-file"].size, entries["linked-file"].mode) \
        == ("symlink -> file", 300, "0600")
    assert (entries["linked-dir"].kind, entries["linked-dir"].entries) == ("symlink -> dir", 50)
    assert entries["dangling"].kind == "broken symlink"
    assert entries["fifo"].kind == "other"
    assert entries["projects"].entries == 8


def test_windows_shows_no_posix_modes(tree):
    assert {e.mode for e in list_session_dir(tree, "win32")} == {"-"}


def test_contents_are_never_read(tree):
    (tree / "secret.txt").write_text("CANARY-content")
    lines = format_listing(tree, list_session_dir(tree, "linux"))
    assert "CANARY" not in "\n".join(lines)


@pytest.mark.skipif(os.name == "nt" or os.uname().sysname == "Darwin",
                    reason="Linux file systems take any bytes as a name")
def test_odd_names_are_printable_and_encodable(tmp_path):
    (tmp_path / os.fsdecode(b"bad-\xff-name")).write_bytes(b"")
    (tmp_path / "two\nlines").write_bytes(b"")
    names = [e.name for e in list_session_dir(tmp_path, "linux")]
    assert names == ["bad-\\xff-name", "two\\nlines"]
    for line in format_listing(tmp_path, list_session_dir(tmp_path, "linux")):
        line.encode("utf-8")  # would raise on a lone surrogate
        assert "\n" not in line


@pytest.mark.parametrize("name, shown", [
    ("plain.json", "plain.json"), ("héllo ✓", "héllo ✓"), ("tab\there", "tab\\there"), ("bell\a", "bell\\x07"),
])
def test_display_name(name, shown):
    assert display_name(name) == shown


@pytest.mark.parametrize("size, text", [
    (0, "0 B"), (1023, "1023 B"), (1024, "1.0 KiB"), (6_400_000, "6.1 MiB"), (5 * 1024**4, "5120.0 GiB"),
])
def test_human_size(size, text):
    assert human_size(size) == text


def test_format_listing_has_a_header_and_a_line_per_entry(tree):
    entries = list_session_dir(tree, "linux")
    lines = format_listing(tree, entries)
    assert lines[0] == f"{tree}  ({len(entries)} entries)"
    assert lines[1].split() == ["mode", "kind", "size", "name"]
    assert len(lines) == 2 + len(entries)


def test_a_missing_directory_raises_oserror_for_the_caller(tmp_path):
    with pytest.raises(OSError):
        list_session_dir(tmp_path / "absent", "linux")
