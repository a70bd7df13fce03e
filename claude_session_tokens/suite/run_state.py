"""Everything one pytest run of the checks knows, in one object under one stash key.

The plugin fills a :class:`RunState` as the run goes (the settings and the session at
configure, the verdicts as checks report, the rendered Secret at the end); the front door
``render_secret.py`` reads it after ``pytest.main`` returns. ``run_state(config)`` is the one
way in: nothing else of the run lives in ``config.stash`` or in module globals.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pytest

from claude_session_tokens.core.remedy import Spelling
from claude_session_tokens.suite.ledger import Ledger
from claude_session_tokens.suite.options import Settings

if TYPE_CHECKING:
    from claude_session_tokens.k8s.render import RenderResult
    from claude_session_tokens.kinds.credential_kind import CredentialKind
    from claude_session_tokens.suite.session import SessionUnderTest


@dataclass(eq=False)
class RunState:
    """The state of one run (``pytest checks`` or the in-process run of ``render_secret.py``)."""

    ledger: Ledger = field(default_factory=Ledger)
    # the options, built once per run; None when they could not be read (they are refused elsewhere)
    settings: Settings | None = None
    session: SessionUnderTest | None = None  # a run of checks/ has one; other runs (pytest tests) not
    kind: CredentialKind | None = None  # the session's credential kind
    spelling: Spelling | None = None  # how this run spells remedies (remedy.Spelling)
    summary_path: str | None = None  # where summary.md goes
    result: RenderResult | None = None  # the render check's RenderResult, once the Secret was rendered
    prints_dry_run_itself: bool = False  # render_secret.py prints the --dry-run manifest on its own
    session_spent: bool = False  # the prompt refreshed the tokens and then no Secret was written
    current_item: pytest.Item | None = None  # the check running now (its warnings and sections)


RUN_KEY = pytest.StashKey[RunState]()

# The runs in progress in this process, innermost last (a test may run the checks in-process
# inside its own pytest run): warn_check and record_section find the running check here.
_ACTIVE: list[RunState] = []


def run_state(config: pytest.Config) -> RunState:
    """This run's :class:`RunState` (made on first use)."""
    return config.stash.setdefault(RUN_KEY, RunState())


def started(state: RunState) -> None:
    _ACTIVE.append(state)


def ended(state: RunState) -> None:
    if state in _ACTIVE:
        _ACTIVE.remove(state)


def current_item() -> pytest.Item | None:
    """The check running now in the innermost run, or None."""
    return _ACTIVE[-1].current_item if _ACTIVE else None
