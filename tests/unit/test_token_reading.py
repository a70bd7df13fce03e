"""Reading a setup-token token (oauth_token.py): cleaning, joining, judging, and files that must not hang.

Every token here is a canary (helpers/profiles.py shapes), and no assertion message shows one.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

import pytest
from helpers.leaks import assert_no_leak
from helpers.profiles import CANARY_ACCESS, ProfileBuilder

from claude_session_tokens.core.findings import FindingError
from claude_session_tokens.core.masked import Masked, fingerprint
from claude_session_tokens.kinds.oauth_token import (
    READ_CAP,
    clean_text,
    extract,
    local_session_tokens,
    read_bounded,
    read_stdin,
    shape_problem,
    token_from,
)

# 108 characters, as a real setup-token token: prefix, a canary marker, token characters
SETUP_TOKEN = "sk-ant-oat01-CANARYsetupTOKEN-" + "AbCdEfGhIj0123456789_-" * 3 + "KlMnOpQrStUv"
CANARIES = (SETUP_TOKEN, CANARY_ACCESS)
EXPECTED = fingerprint(SETUP_TOKEN)


def judged(raw: bytes, width: int | None = None, session_tokens=()) -> str:
    """The fingerprint of the token read from ``raw`` (assertions compare fingerprints, never tokens)."""
    return fingerprint(token_from(Masked(raw), width, session_tokens).reveal())




def refusal(raw: bytes, session_tokens=()) -> str:
    with pytest.raises(FindingError) as err:
        judged(raw, session_tokens=session_tokens)
    text = err.value.finding.message()
    assert_no_leak(text, "the refusal", CANARIES)
    return text


@pytest.mark.parametrize("raw", [
    SETUP_TOKEN.encode(),
    SETUP_TOKEN.encode() + b"\n",                                  # a trailing newline
    SETUP_TOKEN.encode() + b"\r\n",                                # CRLF (Windows editors)
    b"  " + SETUP_TOKEN.encode() + b" \t\r\n\r\n",                 # surrounding whitespace
    SETUP_TOKEN[:60].encode() + b"\r\n" + SETUP_TOKEN[60:].encode() + b"\r\n",  # split over two lines
    SETUP_TOKEN[:40].encode() + b"\n" + SETUP_TOKEN[40:80].encode() + b"\n" + SETUP_TOKEN[80:].encode(),
    b"export CLAUDE_CODE_OAUTH_TOKEN=" + SETUP_TOKEN.encode() + b"\n",
    b"$env:CLAUDE_CODE_OAUTH_TOKEN='" + SETUP_TOKEN.encode() + b"'\r\n",
    b"\xef\xbb\xbf" + SETUP_TOKEN.encode() + b"\n",                # a BOM
    b"\x1b[38;5;220m" + SETUP_TOKEN.encode() + b"\x1b[39m\n",      # copied with its colour
], ids=["bare", "newline", "crlf", "spaces", "two-lines", "three-lines", "export", "powershell", "bom", "ansi"])
def test_the_token_is_found_exactly(raw):
    assert judged(raw) == EXPECTED


def test_a_saved_screen_of_the_real_cli_is_read_at_its_width():
    """As claude setup-token 2.1.332 draws it at 60 columns: words placed with CSI G, the token
    in colour, wrapped, CR CR LF line ends, an OSC 8 hyperlink, a box and the export hint."""
    first, rest = SETUP_TOKEN[:59], SETUP_TOKEN[59:]  # column 1 is blank: 59 characters fill 60 columns
    screen = (b"\x1b]8;id=1;https://claude.ai/oauth/authorize?x\x07\x1b[38;5;246mhttps://claude.ai/oauth/"
              b"authorize?x\x1b[39m\x1b]8;;\x07\r\r\n\x1b[2G\x1b[38;5;153m\xe2\x95\xad\xe2\x94\x80\xe2\x95\xae\r\r\n"
              b"\x1b[2GYour\x1b[7GOAuth\x1b[13Gtoken\x1b[19G(valid\x1b[26Gfor\x1b[30G1\x1b[32Gyear):\r\r\n\r\r\n"
              b"\x1b[2G\x1b[38;5;220m" + first.encode() + b"\x1b[39m\r\r\n"
              b"\x1b[2G\x1b[38;5;220m" + rest.encode() + b"\x1b[39m\r\r\n\r\r\n"
              b"\x1b[2G\x1b[38;5;246mStore\x1b[8Gthis\x1b[13Gtoken\r\r\n"
              b"\x1b[2G\x1b[38;5;246mCLAUDE_CODE_OAUTH_TOKEN=<token>\x1b[39m\r\r\n")
    assert " Your OAuth token (valid for 1 year):" in clean_text(screen)
    assert judged(screen, width=60) == EXPECTED


def test_a_short_line_after_the_token_is_not_joined_when_the_width_is_known():
    screen = (" " + SETUP_TOKEN + "\n Done\n").encode()
    assert judged(screen, width=200) == EXPECTED


def test_an_api_key_is_refused_with_the_difference_explained():
    text = refusal(b"sk-ant-api03-CANARY" + b"x" * 80 + b"\n")
    assert "API key" in text and "claude setup-token" in text


def test_an_admin_key_and_a_refresh_token_are_refused():
    assert "Admin API key" in refusal(b"sk-ant-admin01-CANARY" + b"x" * 80)
    assert "refresh token" in refusal(b"sk-ant-ort01-CANARY" + b"x" * 80)


def test_the_local_session_access_token_is_recognised(profile: ProfileBuilder):
    profile.create()  # its accessToken is CANARY_ACCESS, also sk-ant-oat01-
    long_access = CANARY_ACCESS + "0123456789" * 6  # long enough to pass the length judgement
    profile.create(accessToken=long_access)
    tokens = local_session_tokens([profile.dir])
    text = refusal(long_access.encode() + b"\n", session_tokens=tokens)
    assert "access token of the Claude session on this machine" in text and "8 hours" in text
    assert judged(SETUP_TOKEN.encode(), session_tokens=tokens) == EXPECTED  # another token passes


def test_credentials_json_is_recognised(profile: ProfileBuilder):
    profile.create()
    text = refusal(profile.credentials.read_bytes())
    assert "the token" in text.lower()  # refused (the accessToken inside is too short or a session's)


def test_an_empty_file_a_truncated_token_and_odd_characters_are_refused():
    assert "no text at all" in refusal(b"")
    assert "no text at all" in refusal(b" \r\n\n")
    assert "characters long" in refusal(SETUP_TOKEN[:70].encode())
    assert "no token" in refusal(b"hello world\n")
    assert "different token-shaped" in refusal((SETUP_TOKEN + " x sk-ant-oat01-" + "Q" * 95).encode())


def test_shape_rules():
    assert shape_problem(Masked(SETUP_TOKEN)) is None
    assert shape_problem(Masked(SETUP_TOKEN + "!")) is not None
    assert "expected sk-ant-oat01-" in shape_problem(Masked("sk-ant-sid01-" + "x" * 95)).cause


def test_extract_keeps_one_token_shown_twice():
    text = (SETUP_TOKEN + "\nexport CLAUDE_CODE_OAUTH_TOKEN=" + SETUP_TOKEN + "\n").encode()
    assert fingerprint(extract(text).reveal()) == EXPECTED


# --- files that must not hang or flood -----------------------------------------------------

def test_a_ten_megabyte_file_is_refused_without_being_read(tmp_path):
    big = tmp_path / "big"
    with open(big, "wb") as handle:
        handle.write(SETUP_TOKEN.encode() + b"\n" + b"x" * (10 * 1024 * 1024))
    with pytest.raises(FindingError) as err:
        read_bounded(big)
    assert f"larger than {READ_CAP} bytes" in err.value.finding.cause


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs exist on POSIX only")
def test_a_fifo_is_refused_at_once_not_read(tmp_path):
    fifo = tmp_path / "token"
    os.mkfifo(fifo)
    started = time.monotonic()
    with pytest.raises(FindingError) as err:
        read_bounded(fifo)
    assert time.monotonic() - started < 2
    assert "FIFO" in err.value.finding.cause and "--oauth-token-file -" in err.value.finding.remedy


def test_a_directory_and_a_missing_file_are_refused(tmp_path):
    with pytest.raises(FindingError) as err:
        read_bounded(tmp_path)
    assert "directory" in err.value.finding.cause
    with pytest.raises(FindingError) as err:
        read_bounded(tmp_path / "nope")
    assert "does not exist" in err.value.finding.cause


def test_stdin_may_be_a_pipe_and_is_bounded():
    read, write = os.pipe()
    os.write(write, SETUP_TOKEN.encode() + b"\n")
    os.close(write)
    assert fingerprint(read_stdin(read).reveal()) == fingerprint(SETUP_TOKEN.encode() + b"\n")
    os.close(read)
    read, write = os.pipe()
    writer = threading.Thread(target=lambda: (_write_all(write, b"x" * (READ_CAP * 3)), os.close(write)))
    writer.start()
    with pytest.raises(FindingError) as err:
        read_stdin(read)
    os.close(read)
    writer.join(timeout=5)
    assert "larger than" in err.value.finding.cause


def _write_all(fd: int, data: bytes) -> None:
    try:
        while data:
            data = data[os.write(fd, data):]
    except BrokenPipeError:
        pass


@pytest.mark.skipif(os.name == "nt", reason="pseudo-terminals are POSIX")
def test_a_terminal_on_stdin_is_refused():
    import pty

    master, slave = pty.openpty()
    try:
        with pytest.raises(FindingError) as err:
            read_stdin(slave)
        assert "echoed" in err.value.finding.why and "--setup-token" in err.value.finding.remedy
    finally:
        os.close(master)
        os.close(slave)


def test_secret_reprs_never_show_the_token():
    result = subprocess.run([sys.executable, "-c", (
        "from claude_session_tokens.kinds.oauth_token import token_from;"
        "from claude_session_tokens.core.masked import Masked;"
        f"t = token_from(Masked({SETUP_TOKEN.encode()!r})); print(repr(t), str(t), f'{{t}}')")],
        capture_output=True, text=True, timeout=60, env=dict(os.environ))
    assert result.returncode == 0, result.stderr[-500:]
    assert_no_leak(result.stdout + result.stderr, "a repr", CANARIES)
    assert "Masked(***)" in result.stdout
