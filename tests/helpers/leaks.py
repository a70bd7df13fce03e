"""How the tests look for a leaked token: the canaries' text and their base64 at every alignment.

A Secret's data is base64 of a whole file, so a token inside it is encoded at one of three byte
alignments; the groups touching its neighbours differ, the core does not. ``leak_needles``
gives, per token, its text and the core of its base64 (standard and URL-safe) at each
alignment; ``assert_no_leak`` fails when any needle is in a text or in a run's output and
reports, never printing the needle. It is the one leak assertion of the tests.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable

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


def leaked(text: str, tokens: Iterable[str] = CANARY_TOKENS, encoded: bool = True) -> list[str]:
    """Which kinds of needle are in ``text`` (descriptions only, safe to print); ``encoded=False``
    looks for the marker and the tokens as text only, not for their base64."""
    tokens = list(dict.fromkeys(tokens))
    kinds = []
    if CANARY_MARKER in text:
        kinds.append("the canary marker")
    for i, token in enumerate(tokens):
        if token in text:
            kinds.append(f"token #{i}")
        if encoded and any(core in text for core in base64_cores(token)):
            kinds.append(f"base64 of token #{i}")
    return kinds


def assert_no_leak(seen, where: str = "the output or a report", tokens: Iterable[str] = CANARY_TOKENS, *,
                   encoded: bool = True, no_traceback: bool = False) -> None:
    """No token in ``seen``: a text, or a run of the checks (helpers.runner.ChecksRun), whose
    output and every report it wrote are searched.

    ``tokens``: the tokens to look for (the canaries unless told; pass more to add real ones).
    ``encoded=False``: the marker and the tokens as text only, for a run whose reports hold the
    rendered Secret, the one place a token may be (base64 encoded).
    ``no_traceback=True``: a run's terminal output also shows no traceback (a user error never does).
    """
    text = seen.every_text() if hasattr(seen, "every_text") else seen
    found = leaked(text, tokens, encoded)
    assert not found, f"leaked into {where}: {', '.join(found)}"  # names the kind, never the needle
    if no_traceback:
        assert "Traceback" not in seen.output, "a traceback in the output"


def digests(values) -> set[str]:
    """The sha256 of each value: compare tokens by these, so a failed assertion never shows one."""
    return {hashlib.sha256(v if isinstance(v, bytes) else str(v).encode()).hexdigest() for v in values}

