"""Where the credentials come from: a file, or (on macOS) the login Keychain.

A *credential source* answers the same four questions for every check, whatever it is:
is it there, what kind of thing is it, how big, and what are its bytes. The checks and the
Secret treat every source alike (FR-003, SC-003).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from claude_session_tokens.core.findings import Finding, FindingError
from claude_session_tokens.core.masked import Masked
from claude_session_tokens.core.remedy import LOG_IN, RELOGIN, Remedy
from claude_session_tokens.session.files import (
    empty_finding,
    inspect_file,
    missing_finding,
    not_regular_finding,
    read_secret_file,
    unreachable_finding,
)

LOGIN_REMEDY = Remedy(LOG_IN, "   (then run the checks again)")


class CredentialSource(Protocol):
    """Anything the session's credentials can be read from."""

    label: str  # e.g. "credentials file ~/.claude/.credentials.json"

    def presence_problem(self) -> Finding | None: ...

    def shape_problem(self) -> Finding | None: ...

    def emptiness_problem(self) -> Finding | None: ...

    def read(self) -> Masked[bytes]:
        """The raw credentials; raises :class:`FindingError` when they cannot be read."""
        ...


@dataclass(frozen=True)
class FileCredentialSource:
    """``<config dir>/.credentials.json`` (Linux, Windows, and macOS without a Keychain item)."""

    path: Path

    @property
    def label(self) -> str:
        return f"credentials file {self.path}"

    def presence_problem(self) -> Finding | None:
        state = inspect_file(self.path)
        if state.kind in ("missing", "broken symlink"):
            return missing_finding(state, "credentials file", LOGIN_REMEDY)
        if state.kind == "unreachable":
            return unreachable_finding(state, "credentials file")
        return None

    def shape_problem(self) -> Finding | None:
        state = inspect_file(self.path)
        if state.exists and state.kind != "file":
            return not_regular_finding(state, "credentials file", LOGIN_REMEDY)
        return None

    def emptiness_problem(self) -> Finding | None:
        state = inspect_file(self.path)
        if state.kind == "file" and state.size == 0:
            return empty_finding(state, "credentials file", Remedy(RELOGIN))
        return None

    def read(self) -> Masked[bytes]:
        return read_secret_file(self.path, "credentials file", LOGIN_REMEDY)


def first_problem(source: CredentialSource) -> Finding | None:
    """The first thing that keeps ``source`` from being read, or None when it can be read."""
    for probe in (source.presence_problem, source.shape_problem, source.emptiness_problem):
        problem = probe()
        if problem:
            return problem
    try:
        source.read()
    except FindingError as err:
        return err.finding
    return None


@dataclass(frozen=True)
class InMissingDirectory:
    """A credentials file whose directory does not exist: its one cause is the missing directory,
    so every check that needs the credentials names that (``problem`` builds the finding when asked)."""

    source: FileCredentialSource
    problem: Callable[[], Finding | None]

    @property
    def label(self) -> str:
        return self.source.label

    @property
    def path(self) -> Path:
        return self.source.path

    def presence_problem(self) -> Finding | None:
        return self.problem() or self.source.presence_problem()

    def shape_problem(self) -> Finding | None:
        return None if self.problem() else self.source.shape_problem()

    def emptiness_problem(self) -> Finding | None:
        return None if self.problem() else self.source.emptiness_problem()

    def read(self) -> Masked[bytes]:
        problem = self.problem()
        if problem:
            raise FindingError(problem)
        return self.source.read()

