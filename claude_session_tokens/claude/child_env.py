"""The environment the ``claude`` CLI runs in when the suite starts it.

The CLI prefers credentials from the environment over the stored session (highest precedence
first: ``ANTHROPIC_AUTH_TOKEN``, then ``ANTHROPIC_API_KEY``, then ``CLAUDE_CODE_OAUTH_TOKEN``,
then the files; docs/claude-cli-facts.md, The headless prompt). A leftover key would make a
dead session look alive, so every variable that can supply or redirect authentication is
removed. Network settings (``ANTHROPIC_BASE_URL``, ``HTTPS_PROXY``, ``NO_PROXY``,
``NODE_EXTRA_CA_CERTS``, mutual-TLS client certificates) pass through unchanged.

For the test prompt the child also gets ``HOME`` (``USERPROFILE`` on Windows) and
``CLAUDE_CONFIG_DIR`` pointing at a throw-away copy of what ships, ``CLAUDE_CODE_MAX_RETRIES=0``
(so an unreachable network fails in about a second instead of ~3 minutes) and
``DISABLE_AUTOUPDATER=1`` (a check must not update the user's CLI).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from claude_session_tokens.core.auth_variables import overrides_session
from claude_session_tokens.core.platforms import is_windows

# The variables reported to the user when set in their own environment (auth_env.py).
USER_FACING_OVERRIDES = ("ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_API_KEY", "CLAUDE_CODE_OAUTH_TOKEN")
# Where the CLI looks for home and profile: replaced for the test prompt.
_HOME_VARIABLES = ("HOME", "USERPROFILE", "HOMEDRIVE", "HOMEPATH", "CLAUDE_CONFIG_DIR")


@dataclass(frozen=True)
class ChildEnvironment:
    """The environment for one child, and what was taken out of it (names only)."""

    env: dict[str, str]
    removed: tuple[str, ...]

    @property
    def base_url(self) -> str | None:
        return self.env.get("ANTHROPIC_BASE_URL") or None


def without_auth_overrides(environ: Mapping[str, str]) -> ChildEnvironment:
    """``environ`` minus every variable that could stand in for the session."""
    env = {k: v for k, v in environ.items() if not overrides_session(k)}
    removed = tuple(sorted(k for k in environ if overrides_session(k)))
    return ChildEnvironment(env, removed)


def profile_home(root: Path) -> Path:
    """The fake home of a throw-away profile; the config dir is ``<home>/.claude``."""
    return root / "home"


def prompt_environment(environ: Mapping[str, str], home: Path, platform: str) -> ChildEnvironment:
    """The scrubbed environment of a CLI run against the throw-away profile under ``home``."""
    scrubbed = without_auth_overrides(environ)
    env = {k: v for k, v in scrubbed.env.items() if k.upper() not in _HOME_VARIABLES}
    env["HOME"] = str(home)
    if is_windows(platform):
        env["USERPROFILE"] = str(home)
    env["CLAUDE_CONFIG_DIR"] = str(home / ".claude")
    env["CLAUDE_CODE_MAX_RETRIES"] = "0"
    env["DISABLE_AUTOUPDATER"] = "1"
    return ChildEnvironment(env, scrubbed.removed)


def login_environment(environ: Mapping[str, str], cli_config_dir: str | None) -> ChildEnvironment:
    """The environment of ``claude auth logout/login``: the user's own profile, no overrides.

    ``CLAUDE_CONFIG_DIR`` is exactly the value that names the profile for the CLI
    (``SessionLocation.cli_config_dir``: the user's own variable unchanged, or the option), and
    absent for the default ``~/.claude``: any other spelling would move the global config and,
    on macOS, the Keychain item the login writes.
    """
    scrubbed = without_auth_overrides(environ)
    env = dict(scrubbed.env)
    if cli_config_dir:
        env["CLAUDE_CONFIG_DIR"] = cli_config_dir
    else:
        env.pop("CLAUDE_CONFIG_DIR", None)
    return ChildEnvironment(env, scrubbed.removed)


def shown_url(url: str) -> str:
    """``url`` for the report: user:password masked, query and fragment dropped (``?api_key=...``).
    A proxy given without a scheme (``user:pw@proxy:3128``) is read as ``http://`` and shown as given."""
    scheme_less = "://" not in url
    try:
        parts = urlsplit("http://" + url if scheme_less else url)
        _ = parts.port  # raises for an unparsable port
    except ValueError:
        return "(unparsable URL)"
    if parts.username or parts.password or "@" in parts.netloc:
        parts = parts._replace(netloc="***@" + parts.netloc.rsplit("@", 1)[1])  # the host as written ([::1]:8080)
    text = urlunsplit(parts._replace(query="", fragment=""))  # still a URL: remedies may quote it
    return text.removeprefix("http://") if scheme_less else text
