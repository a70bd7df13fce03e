"""Every option of the suite, defined once for ``pytest checks`` and ``python render_secret.py``.

``suite/pytest_options.py`` adds them to pytest's option group; ``render_secret.py`` adds the same to its
argparse parser and forwards them to the in-process pytest run. The README's option table is
this list.
"""

from __future__ import annotations

import argparse
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

GROUP = "claude-session-tokens"


@dataclass(frozen=True)
class Option:
    flag: str
    help: str
    default: Any = None
    type: Callable[[str], Any] | None = None
    action: str | None = None  # "store_true", "append"
    choices: tuple[str, ...] | None = None
    metavar: str | None = None
    aliases: tuple[str, ...] = field(default=())  # extra flags for render_secret.py only

    @property
    def dest(self) -> str:
        return self.flag.lstrip("-").replace("-", "_")

    def shown_help(self) -> str:
        """The help text with the default spelled out (unless the text already says it)."""
        if "(default" in self.help:
            return self.help
        if self.action == "store_true":
            shown = "off"
        elif self.action == "append":
            shown = "none"
        elif self.default is None:
            return self.help
        else:
            shown = f"{self.default:g}" if isinstance(self.default, float) else str(self.default)
        return f"{self.help} (default: {shown})"

    def kwargs(self) -> dict[str, Any]:
        # argparse %-expands help
        kw: dict[str, Any] = {"dest": self.dest, "help": self.shown_help().replace("%", "%%")}
        if self.action:
            kw["action"] = self.action
            kw["default"] = [] if self.action == "append" else bool(self.default)
            if self.action == "append" and self.metavar:
                kw["metavar"] = self.metavar
        else:
            kw["default"] = self.default
            if self.type:
                kw["type"] = self.type
            if self.metavar:
                kw["metavar"] = self.metavar
        if self.choices:
            kw["choices"] = list(self.choices)
        return kw


class OptionValueError(argparse.ArgumentTypeError, ValueError):
    """A bad option value: argparse (and so pytest) shows its message as it is, not "invalid ... value"."""


def _positive(kind: Callable[[str], float]) -> Callable[[str], float]:
    """A parser for a finite number greater than 0."""
    def parse(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            raise OptionValueError(f"expected a number greater than 0, got {text!r}") from None
        if not math.isfinite(value) or value <= 0:
            raise OptionValueError(
                f"must be a finite number greater than 0, got {text!r}")
        return value
    parse.__name__ = kind.__name__
    return parse


# Kubernetes object names (k8s.io/apimachinery validation): a namespace is a DNS-1123 label,
# a Secret's name a DNS-1123 subdomain. The default namespace is a placeholder for envsubst.
_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS_1123_LABEL = re.compile(_LABEL)
_DNS_1123_SUBDOMAIN = re.compile(rf"{_LABEL}(\.{_LABEL})*")
_PLACEHOLDER = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*\}")


def namespace_name(text: str) -> str:
    """``--namespace``: a DNS-1123 label (at most 63 characters), or a ``${VAR}`` placeholder."""
    if _PLACEHOLDER.fullmatch(text) or (len(text) <= 63 and _DNS_1123_LABEL.fullmatch(text)):
        return text
    raise OptionValueError(
        f"{text!r} is not a Kubernetes namespace name: at most 63 characters, lower-case letters, digits "
        "and '-', starting and ending with a letter or digit (e.g. agents), or the placeholder ${NAMESPACE}")


def secret_name(text: str) -> str:
    """``--secret-name``: a DNS-1123 subdomain (at most 253 characters)."""
    if len(text) <= 253 and _DNS_1123_SUBDOMAIN.fullmatch(text):
        return text
    raise OptionValueError(
        f"{text!r} is not a Kubernetes Secret name: at most 253 characters, lower-case letters, digits, "
        "'-' and '.', starting and ending with a letter or digit (e.g. claude-session-tokens)")


def directory_name(text: str) -> str:
    """``--claude-config-dir``: a directory; an empty value would silently mean the default one."""
    if text.strip():
        return text
    raise OptionValueError("an empty directory name would silently verify the default profile instead: "
                           "name the directory, or leave the option out for the default")


directory_name.__name__ = "directory"
namespace_name.__name__ = "namespace"
secret_name.__name__ = "Secret name"


