"""A masked container for token values and the raw bytes of credential files.

Every token, and every byte string that may contain one, travels through the program as a
:class:`Masked`. Its ``repr``, ``str`` and ``format`` never show the value, so a secret that
reaches an assertion message, a traceback with ``-l``, a log line or a report shows up as
``Secret(***)``. The value is only reachable through :meth:`Secret.reveal`, which makes every
place that handles the real value easy to find with ``grep reveal``.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Generic, TypeVar

T = TypeVar("T", str, bytes)

MASK = "***"


class Masked(Generic[T]):
    """A token or credential blob whose value never appears in text output."""

    __slots__ = ("_value",)

    def __init__(self, value: T) -> None:
        if isinstance(value, Masked):  # never double-wrap
            value = value.reveal()
        if not isinstance(value, (str, bytes)):
            raise TypeError(f"Secret holds str or bytes, not {type(value).__name__}")
        object.__setattr__(self, "_value", value)

    def reveal(self) -> T:
        """Return the real value. Only code that must hand it on (a file, a child process) calls this."""
        return self._value

    def fingerprint(self) -> str:
        """A short, non-reversible tag (12 hex digits of SHA-256) that tells two secrets apart."""
        return fingerprint(self._value)

    def __bool__(self) -> bool:
        return len(self._value) > 0

    def __len__(self) -> int:
        return len(self._value)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Masked):
            return NotImplemented
        a, b = self._value, other._value
        if isinstance(a, str):
            a = a.encode()
        if isinstance(b, str):
            b = b.encode()
        return hmac.compare_digest(a, b)

    def __hash__(self) -> int:
        return hash(("Secret", hashlib.sha256(_as_bytes(self._value)).digest()))

    def __repr__(self) -> str:
        return f"Secret({MASK})"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return repr(self)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Secret is immutable")

    def __reduce__(self):  # pickling would carry the value to places we cannot see
        raise TypeError("Secret cannot be pickled")

    def __copy__(self) -> "Masked[T]":
        return self

    def __deepcopy__(self, memo: dict) -> "Masked[T]":
        return self


def _as_bytes(value: str | bytes) -> bytes:
    return value.encode("utf-8", "surrogatepass") if isinstance(value, str) else value


def fingerprint(value: str | bytes) -> str:
    """12 hex digits of the SHA-256 of ``value``: enough to notice a change, useless to an attacker."""
    return hashlib.sha256(_as_bytes(value)).hexdigest()[:12]
