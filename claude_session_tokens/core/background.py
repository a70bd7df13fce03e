"""Start one slow, read-only function now; take its outcome later, as if it had been called then.

The FR-005 listing of a heavy profile stats every file under ``projects/`` (100,000 of them
take a few tenths of a second). It starts when the run does and is collected when its
check needs it, so the walk overlaps work that leaves a core idle (pytest's collection,
the ``claude`` subprocesses).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class BackgroundCall(Generic[T]):
    """``fn(*args)`` running in a daemon thread; :meth:`result` waits for it, then returns what
    it returned or raises what it raised, the same exception a direct call would have raised."""

    def __init__(self, fn: Callable[..., T], *args: Any, name: str = "background-call") -> None:
        self._outcome: tuple[bool, Any] = (False, None)
        self._thread = threading.Thread(target=self._run, args=(fn, args), name=name, daemon=True)
        self._thread.start()

    def _run(self, fn: Callable[..., T], args: tuple[Any, ...]) -> None:
        try:
            self._outcome = (True, fn(*args))
        except BaseException as exc:  # noqa: BLE001 - re-raised by result(), in the caller's thread
            self._outcome = (False, exc)

    def result(self) -> T:
        self._thread.join()
        returned, value = self._outcome
        if returned:
            return value
        raise value
