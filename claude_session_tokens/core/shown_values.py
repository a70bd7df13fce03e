"""Show a value taken from a session file only when it is provably harmless: no token
ever leaks, not in a message, a report or a traceback.

A hand-edited or corrupted ``.credentials.json`` can hold a token anywhere: pasted into
``subscriptionType``, into ``scopes``, or as a key (``{"sk-ant-oat01-...": ...}``). So no
message quotes file content as such. :func:`shown` quotes a value only when it is a short,
plain name (lower-case words such as ``max`` or ``user:inference``) or one of the field names
the Claude CLI itself writes (``mcpOAuth``, ``accessToken``, ...); anything else is described by
its JSON type and length: ``a 24-character string``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

# A plain name: lower case, at most 32 characters; each part between separators at most 16
# characters and at most 4 digits in all (a random lower-case hex or base32 secret has neither).
_PLAIN = re.compile(r"[a-z][a-z0-9_:.-]{0,31}")
_PART_LIMIT = 16
_DIGIT_LIMIT = 4
# Names the Claude CLI writes into its session files (docs/claude-cli-facts.md): safe to name.
KNOWN_NAMES = frozenset({
    "claudeAiOauth", "accessToken", "refreshToken", "expiresAt", "scopes", "subscriptionType",
    "rateLimitTier", "refreshTokenExpiresAt", "subscriptionTypeSource", "accountUuid",
    "organizationUuid", "mcpOAuth", "pluginSecrets",
})


def is_harmless(value: object) -> bool:
    """True when ``value`` is a string that cannot be a secret: a plain name or a known field name."""
    if not isinstance(value, str):
        return False
    if value in KNOWN_NAMES:
        return True
    if not _PLAIN.fullmatch(value) or value.startswith("sk-ant"):
        return False
    parts = re.split(r"[_:.-]", value)
    return max(map(len, parts)) <= _PART_LIMIT and sum(ch.isdigit() for ch in value) <= _DIGIT_LIMIT


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def described(value: object) -> str:
    """The JSON type (and size) of ``value``, never its content: ``a 24-character string``."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return f"a {len(value)}-character string" if value else "an empty string"
    if isinstance(value, (list, tuple)):
        return f"an array of {_plural(len(value), 'item')}"
    if isinstance(value, dict):
        return f"an object with {_plural(len(value), 'key')}"
    return f"a {type(value).__name__}"


def shown(value: object, quote: bool = True) -> str:
    """``value`` as JSON (``"max"``; bare with ``quote=False``) when harmless, else :func:`described`."""
    if is_harmless(value):
        return json.dumps(value) if quote else str(value)
    return described(value)


def shown_list(values: Iterable[object], quote: bool = False) -> str:
    """Comma-separated :func:`shown` of each value, or ``none``."""
    return ", ".join(shown(v, quote) for v in values) or "none"
