"""Mask every secret in what the ``claude`` CLI says before any of it is shown or recorded.

One function, :func:`redact`, is used wherever the CLI's words are quoted (the test prompt's
"the CLI said", the ``--version`` line, the sub-commands of ``claude auth --help``). It works on
the raw bytes, before they are decoded, so a token with an invalid byte inside it cannot slip
past as two harmless-looking halves:

1. every fragment of a known secret: any run of :data:`FRAGMENT` (8) or more bytes that occurs
   in a secret the run knows (the session's access and refresh tokens, the values of the
   credential variables in the environment such as ``ANTHROPIC_API_KEY``, the user name and
   password of a proxy or base URL), found with a set of each secret's 8-byte windows and
   extended to the maximal run;
2. the user information of every URL (``https://user:pass@host`` becomes ``https://***@host``);
3. every token-shaped string (``sk-ant-oat01-...``, ``sk-ant-ort01-...``, ``sk-ant-api03-...``,
   ``sk-ant-admin01-...``; a non-ASCII or control byte inside does not end it), bearer tokens and
   ``Basic`` credentials (a ``Proxy-Authorization`` header's base64 user and password).

Rules 1 and 3 also match UTF-16 text (either byte order). A secret the CLI wrote split over
several writes is masked too: the output is collected whole first.

Then the bytes are decoded (invalid sequences replaced), unprintable characters turned into
``?``, and only then is the text shortened to :data:`SHOWN_CHARS`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from urllib.parse import unquote, urlsplit

from claude_session_tokens.core.masked import Masked

FRAGMENT = 8  # the shortest run of a known secret that is masked
SHOWN_CHARS = 300
MASK = b"***"

# A byte that may sit inside a token: the token alphabet, or anything that is not text (a
# non-ASCII or invalid byte, a control character other than the line and tab separators).
_TOKEN_BYTE = rb"[A-Za-z0-9_\-\x80-\xff\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"
_TOKEN_SHAPE = re.compile(rb"sk-ant-" + _TOKEN_BYTE + rb"*")
_BEARER = re.compile(rb"(?i)(bearer\s+)[\w.~+/=\-\x80-\xff]{16,}")
# the base64 user:password of an (Proxy-)Authorization header's Basic scheme
_BASIC = re.compile(rb"(?i)(authorization[\"']?\s*[:=]\s*[\"']?basic\s+)[A-Za-z0-9+/=]{4,}")
# The same in UTF-16 (either byte order): each character of the token alphabet with a NUL beside it.
_WIDE_TOKEN_SHAPE = re.compile(rb"\x00?s\x00k\x00-\x00a\x00n\x00t\x00-(?:\x00[A-Za-z0-9_\-])*\x00?")
_USERINFO = re.compile(rb"(?i)\b([a-z][a-z0-9+.\-]*://)[^\s/?#@\"'<>`]*(?:@[^\s/?#@\"'<>`]*)*@")

# Proxy and endpoint variables whose URLs may carry a user name and password.
URL_VARIABLES = ("ANTHROPIC_BASE_URL", "HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "https_proxy", "http_proxy",
                 "all_proxy", "NO_PROXY", "no_proxy", "ANTHROPIC_BEDROCK_BASE_URL", "ANTHROPIC_VERTEX_BASE_URL")
# Variables that hold a secret themselves (besides every variable child_env removes as a credential).
SECRET_VARIABLES = ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "CLAUDE_CODE_OAUTH_TOKEN",
                    "CLAUDE_CODE_OAUTH_REFRESH_TOKEN", "CLAUDE_CODE_CLIENT_KEY_PASSPHRASE")


def _as_bytes(value: object) -> bytes:  # str, bytes or their Masked; anything else as str()
    if isinstance(value, Masked):
        value = value.reveal()
    if isinstance(value, bytes):
        return value
    return str(value).encode("utf-8", "surrogatepass")


def url_secrets(url: str) -> list[str]:
    """The user name and password in ``url`` (also without a scheme: ``user:pw@proxy:3128``)."""
    text = url if "://" in url else "http://" + url
    try:
        parts = urlsplit(text)
        found = [parts.username, parts.password]
    except ValueError:
        found = []
    found = [unquote(v) for v in found if v] + [v for v in found if v]
    # an unparsable URL may still have "user:pass@": take what stands before the last @ of the authority
    authority = text.split("://", 1)[1].split("/", 1)[0]
    if "@" in authority:
        found += authority.rsplit("@", 1)[0].split(":", 1)
    return list(dict.fromkeys(v for v in found if v))


def environment_secrets(environ: Mapping[str, str]) -> list[Masked]:
    """The secrets of the run's environment: credential variables' values and URL passwords."""
    from claude_session_tokens.core.auth_variables import overrides_session

    values: list[str] = []
    for name, value in environ.items():
        if not value:
            continue
        if name.upper() in SECRET_VARIABLES or overrides_session(name):
            values.append(value)
        if name in URL_VARIABLES or name.upper() in URL_VARIABLES:
            for part in value.split(","):  # NO_PROXY is a list
                values += url_secrets(part.strip())
    return [Masked(v) for v in dict.fromkeys(values)]


class Redactor:
    """The known secrets, as sets of their 8-byte windows; :meth:`mask` applies all the rules."""

    def __init__(self, secrets: Iterable = ()) -> None:
        self.windows: set[bytes] = set()
        self.wide_windows: set[bytes] = set()  # the same in UTF-16-LE; scanned at every byte, so BE too
        for secret in secrets:
            value = _as_bytes(secret)
            for i in range(len(value) - FRAGMENT + 1):
                self.windows.add(value[i:i + FRAGMENT])
            wide = value.decode("utf-8", "surrogatepass").encode("utf-16-le", "surrogatepass") \
                if value.isascii() else b""
            for i in range(0, len(wide) - 2 * FRAGMENT + 1, 2):
                self.wide_windows.add(wide[i:i + 2 * FRAGMENT])

    def _fragments(self, data: bytes) -> bytes:
        data = self._runs(data, self.windows, FRAGMENT)
        if b"\x00" in data:  # UTF-16 text: a NUL beside every ASCII character
            data = self._runs(data, self.wide_windows, 2 * FRAGMENT)
        return data

    @staticmethod
    def _runs(data: bytes, windows: set[bytes], size: int) -> bytes:
        if not windows or len(data) < size:
            return data
        covered: list[tuple[int, int]] = []
        for i in range(len(data) - size + 1):
            if data[i:i + size] in windows:
                if covered and i <= covered[-1][1]:
                    covered[-1] = (covered[-1][0], i + size)
                else:
                    covered.append((i, i + size))
        if not covered:
            return data
        out = bytearray()
        last = 0
        for begin, end in covered:
            out += data[last:begin] + MASK
            last = end
        out += data[last:]
        return bytes(out)

    def mask(self, data: bytes) -> bytes:
        data = self._fragments(data)
        data = _USERINFO.sub(rb"\1***@", data)
        data = _TOKEN_SHAPE.sub(b"sk-ant-***", data)
        data = _WIDE_TOKEN_SHAPE.sub(b"sk-ant-***", data)
        data = _BASIC.sub(rb"\1***", data)
        return _BEARER.sub(rb"\1***", data)


def redact(data: bytes | str, secrets: Iterable = (), limit: int | None = SHOWN_CHARS) -> str:
    """``data`` (the CLI's raw bytes, or text) with every secret masked, as printable text of at
    most ``limit`` characters (None: no limit). ``secrets``: :class:`Masked`, str or bytes values."""
    masked = Redactor(secrets).mask(_as_bytes(data))
    text = masked.decode("utf-8", "replace")
    text = "".join(ch if ch.isprintable() or ch in "\n\t" else "?" for ch in text).strip()
    if limit is None or len(text) <= limit:
        return text
    return text[:limit] + "..."
