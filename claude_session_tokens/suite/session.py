"""The session under test: discovered once, read once, shared by every check.

``claude_session`` (the suite's public fixture) is one :class:`SessionUnderTest`, and its
documentation is this class's docstring (``pytest --fixtures`` shows it).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any, TypeVar

from claude_session_tokens.core.background import BackgroundCall
from claude_session_tokens.core.findings import Finding, FindingError, os_reason
from claude_session_tokens.core.masked import Masked
from claude_session_tokens.core.platforms import current_platform
from claude_session_tokens.core.remedy import LOG_IN, suite
from claude_session_tokens.k8s.payload import Payload, build_payload
from claude_session_tokens.session import credentials as creds
from claude_session_tokens.session.discovery import SessionLocation, discover
from claude_session_tokens.session.files import grant_access_command, inspect_file
from claude_session_tokens.session.listing import Entry, list_session_dir
from claude_session_tokens.session.sources import (
    FileCredentialSource,
    InMissingDirectory,
)
from claude_session_tokens.suite.options import Settings

if TYPE_CHECKING:
    from claude_session_tokens.claude.cli import ClaudeCli
    from claude_session_tokens.claude.prompt import PromptResult
    from claude_session_tokens.kinds.credential_kind import CredentialKind
    from claude_session_tokens.kinds.token_mode import CapturedToken
    from claude_session_tokens.session.lifetime import Lifetime

T = TypeVar("T")


class _Memo:
    """Caches a value or the FindingError that computing it raised."""

    def __init__(self) -> None:
        self._store: dict[str, tuple[bool, Any]] = {}

    def get(self, key: str, compute: Callable[[], T]) -> T:
        if key not in self._store:
            try:
                self._store[key] = (True, compute())
            except FindingError as err:
                self._store[key] = (False, err)
        ok, value = self._store[key]
        if ok:
            return value
        raise FindingError(value.finding)

    def forget(self, *keys: str) -> None:
        for key in keys:
            self._store.pop(key, None)


class SessionUnderTest:
    """The session under test: what a check of ``checks/`` may use, discovered once per run.

    A check asks for it by name (``def test_x(claude_session): ...``). Every part is computed on
    first use and cached, failures included: a part that cannot be computed raises the same
    ``FindingError`` (cause, why it matters, the fix) to every check that reads it, so each such
    check fails with that finding instead of a traceback. No part shows a token when printed:
    credentials are ``Masked`` values.

    The run: ``settings`` (the options, ``suite.options.Settings``), ``environ`` (a copy of the
    environment), ``platform`` (``linux``, ``darwin``, ``win32``), ``kind`` (the credential kind:
    the session files, or a setup-token token; ``kind.is_token``).

    Where the session is: ``location`` (directory, credential source, global config, how they were
    found), ``directory_problem()`` (why the directory cannot be used, or None), ``listing`` (the
    directory's entries), ``global_config_state()`` (``present``, ``missing`` or why not usable).

    The credentials: ``credentials_blob`` (the raw bytes, ``Masked``), ``oauth`` (the parsed
    session), ``oauth_problems()`` (what makes it no Claude Max session), ``lifetime`` (how long it
    lasts); in setup-token mode ``oauth_token`` (the token under test).

    What ships and how it is proven: ``payload`` (the exact files of the Secret), ``cli`` (the
    ``claude`` CLI that was found), ``prompt_result`` (the test prompt, run at most once).

    ``describe()`` gives name/value pairs for headers and reports (never secret); ``known(key)``
    a part already computed, without computing it. The other methods (``adopt_*``,
    ``reload_credentials``, ``start_listing``) are the suite's own, for the login, the prompt and
    the render step.
    """

    def __init__(self, settings: Settings, environ: Mapping[str, str] | None = None,
                 platform: str | None = None) -> None:
        self.settings = settings
        self.environ = dict(os.environ if environ is None else environ)
        self.platform = platform or current_platform()
        self._memo = _Memo()
        self._listing_started: BackgroundCall | None = None
        self.stdin_token: Masked[bytes] | FindingError | None = None  # --oauth-token-file -, read before capture
        # set when Ctrl-C stopped the fresh login after the logout: the command that signs in again
        self.interrupted_after_logout: str | None = None
        # the RenderResult once its Secret is on disk: a stop after the write (during the hand-off)
        # must report the Secret written, not "nothing was written"
        self.written: Any = None
        # git's answer about the Secret's destination (git_safety.DestinationVerdict), asked once
        # per run by test_35 and reused by the render step
        self.git_verdict: Any = None

    def known(self, key: str) -> Any:  # noqa: ANN401 - the part named by key: its type follows the key
        """A part already computed (``"cli"``, ``"oauth"``, ...), or None: never computes it."""
        ok, value = self._memo._store.get(key, (False, None))
        return value if ok else None

    # --- setup-token mode (credential_kind.py, token_mode.py) ------------------------------
    @property
    def kind(self) -> CredentialKind:
        """The credential kind of this run: the session files, or a setup-token token."""
        from claude_session_tokens.kinds.credential_kind import for_settings
        return for_settings(self.settings)

    @property
    def oauth_token(self) -> CapturedToken:
        """The setup-token token under test (token_mode.CapturedToken), read and judged once."""
        from claude_session_tokens.kinds.token_mode import read_token

        def compute():
            if self.settings.setup_token:
                raise FindingError(Finding(
                    cause="No token was captured: 'claude setup-token' did not finish in this run (see test_00).",
                    why="there is no token to verify or to put into the Secret.",
                    remedy="run it again in an interactive terminal: python render_secret.py --setup-token"))
            return read_token(self, self.stdin_token)
        return self._memo.get("oauth_token", compute)

    def adopt_token(self, token: Masked[str]) -> None:
        """The token ``claude setup-token`` printed in this run becomes the one under test."""
        from claude_session_tokens.kinds.token_mode import captured
        self._memo.forget("oauth_token", "payload", "prompt_result")
        value = captured(self, token)
        self._memo.get("oauth_token", lambda: value)

    # --- where it is -------------------------------------------------------------------
    @property
    def location(self) -> SessionLocation:
        def compute() -> SessionLocation:
            found = discover(self.settings.claude_config_dir, self.environ, self.platform,
                             self.settings.credentials_source)
            if isinstance(found.credentials, FileCredentialSource) and inspect_file(found.config_dir).kind == "missing":
                # one root cause, said once: the checks of the credentials name the missing directory
                return replace(found, credentials=InMissingDirectory(found.credentials, self.directory_problem))
            return found
        return self._memo.get("location", compute)

    def directory_problem(self) -> Finding | None:
        """Why the session directory cannot be used, or None."""
        directory = self.location.config_dir
        state = inspect_file(directory)
        if state.kind == "directory":
            return None
        if state.kind == "unreachable":
            return Finding(
                cause=f"The session directory {directory} cannot be looked at by the current user ({state.reason}).",
                why="the Claude CLI keeps the signed-in session there; the suite cannot check or capture it.",
                remedy=grant_access_command(directory.parent, directory=True, platform=self.platform),
            )
        if state.exists:
            cause = f"The session directory {directory} is not a directory."
        else:
            cause = f"The session directory {directory} does not exist (found via {self.location.origin})."
        return Finding(
            cause=cause,
            why="the Claude CLI keeps the signed-in session there; without it there is nothing to capture.",
            remedy=f"{LOG_IN}   (it creates the directory), or point the suite at the right one: "
                   f"{suite('--claude-config-dir', '<dir>')}",
        )

    # --- what is in it -------------------------------------------------------------------
    @property
    def listing(self) -> list[Entry]:
        def compute() -> list[Entry]:
            problem = self.directory_problem()
            if problem:
                raise FindingError(problem)
            started, self._listing_started = self._listing_started, None
            try:
                if started is not None:
                    return started.result()
                return list_session_dir(self.location.config_dir, self.platform)
            except OSError as exc:
                raise FindingError(Finding(
                    cause=f"The session directory {self.location.config_dir} cannot be listed "
                          f"({os_reason(exc)}).",
                    why="the suite must see which session files exist before it packages them.",
                    remedy="give your user read access: " + grant_access_command(
                        self.location.config_dir, directory=True, platform=self.platform),
                )) from None
        return self._memo.get("listing", compute)

    def start_listing(self) -> None:
        """Start FR-005's listing now, in the background (a big ``projects/`` takes a while);
        :attr:`listing` collects it with the same entries, or the same Finding, as a direct call.
        Not with --fresh-login: the login rewrites the directory, which is listed afterwards; not in
        setup-token mode, where FR-005 does not apply and the directory is not read."""
        if self.settings.fresh_login or self._listing_started is not None or self.kind.is_token:
            return
        try:
            directory = self.location.config_dir
        except FindingError:
            return  # the checks report why the session was not found
        self._listing_started = BackgroundCall(list_session_dir, directory, self.platform, name="fr-005-listing")

    # --- the credentials -----------------------------------------------------------------
    @property
    def credentials_blob(self) -> Masked[bytes]:
        """The raw bytes of the credentials, exactly as the source holds them."""
        return self._memo.get("credentials_blob", lambda: self.location.credentials.read())

    @property
    def oauth(self) -> creds.OAuthSession:
        return self._memo.get("oauth", lambda: creds.parse_credentials(self.credentials_blob))

    def oauth_problems(self) -> list[str]:
        return creds.session_problems(self.oauth, self.settings.expected_subscription)

    # --- what ships -----------------------------------------------------------------------
    @property
    def payload(self) -> Payload:
        """The exact files of the Secret. The test prompt runs on these bytes; render uses them."""
        if self.kind.is_token:
            from claude_session_tokens.kinds.token_mode import payload
            return self._memo.get("payload", lambda: payload(self.oauth_token))
        return self._memo.get("payload", lambda: build_payload(
            self.credentials_blob, self.location.global_config, self.location.config_dir,
            self.settings.include, self.settings.keep_credential_keys))

    def adopt_credentials(self, blob: Masked[bytes]) -> None:
        """Ship ``blob`` instead: the CLI refreshed the tokens inside the verified copy."""
        updated = self.payload.with_credentials(blob)
        self._memo.forget("payload")
        self._memo.get("payload", lambda: updated)

    # --- the claude CLI, the session's lifetime and the test prompt -------------------------
    @property
    def cli(self) -> ClaudeCli:
        """The ``claude`` CLI that was found and answered ``--version`` (cli.ClaudeCli)."""
        from claude_session_tokens.claude.cli import find_cli
        return self._memo.get("cli", lambda: find_cli(
            self.settings.claude_bin, self.environ, self.platform, self.settings.project_root))

    @property
    def lifetime(self) -> Lifetime:
        """How long the credentials can last (lifetime.Lifetime), judged once per run."""
        from claude_session_tokens.session.lifetime import assess, now_ms
        return self._memo.get("lifetime", lambda: assess(self.oauth, now_ms(), self.settings.min_validity))

    @property
    def prompt_result(self) -> PromptResult:
        """The test prompt's verdict (prompt.PromptResult), run at most once per run."""
        from claude_session_tokens.claude.prompt import prompt_result_for
        if self.kind.is_token:
            from claude_session_tokens.kinds.token_mode import prompt_result
            return self._memo.get("prompt_result", lambda: prompt_result(self, self.oauth_token))
        return self._memo.get("prompt_result", lambda: prompt_result_for(self))

    def reload_credentials(self) -> None:
        """Forget everything read from the session: a fresh login has replaced it.

        The location goes too, so discovery runs again: on macOS the credential source holds
        the Keychain lookup made at discovery, and the login may have written the item (or,
        with no item before, moved the session from the file into the Keychain).
        """
        self._memo.forget("location", "listing", "credentials_blob", "oauth", "payload", "lifetime",
                          "prompt_result")

    # --- the global config ---------------------------------------------------------------
    def global_config_state(self) -> str:
        """'present', 'missing', or a short reason it cannot be used (never its content)."""
        path = self.location.global_config
        state = inspect_file(path)
        if state.kind in ("missing", "broken symlink"):
            return "missing"
        if state.kind == "unreachable":
            return f"unreachable ({state.reason})"
        if state.kind != "file":
            return "not a regular file"
        try:  # without blocking: a FIFO swapped in after the look above cannot hang open()
            os.close(os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)))
        except OSError as exc:
            return f"unreadable ({os_reason(exc)})"
        return "present"

    def describe(self) -> list[tuple[str, str]]:
        """Name/value pairs for the header and the report; never secret."""
        if self.kind.is_token:
            try:
                return self.oauth_token.describe()
            except FindingError as err:
                if self.settings.setup_token:
                    return [("credential", "setup-token token, to be captured from 'claude setup-token' in this run")]
                return [("credential", f"setup-token token: {err.finding.cause}")]
        try:
            return self.location.describe()
        except FindingError as err:
            return [("session", f"not found: {err.finding.cause}")]
