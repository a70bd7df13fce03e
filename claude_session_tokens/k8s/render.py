"""The render step: from the verified payload to a validated Secret, written or previewed.

Order matters (only what was verified ships, and a failed run leaves the earlier Secret
untouched): the gate first; then the exact bytes that will ship are judged once more; the
manifest is built and validated offline; the destination is checked against git; only then is
the file written, atomically and with mode 0600. ``--dry-run`` stops before the write and hands
the text back for printing. With ``--hand-off``, and only after the write succeeded and was
synced, this machine's copy of the session is removed (handoff.py). Nothing here talks to a
cluster.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from claude_session_tokens.core.atomic import nearest_existing, write_atomically
from claude_session_tokens.core.findings import (
    BUG_REPORT,
    Blocker,
    Finding,
    FindingError,
    os_reason,
)
from claude_session_tokens.core.platforms import is_windows
from claude_session_tokens.core.remedy import RUN_AGAIN, icacls_grant, quoted
from claude_session_tokens.k8s.destination import run_destination_problem
from claude_session_tokens.k8s.git_safety import DestinationVerdict, check_destination
from claude_session_tokens.k8s.manifest import (
    SecretInfo,
    build_secret,
    data_size,
    serialise,
)
from claude_session_tokens.k8s.payload import Payload
from claude_session_tokens.k8s.validation import validate_secret
from claude_session_tokens.session import credentials as creds
from claude_session_tokens.session.handoff import HandOff, hand_off
from claude_session_tokens.session.lifetime import assess, now_ms

if TYPE_CHECKING:
    from claude_session_tokens.suite.session import SessionUnderTest


@dataclass
class RenderResult:
    """What the render step produced; nothing in here is secret except ``text``."""

    text: str = field(repr=False)  # the manifest (its data carries the tokens, base64): print only in --dry-run
    name: str
    namespace: str
    fmt: str
    sizes: dict[str, int]
    info: SecretInfo
    kubernetes_version: str
    path: Path | None = None  # None in --dry-run
    dry_run: bool = False
    notes: list[str] = field(default_factory=list)
    hand_off: HandOff | None = None  # None: --hand-off not given (or nothing was written)
    credential_kind: str = "session files"  # or "setup-token" (credential_kind.py)


def cli_version(session: SessionUnderTest) -> str | None:
    """The claude CLI version when a check already learned it (``session.cli``)."""
    try:
        cli = getattr(session, "cli", None)
    except (FindingError, OSError):
        return None
    version = getattr(cli, "version", None) if cli is not None else None
    return str(version) if version else None


def verified_again(payload: Payload, expected_subscription: str, min_validity_hours: float) -> creds.OAuthSession:
    """Judge the exact credentials bytes that ship (they may have been refreshed by the prompt):
    a usable session (as FR-003's check judges it) that lasts ``min_validity_hours`` (SC-005's
    ``lifetime.assess``), both judged again on these bytes, not on the profile's."""
    oauth = creds.parse_credentials(payload.credentials)
    problems = creds.session_problems(oauth, expected_subscription)
    if problems:
        raise FindingError(Finding(
            cause="The credentials about to go into the Secret are not a usable session:",
            why="only what was verified may ship; these bytes would leave the pod signed out.",
            remedy=creds.RELOGIN + "   then run the checks again",
            details=tuple(problems),
        ))
    too_short = assess(oauth, now_ms(), min_validity_hours).finding()
    if too_short:
        raise FindingError(Finding(
            cause=f"The credentials about to go into the Secret cannot stay valid for {min_validity_hours:g} h "
                  "after capture (SC-005, judged again on these bytes):",
            why="only what was verified may ship; " + too_short.why,
            remedy=too_short.remedy,
            details=too_short.details,
        ))
    return oauth


def check_round_trip(text: str, payload: Payload) -> None:
    """SC-004: the text, read back as Kubernetes would, holds exactly the payload's files."""
    try:
        data = yaml.safe_load(text)["data"]  # JSON is YAML
        same = set(data) == set(payload.files) and all(
            base64.b64decode(data[key], validate=True) == blob.reveal() for key, blob in payload.files.items())
    except (yaml.YAMLError, KeyError, TypeError, ValueError):
        same = False
    if not same:
        raise FindingError(Finding(
            cause="The rendered Secret does not decode to the verified files.",
            why="the pod would get something other than what was verified (SC-004); nothing was written.",
            remedy=BUG_REPORT,
        ))


