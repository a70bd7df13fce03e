"""The test prompt (FR-004, SC-002): ``claude -p`` on a copy of exactly what ships.

The files of the Secret (:class:`~claude_session_tokens.k8s.payload.Payload`) are written into a
fresh temporary profile; the CLI runs there with ``HOME``/``CLAUDE_CONFIG_DIR`` pointing at it,
without any variable that could stand in for the session, in an empty working directory (so
no project settings apply), under a hard time limit. The user's own profile is never touched:
the transcript the CLI writes lands in the copy, and the copy is always removed.

The answer is judged as the CLI answers (docs/claude-cli-facts.md, The headless prompt): only a
JSON result with ``is_error: false`` and a non-empty ``result`` is a success; errors come on
stdout with exit 1, and exit 0 with empty or non-JSON output is a failure too. The CLI's words
are shown only through :func:`~claude_session_tokens.core.redaction.redact`: every token shape,
every URL's user and password, and every fragment of a secret the run knows are masked on the
raw bytes first.

If the CLI refreshed the tokens in the copy (after a 401, or near expiry), the refreshed
bytes become what ships, and the user is told that the session on this machine is spent.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from claude_session_tokens.claude.child_env import (
    profile_home,
    prompt_environment,
    shown_url,
)
from claude_session_tokens.claude.cli import INSTALL
from claude_session_tokens.claude.processes import Completed, LaunchError, run_captured
from claude_session_tokens.core.findings import Finding, FindingError
from claude_session_tokens.core.masked import Masked
from claude_session_tokens.core.redaction import (  # noqa: F401 - SHOWN_CHARS, redact: their old home
    SHOWN_CHARS,
    environment_secrets,
    redact,
)
from claude_session_tokens.core.remedy import FRESH_LOGIN as FRESH_LOGIN_COMMAND
from claude_session_tokens.core.remedy import (
    LOG_IN,
    RUN_AGAIN,
    Command,
    Remedy,
    claude,
    suite,
)
from claude_session_tokens.core.signals import deferred
from claude_session_tokens.k8s.payload import CREDENTIALS_KEY, Payload
from claude_session_tokens.session.credentials import parse_credentials
from claude_session_tokens.session.files import read_secret_file
from claude_session_tokens.session.lifetime import FRESH_LOGIN, hours, now_ms
from claude_session_tokens.session.temp_copies import make_private_dir, remove_tree

if TYPE_CHECKING:
    from claude_session_tokens.suite.session import SessionUnderTest

SC_002_SECONDS = 10.0

SUCCESS = "success"
NOT_LOGGED_IN = "not logged in"
REJECTED = "session rejected"
NETWORK = "network unreachable"
TIME_LIMIT = "time limit exceeded"
CRASHED = "CLI crashed"
UNEXPECTED = "unexpected output"
API_ERROR = "API error"

_NOT_LOGGED_IN = re.compile(r"(?i)not logged in|please run /login")
_REJECTED = re.compile(r"(?i)\b40[13]\b|failed to authenticate|oauth session expired|could not be refreshed|"
                       r"revoked|invalid_grant|authentication_error|token has expired|invalid bearer")
_NETWORK = re.compile(r"(?i)can'?t reach|cannot reach|unable to connect|no response from api|"
                      r"connection (refused|error|reset)|"
                      r"ENOTFOUND|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|"
                      r"socket hang up|fetch failed|getaddrinfo|certificate|self.signed|proxy")
def parse_result(stdout: str) -> dict | None:
    """The CLI's JSON result object, or None when stdout holds none."""
    text = stdout.strip()
    candidates = [text] + [ln.strip() for ln in reversed(text.splitlines()) if ln.strip().startswith("{")]
    for candidate in candidates:
        try:
            data = json.loads(candidate)
        except (ValueError, RecursionError):
            continue
        if isinstance(data, dict) and ("is_error" in data or data.get("type") == "result"):
            return data
    return None


@dataclass(frozen=True)
class Verdict:
    kind: str
    finding: Finding | None


PROXY_VARIABLES = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy")


