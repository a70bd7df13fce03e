"""The checks' side of setup-token mode: the token under test, its test prompt, lifetime and Secret.

:class:`~claude_session_tokens.suite.session.SessionUnderTest` hands over to these functions when the
credential kind is setup-token (credential_kind.py). The token is read once (a file, standard
input read before pytest's capture starts, or the capture of ``claude setup-token``), judged
(oauth_token.py), and every later step uses exactly those bytes: the test prompt gets them as
``CLAUDE_CODE_OAUTH_TOKEN`` and the Secret's one key holds them.

The test prompt runs ``claude -p`` in an empty temporary home and config dir, with every other
credential variable removed (child_env.py), ``CLAUDE_CODE_OAUTH_TOKEN`` as the only credential,
the same time limit and the same verdict rules as session mode (prompt.judge), and this mode's
own causes and remedies. The temporary directory is always removed.

Lifetime (SC-005): the token carries no expiry. It is counted from its capture (the run of
``claude setup-token``, else the token file's modification time, else now for standard input)
plus 365 days, and every report marks that end as an estimate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from claude_session_tokens.claude.child_env import (
    profile_home,
    prompt_environment,
    shown_url,
)
from claude_session_tokens.claude.cli import INSTALL
from claude_session_tokens.claude.processes import LaunchError, run_captured
from claude_session_tokens.claude.prompt import (
    NETWORK,
    NOT_LOGGED_IN,
    REJECTED,
    SC_002_SECONDS,
    PromptResult,
    intermediaries,
    judge,
)
from claude_session_tokens.core.findings import Finding, FindingError
from claude_session_tokens.core.masked import Masked
from claude_session_tokens.core.redaction import environment_secrets
from claude_session_tokens.core.signals import deferred
from claude_session_tokens.k8s.payload import Payload
from claude_session_tokens.kinds.oauth_token import (
    ENV_VAR,
    SETUP_AGAIN,
    STDIN,
    TokenInput,
    local_session_tokens,
    read_bounded,
    token_bytes,
    token_from,
)
from claude_session_tokens.session.temp_copies import make_private_dir, remove_tree

if TYPE_CHECKING:
    from claude_session_tokens.k8s.manifest import SecretInfo
    from claude_session_tokens.k8s.render import RenderResult
    from claude_session_tokens.suite.session import SessionUnderTest

TOKEN_DAYS = 365  # claude setup-token: "long-lived (1-year)"; the token itself states no expiry
AGAIN_WITH_CAPTURE = (f"{SETUP_AGAIN} again, or let the suite run it and capture the token: "
                      "python render_secret.py --setup-token")


@dataclass(frozen=True)
class CapturedToken:
    """The token under test and what may be said about it (never the token)."""

    token: Masked[str]
    source: TokenInput
    captured_at: datetime  # when it was issued, as far as is known
    captured_at_known: bool  # False: standard input, counted from now

    @property
    def fingerprint(self) -> str:
        return self.token.fingerprint()

    @property
    def estimated_end(self) -> datetime:
        return self.captured_at + timedelta(days=TOKEN_DAYS)

    def describe(self) -> list[tuple[str, str]]:
        return [("credential", f"setup-token token ({self.source.origin}), fingerprint {self.fingerprint}")]


def _session_dirs(session: SessionUnderTest) -> list[Path]:
    """Config dirs whose access token a pasted token must not be (compared by digest only)."""
    try:
        return [session.location.config_dir]
    except FindingError:
        return []


def read_token(session: SessionUnderTest, stdin_data: Masked[bytes] | FindingError | None = None) -> CapturedToken:
    """The token of ``--oauth-token-file`` for ``session``; raises :class:`FindingError`."""
    path = session.settings.oauth_token_file
    now = datetime.now(timezone.utc)
    if path == STDIN:
        if isinstance(stdin_data, FindingError):
            raise FindingError(stdin_data.finding)
        if stdin_data is None:
            raise FindingError(Finding(
                cause="--oauth-token-file - was given, but standard input was not read before the checks started.",
                why="the token must be read before pytest takes over standard input.",
                remedy="pass the file itself: python render_secret.py --oauth-token-file FILE"))
        raw, source, at, known = stdin_data, TokenInput("standard input"), now, False
    else:
        file = Path(path).expanduser()
        raw = read_bounded(file)
        try:
            modified = file.stat().st_mtime
        except OSError:
            modified = None
        source = TokenInput(f"file {file}", file)
        at = datetime.fromtimestamp(modified, tz=timezone.utc) if modified else now
        known = modified is not None
    token = token_from(raw, session_tokens=local_session_tokens(_session_dirs(session)))
    return CapturedToken(token, source, min(at, now), known)


def captured(session: SessionUnderTest, token: Masked[str]) -> CapturedToken:
    """A token just printed by ``claude setup-token`` in this run."""
    return CapturedToken(token, TokenInput("captured from claude setup-token"), datetime.now(timezone.utc), True)


def payload(token: CapturedToken) -> Payload:
    """The Secret's data: one key, exactly the token's bytes."""
    return Payload(files={ENV_VAR: token_bytes(token.token)})


# --- SC-005 -------------------------------------------------------------------------------

def lifetime_lines(token: CapturedToken) -> list[str]:
    origin = ("captured by this run" if token.source.origin.startswith("captured") else
              "the token file's modification time (the token is at least that old)" if token.captured_at_known else
              "read from standard input: its real issue date is unknown, counted from now")
    return [f"captured: {token.captured_at:%Y-%m-%dT%H:%M:%SZ} ({origin})",
            f"expected end: {token.estimated_end:%Y-%m-%dT%H:%M:%SZ} (estimate: capture + {TOKEN_DAYS} days; "
            "the token carries no expiry and is never refreshed)"]


def lifetime_problem(token: CapturedToken, min_validity_hours: float) -> Finding | None:
    left = token.estimated_end - datetime.now(timezone.utc)
    if left >= timedelta(hours=min_validity_hours):
        return None
    return Finding(
        cause=f"The token is probably too old: counted from {token.captured_at:%Y-%m-%d} "
              f"({token.source.origin}), its year ends {token.estimated_end:%Y-%m-%d}, within "
              f"{min_validity_hours:g} h (SC-005).",
        why="a setup-token token lasts about a year and cannot be refreshed; the pod would be signed out.",
        remedy=f"run {AGAIN_WITH_CAPTURE}")


# --- the test prompt ------------------------------------------------------------------------

def _token_finding(kind: str, finding: Finding | None, base_url: str | None) -> Finding | None:
    """This mode's cause and remedy for a failed prompt (the CLI's words and timing kept)."""
    if finding is None:
        return None
    if kind in (REJECTED, NOT_LOGGED_IN):
        return replace(finding,
                       cause="The test prompt failed: the Claude API rejected the token (401: it was revoked, or "
                             "its year has ended).",
                       why="a setup-token token is never refreshed; one the API rejects stays rejected, and the "
                           "pod could not use it.",
                       remedy=f"run {AGAIN_WITH_CAPTURE}")
    if kind == NETWORK:
        target = shown_url(base_url) if base_url else "https://api.anthropic.com"
        return replace(finding, remedy=f"check the network: curl -sI {target}   (curl.exe in PowerShell; HTTPS_PROXY, "
                                       "NO_PROXY and NODE_EXTRA_CA_CERTS pass through to the CLI as well), fix what "
                                       "it shows, then run again: python render_secret.py --oauth-token-file FILE")
    return replace(finding, remedy=finding.remedy.replace("pytest checks --fresh-login", AGAIN_WITH_CAPTURE))


def prompt_result(session: SessionUnderTest, token: CapturedToken) -> PromptResult:
    """Run the test prompt with ``CLAUDE_CODE_OAUTH_TOKEN`` as the only credential."""
    cli = session.cli
    settings = session.settings
    with deferred():  # a stop now would leave a directory without its owner marker
        root = make_private_dir()  # 0700, with a marker naming this process (temp_copies.py)
    try:
        home = profile_home(root)
        (home / ".claude").mkdir(parents=True, mode=0o700)
        work = root / "work"
        work.mkdir(mode=0o700)
        child = prompt_environment(session.environ, home, session.platform)
        env = dict(child.env)
        env[ENV_VAR] = token.token.reveal()
        argv = [str(cli.path), "-p", settings.prompt, "--output-format", "json"]
        try:
            completed = run_captured(argv, env=env, limit=settings.prompt_timeout, cwd=work,
                                     platform=session.platform)
        except LaunchError as err:
            raise FindingError(Finding(
                cause=f"The test prompt could not start the claude CLI at {cli.path} ({err.reason}).",
                why="without the CLI the token cannot be proven to work.",
                remedy=f"{INSTALL}   (or pass the executable: --claude-bin PATH)")) from None
    finally:  # Ctrl+C, SIGTERM and SIGHUP come through here too, and may not cut the removal short
        with deferred():
            left = remove_tree(root)
    verdict = judge(completed, settings.prompt_timeout, [token.token, *environment_secrets(session.environ)],
                    child.base_url, intermediaries(env))
    warnings = []
    if left:
        warnings.append(Finding(cause=f"The temporary directory of the test prompt ({left}) was left behind.",
                                why="the CLI may have written a transcript there.", remedy=f"delete it: {left}"))
    if verdict.kind == "success" and completed.seconds > SC_002_SECONDS:
        warnings.append(Finding(
            cause=f"The test prompt took {completed.seconds:.1f} s, more than the {SC_002_SECONDS:g} s of SC-002.",
            why="it passed within --prompt-timeout, but the spec expects an answer within 10 seconds.",
            remedy="run again once the CLI has started once (a cold first start is slow)"))
    removed = tuple(v for v in child.removed)
    return PromptResult(kind=verdict.kind, seconds=completed.seconds,
                        finding=_token_finding(verdict.kind, verdict.finding, child.base_url),
                        cli_version=cli.version, removed_variables=removed, base_url=child.base_url,
                        warnings=tuple(warnings))


# --- the Secret -----------------------------------------------------------------------------

def secret_info(session: SessionUnderTest, shipped: Payload, captured_at: datetime | None,
                cli_version: str | None) -> SecretInfo:
    """The Secret's annotations for the token about to ship, judged once more on those bytes."""
    from claude_session_tokens.k8s.manifest import SecretInfo
    from claude_session_tokens.kinds.oauth_token import shape_problem

    token = session.oauth_token
    blob = shipped.files.get(ENV_VAR)
    problem = None if blob is not None and blob == token_bytes(token.token) else Finding(
        cause="The Secret's data is not the token that was verified.", why="only what was verified may ship.",
        remedy="run again: python render_secret.py")
    problem = problem or shape_problem(Masked(blob.reveal().decode("ascii", "replace")))
    if problem:
        raise FindingError(problem)
    return SecretInfo(captured_at=captured_at or token.captured_at, cli_version=cli_version,
                      estimated_expires_at=token.estimated_end, token_fingerprint=token.fingerprint)


