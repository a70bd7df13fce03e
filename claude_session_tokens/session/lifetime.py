"""How long the captured session can last (SC-005; docs/claude-cli-facts.md: The credentials file,
Refresh and rotation).

The access token lives about 8 hours; the CLI in the pod refreshes it itself with the
refresh token, which rotates on every refresh. So "valid for 24 hours after capture" means:
a non-empty refresh token, the ``user:inference`` scope, no end of the sign-in
(``refreshTokenExpiresAt``) inside the window, and a pod that can write its copy.

An access token that is expired or has less than 5 minutes left is a failure of its own:
the CLI would refresh (and rotate) it at once, so the test prompt would spend the user's
session for nothing. The prompt is then not run.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from claude_session_tokens.core.findings import Finding
from claude_session_tokens.core.remedy import FRESH_LOGIN as _FRESH_LOGIN_COMMAND
from claude_session_tokens.core.remedy import RELOGIN, RUN_AGAIN, Remedy
from claude_session_tokens.k8s.manifest import iso_utc
from claude_session_tokens.session.credentials import (
    OAuthSession,
    empty_refresh_token,
    missing_inference_scope,
    wiped_expiry,
)

REFRESH_MARGIN_MS = 5 * 60 * 1000  # the CLI refreshes when fewer than 5 minutes remain
HOUR_MS = 3600 * 1000
FRESH_LOGIN = Remedy(_FRESH_LOGIN_COMMAND, "   (or: ", RELOGIN, ", then ", RUN_AGAIN, ")")
EXAMPLE = "examples/claude-agent-statefulset.yaml"
POD_NOTE = ("the access token lasts ~8 h; the pod's CLI refreshes it itself and writes the new tokens back, "
            "so the pod must keep its copy on a writable persistent volume, seeded once from the Secret "
            f"(never the Secret mounted read-only or via subPath): see {EXAMPLE}")
# What is known about the length of a sign-in when the credentials do not state it.
UNKNOWN_END = ("unknown: the credentials carry no refreshTokenExpiresAt and the CLI does not say; "
               "reported sign-in lengths range from about a day to 30 days")


def now_ms() -> int:
    return int(time.time() * 1000)


def hours(ms: float) -> str:
    """A span in hours for people: '7.0 h', '4 min', 'expired 2.0 h ago'."""
    if ms < 0:
        return f"expired {hours(-ms)} ago"
    if ms < HOUR_MS:
        return f"{ms / 60000:.0f} min"
    return f"{ms / HOUR_MS:.1f} h"


@dataclass(frozen=True)
class Lifetime:
    """What the credentials say about how long the session can last."""

    access_ms_left: int
    refresh_end_ms_left: int | None  # None: refreshTokenExpiresAt not stated
    min_validity_hours: float
    problems: tuple[str, ...]
    access_too_short: bool  # expired or < 5 minutes left: the prompt must not run
    refresh_end_at_ms: int | None = None  # refreshTokenExpiresAt itself (epoch ms), when stated
    access_expiry_unknown: bool = False  # expiresAt gives no moment (the CLI reads it as "never")

    @property
    def access_hours_left(self) -> float:
        return self.access_ms_left / HOUR_MS

    @property
    def refresh_end_hours_left(self) -> float | None:
        return None if self.refresh_end_ms_left is None else self.refresh_end_ms_left / HOUR_MS

    def lines(self) -> list[str]:
        """The report: hours left, never a token."""
        access = ("no usable expiresAt (the CLI refreshes only after the API rejects the token)"
                  if self.access_expiry_unknown else hours(self.access_ms_left))
        lines = [f"access token: {access}"]
        if self.refresh_end_ms_left is not None:
            lines.append(f"sign-in ends (refreshTokenExpiresAt): {hours(self.refresh_end_ms_left)}")
        return lines + [
            f"the pod can keep refreshing until: {self.pod_can_refresh_until()}",
            f"required: usable for {self.min_validity_hours:g} h (--min-validity)",
            f"note: {POD_NOTE}",
        ]

    def pod_can_refresh_until(self) -> str:
        """Until when the pod's CLI can renew its tokens: the sign-in's end, or plainly unknown."""
        return pod_can_refresh_until(self.refresh_end_at_ms)

    def finding(self) -> Finding | None:
        if not self.problems:
            return None
        return Finding(
            cause=f"The session cannot stay valid for {self.min_validity_hours:g} h after capture:",
            why="the pod would lose its Claude session before the time the Secret is meant to last.",
            remedy=FRESH_LOGIN,
            details=self.problems,
        )

    def prompt_blocker(self) -> Finding | None:
        """Why the test prompt must not run (it would spend the session), or None."""
        if not self.access_too_short:
            return None
        state = (hours(self.access_ms_left) if self.access_ms_left < 0
                 else f"expires in {hours(self.access_ms_left)}")
        return Finding(
            cause=f"The test prompt was not run: the access token {state} "
                  "(see the session lifetime check, SC-005).",
            why="the CLI would refresh it at once and rotate the refresh token, spending the session "
                "on this machine for a prompt whose result could not be shipped as verified.",
            remedy=FRESH_LOGIN,
        )


def assess(session: OAuthSession, at_ms: int, min_validity_hours: float) -> Lifetime:
    """Judge ``session`` at time ``at_ms`` against a window of ``min_validity_hours``."""
    problems: list[str] = []
    access_left = session.expires_at_ms - at_ms
    too_short = access_left < REFRESH_MARGIN_MS
    if wiped := wiped_expiry(session):
        problems.append(wiped)
    elif access_left <= 0:
        problems.append(f"the access token {hours(access_left)}")
    elif too_short:
        problems.append(f"the access token expires in {hours(access_left)}: the CLI refreshes (and rotates) "
                        "it when fewer than 5 minutes remain")
    problems += [sign for sign in (empty_refresh_token(session), missing_inference_scope(session)) if sign]
    window_ms = min_validity_hours * HOUR_MS
    refresh_left = None
    if session.refresh_token_expires_at_ms is not None:
        refresh_left = session.refresh_token_expires_at_ms - at_ms
        if refresh_left <= 0:
            problems.append(f"the sign-in itself has ended (refreshTokenExpiresAt {hours(refresh_left)})")
        elif refresh_left < window_ms:
            problems.append(f"the sign-in itself ends in {hours(refresh_left)} (refreshTokenExpiresAt), "
                            f"inside the {min_validity_hours:g} h window")
    return Lifetime(access_ms_left=access_left, refresh_end_ms_left=refresh_left,
                    min_validity_hours=min_validity_hours, problems=tuple(problems),
                    access_too_short=too_short, refresh_end_at_ms=session.refresh_token_expires_at_ms,
                    access_expiry_unknown=session.expiry_unknown)


def pod_can_refresh_until(refresh_end_at_ms: int | None) -> str:
    """``2026-12-28T05:00:00Z (refreshTokenExpiresAt)``, or :data:`UNKNOWN_END`."""
    moment = iso_utc(refresh_end_at_ms) if refresh_end_at_ms is not None else None
    if moment is None:
        return UNKNOWN_END
    return f"{moment} (refreshTokenExpiresAt); then a new capture is needed"