def intermediaries(env: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    """(variable, URL with credentials masked) of each gateway or proxy the CLI's requests go through."""
    found = []
    for name in ("ANTHROPIC_BASE_URL", *PROXY_VARIABLES):
        value = env.get(name)
        if value and not any(value == v for _, v in found):
            found.append((name, value))
    return tuple((name, shown_url(value)) for name, value in found)


API_URL = "https://api.anthropic.com"


def _without_user(shown: str) -> str:
    """A shown URL without its (masked) credentials, also of a proxy given without a scheme:
    runnable as printed."""
    return re.sub(r"^([A-Za-z][A-Za-z0-9+.\-]*://)?[^/@]*@", r"\1", shown)


def _rejected(details: tuple[str, ...], via: tuple[tuple[str, str], ...]) -> Finding:
    if not via:
        return Finding(
            cause="The test prompt failed: the Claude API rejected the session (401: expired or revoked).",
            why="the tokens that would ship no longer authenticate; the pod could not use them.",
            remedy=FRESH_LOGIN, details=details)
    named = ", ".join(f"{name}={url}" for name, url in via)
    first = _without_user(via[0][1])
    return Finding(
        cause=f"The test prompt failed with 401 (not authenticated), and the request went through {named}: "
              "the gateway or proxy may have answered or changed it, not the Claude API.",
        why="a gateway that rejects or strips the Authorization header answers 401 for a working session; "
            "signing in again would throw that session away (and, with single-use refresh tokens, possibly "
            "the pod's), so check the gateway first.",
        remedy=Remedy("check the gateway/proxy first: ", Command("curl", "-sI", first),
                      "   (curl.exe in PowerShell; is it the right URL, does it pass the Authorization header on "
                      "unchanged?), or run once without it to compare; only when it is not the cause, sign in "
                      "again: ", FRESH_LOGIN),
        details=details)


def _finding(kind: str, said: str, completed: Completed, limit: float, base_url: str | None,
             via: tuple[tuple[str, str], ...] = ()) -> Finding:
    details = [f"the CLI said: {said}"] if said else []
    code = "killed at the limit" if completed.timed_out else f"exit code {completed.returncode}"
    details.append(f"{code}, after {completed.seconds:.1f} s")
    details = tuple(details)
    if kind == NOT_LOGGED_IN:
        return Finding(
            cause="The test prompt failed: the claude CLI found no usable login in the files that would ship.",
            why="a pod given this Secret would start signed out.",
            remedy=f"{LOG_IN}   (then run the checks again; or: {FRESH_LOGIN_COMMAND})",
            details=details)
    if kind == REJECTED:
        return _rejected(details, via or ((("ANTHROPIC_BASE_URL", shown_url(base_url)),) if base_url else ()))
    if kind == NETWORK:
        where = f" (ANTHROPIC_BASE_URL is set: {shown_url(base_url)})" if base_url else ""
        return Finding(
            cause=f"The test prompt failed: the claude CLI could not reach the Claude API{where}.",
            why="without an answer from the API the session cannot be proven to work.",
            remedy=Remedy("check the network: ",
                          Command("curl", "-sI", _without_user(shown_url(base_url)) if base_url else API_URL),
                          "   (curl.exe in PowerShell; HTTPS_PROXY, NO_PROXY and NODE_EXTRA_CA_CERTS pass through to "
                          "the CLI as well), fix what it shows, then run the checks again: ", RUN_AGAIN),
            details=details)
    if kind == TIME_LIMIT:
        return Finding(
            cause=f"The test prompt did not answer within {limit:g} s and was stopped (SC-002).",
            why="a session that cannot answer a one-line prompt in time cannot be shown to work; "
                "the CLI and everything it started were killed.",
            remedy="check the network and run again; if the first start of the CLI is slow (cold disk), "
                   f"allow more time: {suite('--prompt-timeout', str(max(30, int(limit * 3))))}",
            details=details)
    if kind == CRASHED:
        return Finding(
            cause="The test prompt failed: the claude CLI crashed.",
            why="the session could not be tested; the CLI installation may be broken.",
            remedy=Remedy("run ", claude("-p", "hello"), "   yourself to see the error; reinstall: ", INSTALL),
            details=details)
    if kind == API_ERROR:
        return Finding(
            cause="The test prompt failed: the Claude API answered with an error.",
            why="the session could not be shown to work.",
            remedy="read the CLI's message below; when https://status.anthropic.com shows no incident, run the "
                   f"checks again: {RUN_AGAIN}",
            details=details)
    return Finding(
        cause="The test prompt failed: the claude CLI gave no usable answer "
              "(expected a JSON result with is_error false and a non-empty result).",
        why="the CLI sometimes exits 0 without running the prompt; such a run proves nothing about the session.",
        remedy=Remedy("run ", claude("-p", "hello", "--output-format", "json"),
                      "   yourself; upgrade the CLI: ", INSTALL),
        details=details)


def _kind_from_text(text: str) -> str | None:
    if _NOT_LOGGED_IN.search(text):
        return NOT_LOGGED_IN
    if _REJECTED.search(text):
        return REJECTED
    if _NETWORK.search(text):
        return NETWORK
    return None


def judge(completed: Completed, limit: float, secrets: Iterable[Masked] = (),
          base_url: str | None = None, via: tuple[tuple[str, str], ...] = ()) -> Verdict:
    """Sort one run of ``claude -p --output-format json`` into a verdict. ``via``: the gateways and
    proxies the request went through (:func:`intermediaries`)."""
    secrets = list(secrets)

    if completed.timed_out:
        said = redact(completed.output_bytes(), secrets)
        return Verdict(TIME_LIMIT, _finding(TIME_LIMIT, said, completed, limit, base_url, via))
    data = parse_result(completed.stdout)
    if data is not None:
        result = data.get("result")
        shown = result if isinstance(result, str) else json.dumps(result, ensure_ascii=False)
        said = redact(shown, secrets)  # the whole text is masked first, then shortened
        if data.get("is_error") is False and isinstance(result, str) and result.strip():
            return Verdict(SUCCESS, None)
        if data.get("is_error") is True:
            status = data.get("api_error_status")
            kind = REJECTED if status in (401, 403) else (_kind_from_text(said) or API_ERROR)
            return Verdict(kind, _finding(kind, said, completed, limit, base_url, via))
        return Verdict(UNEXPECTED, _finding(UNEXPECTED, said or "(an empty result)", completed, limit, base_url, via))
    text = redact(completed.output_bytes(), secrets)
    kind = _kind_from_text(text)
    if kind is None:
        crashed = completed.returncode is not None and completed.returncode != 0
        kind = CRASHED if crashed else UNEXPECTED
    said = text or "(nothing)"
    return Verdict(kind, _finding(kind, said, completed, limit, base_url, via))


@dataclass(frozen=True)
class PromptRun:
    """One run of the CLI on a copy of the payload. The repr shows neither the CLI's output nor the URL."""

    completed: Completed = field(repr=False)
    credentials_after: Masked[bytes] | None  # the copy's credentials after the run (None: gone)
    removed_variables: tuple[str, ...]
    base_url: str | None = field(repr=False)
    cleanup_problem: str | None
    via: tuple[tuple[str, str], ...] = field(default=(), repr=False)  # gateways/proxies, credentials masked
    read_back_problem: str | None = None  # why the copy's credentials could not be read after the run


def _run_in(root: Path, cli_path: Path, payload: Payload, prompt: str, limit: float,
            environ: Mapping[str, str], platform: str) -> PromptRun:
    home = profile_home(root)
    config_dir = home / ".claude"
    work = root / "work"
    config_dir.mkdir(parents=True, mode=0o700)
    work.mkdir(mode=0o700)
    payload.write_to(config_dir)
    child = prompt_environment(environ, home, platform)
    argv = [str(cli_path), "-p", prompt, "--output-format", "json"]
    try:
        completed = run_captured(argv, env=child.env, limit=limit, cwd=work, platform=platform)
    except LaunchError as err:
        raise FindingError(Finding(
            cause=f"The test prompt could not start the claude CLI at {cli_path} ({err.reason}).",
            why="without the CLI the session cannot be proven to work.",
            remedy=f"{INSTALL}   (or pass the executable: --claude-bin PATH)",
        )) from None
    after_path = config_dir / CREDENTIALS_KEY
    problem = None
    try:  # bounded, regular files only: the CLI may have left anything there
        after = read_secret_file(after_path, "test copy's credentials file", "")
    except FindingError as err:
        after, problem = None, err.finding.cause
    return PromptRun(completed, after, child.removed, child.base_url, None, intermediaries(child.env), problem)


def run_test_prompt(cli_path: Path, payload: Payload, prompt: str, limit: float,
                    environ: Mapping[str, str], platform: str) -> PromptRun:
    """Write ``payload`` into a fresh profile, run the prompt there, read back the credentials, clean up."""
    with deferred():  # a stop now would leave a directory without its owner marker
        root = make_private_dir()  # 0700, with a marker naming this process (temp_copies.py)
    try:
        run = _run_in(root, cli_path, payload, prompt, limit, environ, platform)
    finally:  # Ctrl+C, SIGTERM and SIGHUP (signals.py) come through here too
        with deferred():  # and none of them may cut the removal short
            problem = remove_tree(root)
    return replace(run, cleanup_problem=problem)


@dataclass(frozen=True)
class PromptResult:
    """The verdict of the test prompt, for the check and for the render step's annotations."""

    kind: str
    seconds: float
    finding: Finding | None
    cli_version: str
    removed_variables: tuple[str, ...] = ()
    base_url: str | None = None
    refreshed: bool = False
    warnings: tuple[Finding, ...] = field(default=())

    @property
    def passed(self) -> bool:
        return self.kind == SUCCESS

    def lines(self) -> list[str]:
        lines = [f"claude {self.cli_version}: {self.kind} after {self.seconds:.1f} s"]
        if self.removed_variables:
            lines.append("left out of the CLI's environment: " + ", ".join(self.removed_variables))
        if self.base_url:
            lines.append(f"ANTHROPIC_BASE_URL: {shown_url(self.base_url)}")
        if self.refreshed:
            lines.append("the CLI refreshed the tokens: the refreshed credentials are what ships")
        return lines


def _refresh_outcome(before: Masked[bytes], after: Masked[bytes] | None, access_left_ms: int | None,
                     config_dir: Path) -> tuple[Masked[bytes] | None, list[Finding]]:
    """(credentials to adopt or None, warnings) after comparing the copy's credentials."""
    if after is None or after == before:
        return None, []
    try:
        old, new = parse_credentials(before), parse_credentials(after)
    except FindingError:
        return None, []
    if old.access_token == new.access_token and old.refresh_token == new.refresh_token:
        return None, []  # rewritten, same tokens: ship the verified original bytes
    if not new.refresh_token or not new.access_token:
        return None, [Finding(
            cause="The claude CLI emptied the tokens in the test copy: its refresh failed and it gave up the login.",
            why="the session is dead; the pod could not use it either. Your own profile was not modified.",
            remedy=FRESH_LOGIN,
        )]
    left = f" in about {hours(access_left_ms)}" if access_left_ms and access_left_ms > 0 else ""
    return after, [Finding(
        cause="The claude CLI refreshed the session during the test prompt: the Secret now carries the new "
              "tokens, and the session on this machine is spent.",
        why="refresh tokens are single-use (rotation): the refresh token still in "
            f"{config_dir / CREDENTIALS_KEY} no longer works, so the CLI on this machine stops working when "
            f"its access token expires{left}, or at once where the API has already rejected that token. "
            "Your profile was not modified.",
        remedy="deploy the Secret this run writes (it holds the only live refresh token); if the run ends without "
               f"writing one, the session is gone: run {FRESH_LOGIN_COMMAND}. On this machine run "
               f"{LOG_IN}   when the CLI asks (a separate session, do not give it to the same pod)",
    )]


NOT_READ_BACK = "credentials not read back"


def read_back_failure(before: Masked[bytes], run: PromptRun) -> Finding | None:
    """A finding when the copy's credentials after the prompt cannot be read back as a complete
    session (missing, unreadable, not JSON, tokens missing): the CLI may have rotated them, so the
    tokens read before the prompt may be dead, and the new ones are gone with the copy."""
    if run.credentials_after is not None and run.credentials_after == before:
        return None
    problem = run.read_back_problem
    if problem is None:
        try:
            new = parse_credentials(run.credentials_after)
        except FindingError as err:
            problem = err.finding.cause
        else:
            try:
                old = parse_credentials(before)
                same = old.access_token == new.access_token and old.refresh_token == new.refresh_token
            except FindingError:
                same = False
            if same or (new.access_token and new.refresh_token):
                return None  # unchanged tokens, or a complete refreshed session (judged again before render)
            if not new.access_token and not new.refresh_token:
                return None  # the CLI gave up the login: _refresh_outcome says so
            problem = "the credentials hold only part of a session (an access or a refresh token is empty)"
    problem = problem[:1].lower() + problem[1:]
    return Finding(
        cause="After the test prompt, the credentials in the test copy could not be read back completely "
              f"({problem.rstrip('.')}): treat the session on this machine as spent.",
        why="the CLI may have refreshed (rotated) the tokens during the prompt; then the refresh token on this "
            "machine no longer works and the only live one was in the copy, which is gone.",
        remedy=Remedy("sign in afresh and capture the new session: ", FRESH_LOGIN_COMMAND),
        details=("the tokens read before the prompt are not shipped (they may be dead): nothing is rendered "
                 "from this run",),
    )


def prompt_result_for(session: SessionUnderTest) -> PromptResult:
    """Run the test prompt for a :class:`~claude_session_tokens.suite.session.SessionUnderTest` once.

    Raises :class:`FindingError` when the prompt must not or cannot run (unusable credentials,
    an access token about to expire, no CLI); otherwise returns the verdict, failures included.
    """
    try:
        oauth = session.oauth
    except FindingError as err:
        raise FindingError(Finding(cause="The test prompt was not run: " + err.finding.cause,
                                   why=err.finding.why, remedy=err.finding.remedy,
                                   details=err.finding.details)) from None
    blocker = session.lifetime.prompt_blocker()
    if blocker:
        raise FindingError(blocker)
    cli = session.cli
    payload = session.payload
    settings = session.settings
    run = run_test_prompt(cli.path, payload, settings.prompt, settings.prompt_timeout,
                          session.environ, session.platform)
    secrets = [oauth.access_token, oauth.refresh_token, *environment_secrets(session.environ)]
    unreadable = read_back_failure(payload.credentials, run)
    if unreadable is not None:
        return PromptResult(kind=NOT_READ_BACK, seconds=run.completed.seconds, finding=unreadable,
                            cli_version=cli.version, removed_variables=run.removed_variables,
                            base_url=run.base_url)
    adopted, warnings = _refresh_outcome(payload.credentials, run.credentials_after,
                                         oauth.expires_at_ms - now_ms(), session.location.config_dir)
    if adopted is not None:
        try:
            fresh = parse_credentials(adopted)
            secrets += [fresh.access_token, fresh.refresh_token]
        except FindingError:
            pass
        session.adopt_credentials(adopted)
    verdict = judge(run.completed, settings.prompt_timeout, secrets, run.base_url, run.via)
    if run.cleanup_problem:
        warnings.append(Finding(cause=f"The temporary copy of the session ({run.cleanup_problem}) was left behind.",
                                why="it holds a copy of your session's tokens.",
                                remedy=f"delete it: {run.cleanup_problem}"))
    if verdict.kind == SUCCESS and run.completed.seconds > SC_002_SECONDS:
        warnings.append(Finding(
            cause=f"The test prompt took {run.completed.seconds:.1f} s, more than the {SC_002_SECONDS:g} s of SC-002.",
            why="it passed within --prompt-timeout, but the spec expects an answer within 10 seconds.",
            remedy="run the checks again once the CLI has started once (a cold first start is slow)",
        ))
    return PromptResult(kind=verdict.kind, seconds=run.completed.seconds, finding=verdict.finding,
                        cli_version=cli.version, removed_variables=run.removed_variables,
                        base_url=run.base_url, refreshed=adopted is not None, warnings=tuple(warnings))
