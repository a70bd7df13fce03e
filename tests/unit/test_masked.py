"""Masked: the masked container every token and credential blob travels in, so none is ever shown."""

from __future__ import annotations

import copy
import hashlib
import logging
import pickle

import pytest
from helpers.profiles import CANARY_ACCESS, CANARY_MARKER, CANARY_REFRESH

from claude_session_tokens.core.masked import MASK, Masked, fingerprint


@pytest.mark.parametrize("value", [CANARY_ACCESS, CANARY_ACCESS.encode()])
def test_every_text_form_is_masked(value):
    secret = Masked(value)
    forms = [repr(secret), str(secret), f"{secret}", f"{secret!r}", f"{secret:>80}", "%s" % secret,  # noqa: UP031 - %-formatting is a form to prove
             "%r" % (secret,), f"{secret}",  # noqa: UP031 repr([secret]), repr({"token": secret}),
             repr((secret,))]
    for text in forms:
        assert CANARY_MARKER not in text
        assert MASK in text


def test_reveal_returns_the_value_unchanged():
    assert Masked(CANARY_ACCESS).reveal() == CANARY_ACCESS
    assert Masked(CANARY_ACCESS.encode()).reveal() == CANARY_ACCESS.encode()
    assert Masked(Masked(CANARY_ACCESS)).reveal() == CANARY_ACCESS  # never double-wrapped


def test_a_failed_assertion_shows_no_value():
    """pytest's assertion rewriting prints both operands: they must stay masked. (It would also
    print the arguments of a call written inside the assert, so checks never build a Secret there.)"""
    access, refresh = Masked(CANARY_ACCESS), Masked(CANARY_REFRESH)
    with pytest.raises(AssertionError) as info:
        assert access == refresh
    assert CANARY_MARKER not in str(info.value)
    assert "Masked(***)" in str(info.value)


def test_logging_a_secret_shows_no_value(caplog):
    with caplog.at_level(logging.INFO):
        logging.getLogger("t").info("token=%s bytes=%r", Masked(CANARY_ACCESS), Masked(CANARY_REFRESH.encode()))
    assert CANARY_MARKER not in caplog.text


def test_equality_compares_values_across_str_and_bytes():
    assert Masked(CANARY_ACCESS) == Masked(CANARY_ACCESS)
    assert Masked(CANARY_ACCESS) == Masked(CANARY_ACCESS.encode())
    assert Masked(CANARY_ACCESS) != Masked(CANARY_REFRESH)
    assert Masked(CANARY_ACCESS) != CANARY_ACCESS  # a raw value never equals a Secret
    assert hash(Masked(CANARY_ACCESS)) == hash(Masked(CANARY_ACCESS))
    assert len({Masked("a"), Masked("a"), Masked("b")}) == 2


def test_truthiness_and_length():
    assert not Masked("") and not Masked(b"")
    assert Masked("x") and len(Masked(CANARY_ACCESS)) == len(CANARY_ACCESS)


def test_immutable_and_not_picklable():
    secret = Masked(CANARY_ACCESS)
    with pytest.raises(AttributeError):
        secret._value = "other"
    assert not hasattr(secret, "__dict__")  # vars() cannot dump it
    with pytest.raises(TypeError) as info:
        pickle.dumps(secret)
    assert CANARY_MARKER not in str(info.value)
    assert copy.copy(secret) is secret and copy.deepcopy(secret) is secret


@pytest.mark.parametrize("value", [123, None, ["x"], {"accessToken": "x"}])
def test_only_str_or_bytes(value):
    with pytest.raises(TypeError) as info:
        Masked(value)
    assert type(value).__name__ in str(info.value)


def test_fingerprint_is_twelve_hex_digits_of_sha256():
    expected = hashlib.sha256(CANARY_REFRESH.encode()).hexdigest()[:12]
    assert Masked(CANARY_REFRESH).fingerprint() == expected == fingerprint(CANARY_REFRESH)
    assert Masked(CANARY_REFRESH.encode()).fingerprint() == expected
    assert Masked(CANARY_ACCESS).fingerprint() != expected
    assert CANARY_MARKER not in expected