# --- what render_secret.py says at the end --------------------------------------------------

def secret_lines(result: RenderResult) -> list[str]:
    from claude_session_tokens.k8s.manifest import iso_utc
    info = result.info
    return [f"  captured: {iso_utc(info.captured_at)}; expected end: {iso_utc(info.estimated_expires_at)} "
            "(estimate: capture + 365 days; the token states no expiry)",
            f"  token fingerprint: {info.token_fingerprint}   (never rotated: the pod needs no writable copy)"]


def next_step_lines(result: RenderResult, argv: Sequence[str], apply: list[str], hint: list[str]) -> list[str]:
    """The next steps after a setup-token Secret; ``apply`` and ``hint`` are the front door's own
    lines that apply the Secret and explain the example namespace."""
    from claude_session_tokens.kinds.credential_kind import TOKEN_EXAMPLE
    lines = ["", "Next:"]
    if result.dry_run and any(a == "--setup-token" for a in argv):  # running it again mints another token
        lines += ["  nothing was written, and the captured token exists only in the manifest printed above:",
                  "  pipe that output into kubectl, or run again without --dry-run (a new 'claude setup-token'",
                  "  run: a new token; this one stays valid until revoked).", *hint]
    else:
        lines += apply
    lines += [
        f"  In the pod, read the key into the environment variable {ENV_VAR} with env.valueFrom.secretKeyRef",
        f"  (the CLI reads this token from that variable only); no init copy, no writable volume. See {TOKEN_EXAMPLE}.",
        "  The token is inference-only, lasts about a year and is never rotated: any number of pods may share it.",
        "  Several tokens of one account coexist: make a new one with 'claude setup-token' and render it again;",
        "  revoke a leaked or unused one at https://claude.ai/settings/claude-code (the CLI names that page).",
    ]
    return lines