OPTIONS: tuple[Option, ...] = (
    # where the session is
    Option("--claude-config-dir", "Session directory to verify (default: $CLAUDE_CONFIG_DIR, "
           "else %USERPROFILE%\\.claude on Windows, else ~/.claude).", type=directory_name, metavar="DIR"),
    Option("--credentials-source", "Where the credentials are read from: 'auto' (macOS Keychain on "
           "macOS, falling back to the file), 'file' or 'keychain'.", default="auto",
           choices=("auto", "file", "keychain")),
    Option("--expected-subscription", "The subscriptionType the session must have.", default="max",
           metavar="TYPE"),
    # the claude CLI and the test prompt
    Option("--claude-bin", "The claude executable (default: 'claude' found on PATH).", metavar="PATH"),
    Option("--prompt", "The test prompt sent with 'claude -p'.", default="Reply with the single word: ok",
           metavar="TEXT"),
    Option("--prompt-timeout", "Seconds the test prompt may take before it is stopped (SC-002).",
           default=10.0, type=_positive(float), metavar="SECONDS"),
    Option("--fresh-login", "Log out and log in again first (FR-001, FR-002, SC-001); the login "
           "runs in your terminal.", action="store_true"),
    Option("--login-timeout", "Seconds the fresh login may take (SC-001).", default=120.0,
           type=_positive(float), metavar="SECONDS"),
    Option("--min-validity", "Hours the captured session must stay usable (SC-005).", default=24.0,
           type=_positive(float), metavar="HOURS"),
    # the Secret
    Option("--secret-name", "metadata.name of the Secret.", default="claude-session-tokens", type=secret_name,
           metavar="NAME"),
    Option("--namespace", "metadata.namespace of the Secret (default: the placeholder ${NAMESPACE} "
           "for envsubst).", default="${NAMESPACE}", type=namespace_name, metavar="NS"),
    Option("--secret-out", "Where the Secret is written (default: secrets/<name>.yaml in the "
           "project).", metavar="PATH"),
    Option("--secret-format", "Output format of the Secret.", default="yaml", choices=("yaml", "json"),
           aliases=("-o", "--output")),
    Option("--dry-run", "Print the Secret to stdout instead of writing it (FR-007).", action="store_true"),
    Option("--hand-off", "After the Secret is written and synced to disk, remove this machine's copy of "
           "the captured session (the credentials file, or the macOS Keychain item) so the pod alone holds "
           "it; never 'claude auth logout', which would end the pod's session too. Not with --dry-run.",
           action="store_true"),
    Option("--kubernetes-version", "Kubernetes version to validate the Secret against (default: the "
           "newest kubernetes-validate knows).", metavar="X.Y.Z"),
    Option("--include", "Another file of the config dir to put into the Secret (repeatable).",
           action="append", metavar="FILE"),
    Option("--keep-credential-keys", "Keep other top-level entries of .credentials.json (mcpOAuth, "
           "...) in the Secret instead of only claudeAiOauth.", action="store_true"),
    # setup-token mode (credential_kind.py): one long-lived token instead of the session files
    Option("--oauth-token-file", "Render a 'claude setup-token' token instead of the session files: read it "
           "from PATH ('-': standard input, a pipe or a redirected file; never pass the token itself on the "
           "command line). Secret default: claude-oauth-token, key CLAUDE_CODE_OAUTH_TOKEN.", metavar="PATH"),
    Option("--setup-token", "Run 'claude setup-token' in your terminal and capture the token it prints "
           "(shown masked, never again in full); then verify and render it as with --oauth-token-file.",
           action="store_true"),
    # reports
    Option("--reports-dir", "Where summary.md (and, unless --junitxml says otherwise, junit.xml) "
           "are written (default: reports/ in the project).", metavar="DIR"),
)


NOT_WITH_DRY_RUN = ("--hand-off cannot be combined with --dry-run: the hand-off removes this machine's copy "
                    "of the session only after the Secret has been written, and --dry-run writes nothing. "
                    "Fix: drop one of them (preview with --dry-run first, then run with --hand-off)")


def _default(dest: str) -> Any:  # noqa: ANN401 - options' defaults differ in type (str, float, bool, tuple)
    """The default of option ``dest`` from OPTIONS, so Settings() and the CLI never disagree."""
    option = next(o for o in OPTIONS if o.dest == dest)
    if option.action == "append":
        return ()
    if option.action == "store_true":
        return bool(option.default)
    return option.default


def _defaults_from_options(cls: type) -> type:
    """Give each field of ``cls`` that has no default of its own the default of its option."""
    for dest in cls.__annotations__:
        if not hasattr(cls, dest):
            setattr(cls, dest, _default(dest))
    return cls


@dataclass(frozen=True)
@_defaults_from_options
class Settings:
    """The option values of one run, typed; the defaults are those of OPTIONS."""

    claude_config_dir: str | None
    credentials_source: str
    expected_subscription: str
    claude_bin: str | None
    prompt: str
    prompt_timeout: float
    fresh_login: bool
    login_timeout: float
    min_validity: float
    secret_name: str
    namespace: str
    secret_out: str | None
    secret_format: str
    dry_run: bool
    hand_off: bool
    kubernetes_version: str | None
    include: tuple[str, ...]
    keep_credential_keys: bool
    reports_dir: str | None
    oauth_token_file: str | None
    setup_token: bool
    project_root: Path = Path(".")

    def __post_init__(self) -> None:
        from claude_session_tokens.kinds.credential_kind import (
            SESSION_SECRET_NAME,
            for_settings,
        )
        if self.secret_name == SESSION_SECRET_NAME:  # the default: each credential kind has its own
            object.__setattr__(self, "secret_name", for_settings(self).default_secret_name)

    @classmethod
    def from_values(cls, get: Callable[[str], Any], project_root: Path) -> Settings:
        values = {o.dest: get(o.dest) for o in OPTIONS}
        values["include"] = tuple(values["include"] or ())
        return cls(project_root=project_root, **values)

    def usage_problem(self) -> str | None:
        """Why these options cannot be used together, or None."""
        if self.hand_off and self.dry_run:
            return NOT_WITH_DRY_RUN
        from claude_session_tokens.kinds.credential_kind import usage_problem
        return usage_problem(self)

    def reports_path(self) -> Path:
        return Path(self.reports_dir) if self.reports_dir else self.project_root / "reports"

    def secret_path(self) -> Path:
        if self.secret_out:
            return Path(self.secret_out)
        suffix = "json" if self.secret_format == "json" else "yaml"
        return self.project_root / "secrets" / f"{self.secret_name}.{suffix}"
