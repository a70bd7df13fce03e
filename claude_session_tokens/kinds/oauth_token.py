"""A long-lived ``claude setup-token`` token: read it, clean it up, judge its shape.

``claude setup-token`` prints a one-year, inference-only OAuth token (``sk-ant-oat01-``, about
108 characters, no refresh token, never rotated); the CLI takes it from the environment
variable ``CLAUDE_CODE_OAUTH_TOKEN`` and nowhere else. People copy it out of a terminal, where
it wraps at the terminal's width, is drawn with ANSI escapes and box drawing, and picks up a
newline; a token with a newline in it corrupts the ``Authorization`` header. So the text is
cleaned before it is judged:

- ANSI CSI sequences (colours, cursor moves), OSC sequences (OSC 8 hyperlinks, titles) and
  other escapes are removed; box-drawing characters become spaces; CR LF and CR become LF;
- a token broken across lines is joined: after the line with ``sk-ant-``, the following lines
  that hold nothing but token characters are its continuation (with a known terminal width,
  only while the line before reached the right edge);
- an ``export CLAUDE_CODE_OAUTH_TOKEN=`` prefix and quotes around the token are allowed.

Then the shape is judged: prefix ``sk-ant-oat01-``, only ``[A-Za-z0-9_-]``, a plausible
length. An API key (``sk-ant-api03-``, ``sk-ant-admin01-``), a session's refresh token
(``sk-ant-ort01-``) and a session access token copied out of ``.credentials.json`` (same
prefix: recognised by comparing digests with the local credentials file) are refused, each
with the difference explained.

Files are read without ever blocking: opened with ``O_NONBLOCK`` and judged by ``fstat``, so a
FIFO, a device or a directory is refused instead of read; at most :data:`READ_CAP` bytes are
read. Standard input (``-``) may be a pipe, read up to the same cap; a terminal on standard
input is refused (what is pasted there is echoed on the screen).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from claude_session_tokens.core.findings import Finding, FindingError, os_reason
from claude_session_tokens.core.masked import Masked
from claude_session_tokens.session.files import ReadRefused, read_regular

ENV_VAR = "CLAUDE_CODE_OAUTH_TOKEN"
PREFIX = "sk-ant-oat01-"
MIN_LENGTH = 90
MAX_LENGTH = 140
READ_CAP = 64 * 1024  # bytes; a token file holds ~110 bytes, a saved screen a few KB
STDIN = "-"
SETUP_AGAIN = "claude setup-token"

_BOX = re.compile(r"[\u2500-\u259f\u25a0-\u25ff\u2800-\u28ff]")  # box drawing, blocks, shapes, braille spinners
_SPACES = re.compile(r"[\t\u00a0\u2000-\u200b\u202f\u205f\u3000\ufeff]")
_TOKEN_CHARS = re.compile(r"[A-Za-z0-9_-]+")
_ANY_TOKEN = re.compile(r"sk-ant-[A-Za-z0-9_-]*")
_KIND = re.compile(r"^sk-ant-([a-z]+)(\d{2})-")

API_KEY_KINDS = {"api": "an Anthropic API key (Console, billed per request)",
                 "admin": "an Anthropic Admin API key (Console organisation administration)"}


@dataclass(frozen=True)
class TokenInput:
    """Where a token came from, for reports: never the token."""

    origin: str  # "file <path>", "standard input", "claude setup-token"
    path: Path | None = None


_ESCAPE = re.compile(r"\x1b\[([0-?]*)[ -/]*([@-~])|\x9b([0-?]*)[ -/]*([@-~])"
                     r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x9d[^\x07\x1b]*(?:\x07|\x1b\\)"
                     r"|\x1b[PX^_][^\x1b]*\x1b\\|\x1b[ -/]*[0-~]|[\r\n]")


def _count(params: str) -> int:
    try:
        return max(1, int(params.split(";")[0] or 1))
    except ValueError:
        return 1


def clean_text(raw: bytes | str) -> str:
    """``raw`` as plain lines, as a terminal would show them, line by line.

    A small line model of a terminal: text overwrites from the cursor's column; CR returns to
    column 0; LF starts a new line; CSI ``G`` (column) and ``C`` (forward) move the cursor, as the
    CLI's screen does between words; CSI ``K`` erases to the end of the line; other cursor moves
    start a new line (a redrawn frame follows the earlier one); colours, OSC (hyperlinks) and
    other escapes are dropped; box drawing becomes spaces.
    """
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    lines: list[str] = []
    line: list[str] = []
    col = 0

    def put(chars: str) -> None:
        nonlocal col
        for ch in chars:
            if col < len(line):
                line[col] = ch
            else:
                line.extend(" " * (col - len(line)))
                line.append(ch)
            col += 1

    def newline() -> None:
        nonlocal line, col
        lines.append("".join(line))
        line, col = [], 0

    position = 0
    for match in _ESCAPE.finditer(text):
        put(_visible(text[position:match.start()]))
        position = match.end()
        token = match.group(0)
        if token == "\n":
            newline()
        elif token == "\r":
            col = 0
        elif match.group(2) or match.group(4):
            params, final = (match.group(1), match.group(2)) if match.group(2) else (match.group(3), match.group(4))
            if final == "G":
                col = _count(params) - 1
            elif final == "C":
                col += _count(params)
            elif final == "K":
                del line[col:]
            elif final in "ABEFHJSTf":
                newline()
    put(_visible(text[position:]))
    newline()
    return "\n".join(lines)


def _visible(text: str) -> str:
    text = _BOX.sub(" ", text.replace("\x1b", ""))
    text = _SPACES.sub(" ", text)
    return "".join(ch for ch in text if ch.isprintable())


def _strip_assignment(line: str) -> str:
    """``export CLAUDE_CODE_OAUTH_TOKEN="..."`` / ``$env:CLAUDE_CODE_OAUTH_TOKEN='...'`` -> the value."""
    match = re.search(ENV_VAR + r"\s*=\s*", line)
    if match:
        line = line[:match.start()] + " " + line[match.end():]
    return line.replace('"', " ").replace("'", " ")


def candidates(raw: bytes | str, width: int | None = None) -> list[str]:
    """Every token-shaped string in ``raw``, each joined across line breaks, in order of appearance."""
    lines = [_strip_assignment(line) for line in clean_text(raw).split("\n")]
    found: list[str] = []
    for index, line in enumerate(lines):
        for match in _ANY_TOKEN.finditer(line):
            token = match.group(0)
            at_end = line[match.end():].strip() == ""
            previous = line
            following = index + 1
            while at_end and following < len(lines) and len(token) < MAX_LENGTH:
                if width is not None and len(previous.rstrip()) < width - 4:
                    break  # the line before ended short of the edge: not a wrap
                piece = lines[following].strip()
                if not piece or not _TOKEN_CHARS.fullmatch(piece):
                    break
                token += piece
                previous = lines[following]
                following += 1
            found.append(token)
    return found


def extract(raw: bytes | str, width: int | None = None) -> Masked[str]:
    """The one token in ``raw``; raises :class:`FindingError` when there is none, or several."""
    text_is_empty = not clean_text(raw).strip()
    if text_is_empty:
        raise FindingError(_finding("holds no text at all (it is empty, or only whitespace)",
                                    "there is no token to put into the Secret."))
    whole = clean_text(raw)
    joined = re.sub(r"\s+", "", _strip_assignment(whole.replace("\n", " ")))
    # a file of only the token, however it was broken
    if width is None and joined.count("sk-ant-") == 1 and _ANY_TOKEN.fullmatch(joined):
        return Masked(joined)
    found = list(dict.fromkeys(candidates(raw, width)))
    if not found:
        if _looks_like_credentials_json(whole):
            raise FindingError(_finding(
                "is a Claude session's .credentials.json, not a setup-token token",
                "the session files carry a refresh token that rotates; this mode ships one long-lived token.",
                remedy=f"run {SETUP_AGAIN} and give its token instead; or render the session files: "
                       "python render_secret.py   (without --oauth-token-file)"))
        raise FindingError(_finding("holds no token (nothing starting with sk-ant-)",
                                    "there is no token to put into the Secret."))
    oauth = [t for t in found if t.startswith(PREFIX)]
    if len(found) > 1 and len(set(oauth)) != 1:
        raise FindingError(_finding(f"holds {len(found)} different token-shaped strings",
                                    "the suite cannot tell which one is meant, and will not guess.",
                                    remedy="keep only the token printed by 'claude setup-token' in the file"))
    return Masked(oauth[0] if oauth else found[0])


def _looks_like_credentials_json(text: str) -> bool:
    try:
        data = json.loads(text)
    except ValueError:
        return False
    return isinstance(data, dict) and "claudeAiOauth" in data


def _finding(what: str, why: str, remedy: str | None = None) -> Finding:
    return Finding(cause=f"The token input {what}.", why=why,
                   remedy=remedy or f"run {SETUP_AGAIN}, then give the suite its token: "
                                    "python render_secret.py --setup-token   (it captures the token itself), or "
                                    "save it to a file and pass --oauth-token-file FILE")


def shape_problem(token: Masked[str]) -> Finding | None:
    """Why ``token`` is not a setup-token token, or None. Never shows the token."""
    value = token.reveal()
    kind = _KIND.match(value)
    label = f"{kind.group(1)}{kind.group(2)}" if kind else None
    if kind and kind.group(1) in API_KEY_KINDS:
        return Finding(
            cause=f"The token is {API_KEY_KINDS[kind.group(1)]} (sk-ant-{label}-...), not a setup-token token.",
            why="an API key is not a Claude Max sign-in: the CLI would bill the Console account per request, "
                "and as CLAUDE_CODE_OAUTH_TOKEN it is rejected (the variable must hold an OAuth token, "
                f"{PREFIX}...).",
            remedy=f"run {SETUP_AGAIN} (signed in to your Claude Max account) and give its token; "
                   "keep API keys out of the agent's Secret")
    if kind and kind.group(1) == "ort":
        return Finding(
            cause=f"The token is a session's refresh token (sk-ant-{label}-...), not a setup-token token.",
            why="a refresh token is single-use and only works with the rest of the session files; as "
                "CLAUDE_CODE_OAUTH_TOKEN the CLI cannot use it.",
            remedy=f"run {SETUP_AGAIN} and give its token; or render the session files: python render_secret.py")
    if not value.startswith(PREFIX):
        shown = f"sk-ant-{label}-..." if kind else "something that does not start with sk-ant-"
        return Finding(
            cause=f"The token does not have the shape of a setup-token token: it is {shown}, "
                  f"expected {PREFIX}...",
            why="the CLI sends CLAUDE_CODE_OAUTH_TOKEN as an OAuth bearer token; anything else is rejected.",
            remedy=f"run {SETUP_AGAIN} and give exactly the token it prints")
    if not _TOKEN_CHARS.fullmatch(value):
        return Finding(
            cause="The token holds characters a token never has (only letters, digits, '-' and '_' are allowed).",
            why="the CLI puts the variable into the Authorization header as it is: such a header is corrupt "
                "and every request fails.",
            remedy=f"run {SETUP_AGAIN} again and let the suite capture it: python render_secret.py --setup-token")
    if not MIN_LENGTH <= len(value) <= MAX_LENGTH:
        return Finding(
            cause=f"The token is {len(value)} characters long; a setup-token token has about 108 "
                  f"(accepted: {MIN_LENGTH}-{MAX_LENGTH}).",
            why="a token copied from a terminal where it wrapped often loses or gains a piece of a line; "
                "a truncated token is rejected by the API.",
            remedy="let the suite capture it instead of copying it: python render_secret.py --setup-token")
    return None


def session_access_token_problem(token: Masked[str], session_tokens: Iterable[Masked]) -> Finding | None:
    """A Finding when ``token`` is the access token of a local session (compared by digest)."""
    digest = hashlib.sha256(token.reveal().encode()).digest()
    for other in session_tokens:
        value = other.reveal()
        value = value.encode() if isinstance(value, str) else value
        if hmac.compare_digest(hashlib.sha256(value).digest(), digest):
            return Finding(
                cause="The token is the access token of the Claude session on this machine (the accessToken of "
                      ".credentials.json), not a setup-token token; both start with sk-ant-oat01-.",
                why="a session access token expires after about 8 hours and is renewed only by the session's "
                    "refresh token, which does not travel with it: the pod would be signed out within hours. "
                    "A setup-token token lasts about a year and needs no refresh.",
                remedy=f"run {SETUP_AGAIN} and give its token: python render_secret.py --setup-token")
    return None


def local_session_tokens(config_dirs: Iterable[Path]) -> list[Masked[str]]:
    """Access tokens of the credentials files in ``config_dirs`` (missing or odd files: none)."""
    found: list[Masked[str]] = []
    for directory in config_dirs:
        try:
            raw = read_bounded(directory / ".credentials.json", READ_CAP)
        except (OSError, FindingError):
            continue
        try:
            data = json.loads(raw.reveal())
            access = data["claudeAiOauth"]["accessToken"]
        except (ValueError, KeyError, TypeError):
            continue
        if isinstance(access, str) and access:
            found.append(Masked(access))
    return found


# --- reading --------------------------------------------------------------------------------

def _too_large(where: str) -> Finding:
    return Finding(cause=f"The token input ({where}) is larger than {READ_CAP} bytes.",
                   why="a setup-token token is about 108 characters; this is something else, and reading it all "
                       "into memory would prove nothing.",
                   remedy=f"put only the token into the file (run {SETUP_AGAIN} to get one), or let the suite "
                          "capture it: python render_secret.py --setup-token")


def read_bounded(path: Path, cap: int = READ_CAP) -> Masked[bytes]:
    """At most ``cap`` bytes of the regular file ``path``; never blocks on a FIFO or device
    (:func:`~claude_session_tokens.session.files.read_regular`)."""
    try:
        return read_regular(path, cap)
    except ReadRefused as refused:
        raise FindingError(_refused_finding(path, refused)) from None


def _refused_finding(path: Path, refused: ReadRefused) -> Finding:
    """What the user is told when the token file could not be read."""
    error = refused.error
    if refused.opening and isinstance(error, FileNotFoundError):
        return Finding(
            cause=f"The token file {path} does not exist.", why="there is no token to put into the Secret.",
            remedy=f"run {SETUP_AGAIN} and save its token there, or let the suite capture it: "
                   "python render_secret.py --setup-token")
    if refused.opening and isinstance(error, IsADirectoryError):
        return _not_regular(path, "a directory")
    if error is not None:
        return Finding(
            cause=f"The token file {path} cannot be {'opened' if refused.opening else 'read'} ({os_reason(error)}).",
            why="the suite must read the token to verify it.",
            remedy=f'give your user read access: chmod u+r "{path}"'
                   + ("   (or pass another --oauth-token-file)" if refused.opening else ""))
    mode = refused.mode
    if mode is not None:
        return _not_regular(path, "a FIFO (named pipe)" if stat.S_ISFIFO(mode) else
                            "a directory" if stat.S_ISDIR(mode) else
                            "a socket" if stat.S_ISSOCK(mode) else "a device or other special file")
    return _too_large(str(path))


def _not_regular(path: Path, kind: str) -> Finding:
    return Finding(cause=f"The token file {path} is {kind}, not a regular file.",
                   why="reading it could block forever or read something other than a token; it was not read.",
                   remedy="pass it on standard input instead: "
                          f'python render_secret.py --oauth-token-file - < "{path}"   '
                          f"(or save the token from {SETUP_AGAIN} into a regular file)")


def _read_all(fd: int, cap: int) -> bytes | None:
    """Read ``fd`` to its end, at most ``cap`` bytes (None when there is more)."""
    chunks = bytearray()
    while True:
        chunk = os.read(fd, min(65536, cap + 1 - len(chunks)))
        if not chunk:
            return bytes(chunks)
        chunks += chunk
        if len(chunks) > cap:
            return None


def read_stdin(stream: BinaryIO | int, cap: int = READ_CAP) -> Masked[bytes]:
    """The token on standard input (a pipe or a redirected file), at most ``cap`` bytes."""
    fd = stream if isinstance(stream, int) else stream.fileno()
    try:
        if os.isatty(fd):
            raise FindingError(Finding(
                cause="--oauth-token-file - reads the token from standard input, and standard input is your terminal.",
                why="a token pasted into a terminal is echoed on the screen (and may end up in its scrollback).",
                remedy="let the suite capture it without showing it: python render_secret.py --setup-token   "
                       "or pass the file itself: python render_secret.py --oauth-token-file FILE"))
        data = _read_all(fd, cap)
    except OSError as exc:
        raise FindingError(Finding(
            cause=f"Standard input cannot be read ({os_reason(exc)}).",
            why="--oauth-token-file - reads the token from there.",
            remedy="pass the file itself: python render_secret.py --oauth-token-file FILE")) from None
    if data is None:
        raise FindingError(_too_large("standard input"))
    return Masked(data)


def token_from(raw: Masked[bytes], width: int | None = None,
               session_tokens: Iterable[Masked] = ()) -> Masked[str]:
    """Clean ``raw``, pick the token and judge it; raises :class:`FindingError`."""
    token = extract(raw.reveal(), width)
    problem = session_access_token_problem(token, session_tokens) or shape_problem(token)
    if problem:
        raise FindingError(problem)
    return token


def token_bytes(token: Masked[str]) -> Masked[bytes]:
    """Exactly the token's bytes: what the Secret's one key holds (no newline)."""
    return Masked(token.reveal().encode("ascii"))
