"""How the tests look for a leaked token: the canaries' text and their base64 at every alignment.

A Secret's data is base64 of a whole file, so a token inside it is encoded at one of three byte
alignments; the groups touching its neighbours differ, the core does not. ``leak_needles``
gives, per token, its text and the core of its base64 (standard and URL-safe) at each
alignment; ``assert_no_leak`` fails when any needle is in a text, never printing the needle.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Iterable

from helpers.profiles import CANARY_ACCESS, CANARY_MARKER, CANARY_REFRESH

CANARY_TOKENS = (CANARY_ACCESS, CANARY_REFRESH)


def base64_cores(token: str) -> list[str]:
    """The base64 of ``token`` as it appears inside any longer encoded text, at each alignment."""
    cores = []
    for shift in range(3):
        encoded = base64.b64encode(b"\0" * shift + token.encode()).decode()
        core = encoded[4 if shift else 0:-4]  # drop the groups that depend on neighbouring bytes
        cores += [core, core.replace("+", "-").replace("/", "_")]
    return cores


def leak_needles(tokens: Iterable[str] = CANARY_TOKENS) -> list[str]:
    """Strings that betray a canary: the marker, each token, and each token's base64 cores."""
    tokens = list(dict.fromkeys(tokens))
    needles = [CANARY_MARKER, *tokens]
    for token in tokens:
        needles += base64_cores(token)
    return needles


def leaked(text: str, tokens: Iterable[str] = CANARY_TOKENS) -> list[str]:
    """Which kinds of needle are in ``text`` (descriptions only, safe to print)."""
    tokens = list(dict.fromkeys(tokens))
    kinds = []
    if CANARY_MARKER in text:
        kinds.append("the canary marker")
    for i, token in enumerate(tokens):
        if token in text:
            kinds.append(f"token #{i}")
        if any(core in text for core in base64_cores(token)):
            kinds.append(f"base64 of token #{i}")
    return kinds


def assert_no_leak(text: str, where: str = "the output or a report", tokens: Iterable[str] = CANARY_TOKENS) -> None:
    found = leaked(text, tokens)
    assert not found, f"leaked into {where}: {', '.join(found)}"  # names the kind, never the needle


def digests(values) -> set[str]:
    """The sha256 of each value: compare tokens by these, so a failed assertion never shows one."""
    return {hashlib.sha256(v if isinstance(v, bytes) else str(v).encode()).hexdigest() for v in values}