def prepare(session: SessionUnderTest, captured_at: datetime | None = None) -> RenderResult:
    """Build and validate the Secret from ``session.payload``; raises :class:`FindingError`."""
    settings = session.settings
    payload: Payload = session.payload
    token_mode = getattr(getattr(session, "kind", None), "is_token", False)
    if token_mode:
        from claude_session_tokens.kinds.token_mode import secret_info
        info = secret_info(session, payload, captured_at, cli_version(session))
    else:
        oauth = verified_again(payload, settings.expected_subscription, settings.min_validity)
        info = SecretInfo(
            captured_at=captured_at or datetime.now(timezone.utc),
            access_token_expires_at_ms=None if oauth.expiry_unknown else oauth.expires_at_ms,
            sign_in_expires_at_ms=oauth.refresh_token_expires_at_ms,
            cli_version=cli_version(session),
            fingerprint=oauth.fingerprint,
        )
    manifest = build_secret(payload, settings.secret_name, settings.namespace, info)
    version = validate_secret(manifest, data_size(payload), settings.kubernetes_version)
    text = serialise(manifest, settings.secret_format)
    check_round_trip(text, payload)
    return RenderResult(
        text=text, name=settings.secret_name,
        namespace=settings.namespace, fmt=settings.secret_format, sizes=payload.sizes(), info=info,
        kubernetes_version=version, notes=list(payload.notes),
        credential_kind="setup-token" if token_mode else "session files",
    )


def blocked(reasons: list[Blocker]) -> Finding:
    return Finding(
        cause="The Secret was not rendered: not every check of this run passed.",
        why="a Secret is only written for a session whose every requirement was proven; "
            "any earlier Secret file was left as it was.",
        remedy=f"fix what is listed, then run the whole suite again: {RUN_AGAIN}",
        details=tuple(reasons),
        gate_closed=True,
    )


def git_refusal(path: Path, verdict: DestinationVerdict | None = None) -> Finding | None:
    """Why the Secret may not be written to ``path`` as far as git is concerned (None: it may).
    ``verdict``: git's answer for ``path`` already given in this run (test_35 asks, the render
    step reuses it); asked here when it is missing or was about another path."""
    if verdict is None or verdict.path != Path(path).absolute():
        verdict = check_destination(path)
    if verdict.safe:
        return None
    if verdict.gitignore_line is None:
        asked_in = verdict.git_failed_in or path.parent
        return Finding(cause=f"The Secret was not written to {path}: {verdict.note}.",
                       why="a Secret inside a git work tree must be ignored there, or it may be committed (FR-008).",
                       remedy=f"see git's own message: git -C {quoted(asked_in)} rev-parse --show-toplevel   "
                              "and fix what "
                              "it says (for \"dubious ownership\": git config --global --add safe.directory <the "
                              "directory it names>), or pass --secret-out with a path outside any git work tree")
    return Finding(
        cause=f"The Secret was not written: {path} is inside the git work tree {verdict.work_tree} "
              "and git does not ignore it.",
        why="the file holds live session tokens; a commit would publish them (FR-008, SC-006).",
        remedy=f"add this line to {verdict.gitignore_file}:   {verdict.gitignore_line}   "
               "(or pass --secret-out with an ignored path)",
    )


def write_remedy(path: Path, exc: OSError) -> str:
    """The command that makes ``path`` writable, for the reason the write failed."""
    existing = nearest_existing(path.parent)
    if not existing.is_dir():
        return (f"{existing} is a file, not a directory: pass --secret-out with a path in a directory, "
                f"e.g. --secret-out \"{existing.parent / 'secrets' / path.name}\"")
    if isinstance(exc, PermissionError):
        if is_windows():
            return icacls_grant(existing, "(OI)(CI)M") + "   (in PowerShell; or pass --secret-out PATH)"
        return f'chmod u+rwx "{existing}"   or pass --secret-out PATH in a directory you own'
    return f"free disk space where {existing} is, or pass --secret-out PATH on another disk"


def render(session: SessionUnderTest, gate_reasons: list[Blocker]) -> RenderResult:
    """The whole step; raises :class:`FindingError` and writes nothing when anything is wrong."""
    if gate_reasons:
        raise FindingError(blocked(gate_reasons))
    result = prepare(session)
    settings = session.settings
    if settings.dry_run:
        result.dry_run = True
        return result
    path = settings.secret_path().absolute()
    overwrite = run_destination_problem(session)
    if overwrite:  # checked before any check ran too; the files may have changed since
        raise FindingError(Finding(cause=f"The Secret was not written: {overwrite.split(' Fix: ')[0]}",
                                   why="the earlier file, and the session, are left as they were.",
                                   remedy=overwrite.split(" Fix: ")[-1]))
    refusal = git_refusal(path, getattr(session, "git_verdict", None))
    if refusal:
        raise FindingError(refusal)
    try:
        synced = write_atomically(path, result.text, mode=0o600, dir_mode=0o700)
    except OSError as exc:
        raise FindingError(Finding(
            cause=f"The Secret could not be written to {path} ({os_reason(exc)}).",
            why="the previous file, if any, is unchanged; the pod has nothing new to use.",
            remedy=write_remedy(path, exc),
        )) from None
    result.path = path
    session.written = result
    if settings.hand_off:
        result.hand_off = hand_off(session, path, result.text, synced)
    return result
