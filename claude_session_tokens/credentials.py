"""Parse and judge ``.credentials.json`` (domain.md section 3) without ever showing a token.

Messages name fields and JSON types only. Numbers (``expiresAt``) may be shown; strings taken
from the file (the scopes, ``subscriptionType``, key names) only when they are provably harmless
plain names (:mod:`claude_session_tokens.shown_values`), else by type and length; tokens never are.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from . import remedy
from .findings import Finding, FindingError
from .remedy import Remedy
from .secret import Secret
from .shown_values import is_harmless, shown, shown_list

OAUTH_KEY = "claudeAiOauth"
INFERENCE_SCOPE = "user:inference"
RELOGIN = Remedy(remedy.RELOGIN)
_SESSION_TOKEN = re.compile(r"^sk-ant-oat\d{2}-[\w-]{20,}$")
_API_KEY_PREFIXES = ("sk-ant-api", "sk-ant-admin")
_SECONDS_NOT_MS = 100_000_000_000  # 1973 in ms, 5138 in s: below this, a value is seconds


@dataclass(frozen=True)
class OAuthSession:
    """The ``claudeAiOauth`` entry, tokens masked."""

    access_token: Secret[str]
    refresh_token: Secret[str]
    expires_at_ms: int
    scopes: tuple[str, ...]
    subscription_type: str | None
    refresh_token_expires_at_ms: int | None
    other_keys: tuple[str, ...]  # top-level keys besides claudeAiOauth (mcpOAuth, ...)

    @property
    def fingerprint(self) -> str:
        """Names this sign-in without revealing it: a short hash of the refresh token."""
        return self.refresh_token.fingerprint()


def _type_name(value: object) -> str:
    return {dict: "object", list: "array", str: "string", bool: "boolean",
            int: "number", float: "number", type(None): "null"}.get(type(value), type(value).__name__)


def _invalid(cause: str, *details: str) -> FindingError:
    return FindingError(Finding(
        cause=f"The credentials are not a Claude Code session: {cause}",
        why="the Claude CLI in the pod would treat the session as signed out.",
        remedy=RELOGIN,
        details=details,
    ))


def load_json_object(blob: Secret[bytes], what: str) -> dict:
    """Decode ``blob`` as one JSON object; errors give positions, never content."""
    try:
        text = blob.reveal().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _invalid(f"{what} is not UTF-8 text (bad byte at offset {exc.start}).") from None
    if text.startswith("\ufeff"):
        raise _invalid(f"{what} starts with a byte-order mark; an editor has re-saved it.")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _invalid(f"{what} is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno}).") from None
    except RecursionError:
        raise _invalid(f"{what} is nested too deeply to be a credentials file.") from None
    if not isinstance(data, dict):
        raise _invalid(f"{what} holds a JSON {_type_name(data)}, not an object.")
    return data


def parse_credentials(blob: Secret[bytes]) -> OAuthSession:
    """Read the OAuth session out of the file's bytes, or raise a :class:`FindingError`."""
    data = load_json_object(blob, ".credentials.json")
    oauth = data.get(OAUTH_KEY)
    if oauth is None:
        keys = shown_list(sorted(map(str, data)))
        raise _invalid(f'there is no "{OAUTH_KEY}" entry (top-level keys: {keys}).')
    if not isinstance(oauth, dict):
        raise _invalid(f'"{OAUTH_KEY}" is a JSON {_type_name(oauth)}, not an object.')

    problems = []
    access, refresh = oauth.get("accessToken"), oauth.get("refreshToken")
    for name, value in (("accessToken", access), ("refreshToken", refresh)):
        if not isinstance(value, str):
            problems.append(f"{name} is a {_type_name(value)}, expected a string" if name in oauth
                            else f"{name} is missing")
    expires = oauth.get("expiresAt")
    if isinstance(expires, bool) or not isinstance(expires, int):
        problems.append(f"expiresAt is a {_type_name(expires)}, expected an integer (epoch milliseconds)"
                        if "expiresAt" in oauth else "expiresAt is missing")
    scopes = oauth.get("scopes")
    if not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes):
        problems.append("scopes is missing" if "scopes" not in oauth
                        else "scopes must be an array of strings")
    subscription = oauth.get("subscriptionType")
    if subscription is not None and not isinstance(subscription, str):
        problems.append(f"subscriptionType is a {_type_name(subscription)}, expected a string or null")
    refresh_end = oauth.get("refreshTokenExpiresAt")
    if refresh_end is not None and (isinstance(refresh_end, bool) or not isinstance(refresh_end, (int, float))):
        problems.append(f"refreshTokenExpiresAt is a {_type_name(refresh_end)}, expected a number")
    if problems:
        raise _invalid("some fields have the wrong type.", *problems)

    return OAuthSession(
        access_token=Secret(access),
        refresh_token=Secret(refresh),
        expires_at_ms=expires,
        scopes=tuple(scopes),
        subscription_type=subscription,
        refresh_token_expires_at_ms=int(refresh_end) if refresh_end is not None else None,
        other_keys=tuple(sorted(str(k) for k in data if k != OAUTH_KEY)),
    )


def session_problems(session: OAuthSession, expected_subscription: str) -> list[str]:
    """What keeps a well-formed session from being a usable one for this mission."""
    problems = []
    access = session.access_token.reveal()
    if not access:
        problems.append("accessToken is empty")
    elif access.startswith(_API_KEY_PREFIXES):
        problems.append("accessToken has the shape of an API key (sk-ant-api.../sk-ant-admin...), "
                        "not of a subscription session token (sk-ant-oat...)")
    if not session.refresh_token:
        problems.append("refreshToken is empty: the CLI wipes it when a login has died "
                        "(OAuth session expired and could not be refreshed)")
    if session.expires_at_ms <= 0:
        problems.append(f"expiresAt is {session.expires_at_ms}: the CLI sets 0 when it wipes a dead login")
    elif session.expires_at_ms < _SECONDS_NOT_MS:
        problems.append(f"expiresAt is {session.expires_at_ms}, which looks like seconds; "
                        "the CLI writes epoch milliseconds")
    if INFERENCE_SCOPE not in session.scopes:
        problems.append(f'scopes lack "{INFERENCE_SCOPE}" (found: {shown_list(session.scopes)}); '
                        "the CLI treats such a login as absent")
    if session.subscription_type != expected_subscription:
        problems.append(f"subscriptionType is {shown(session.subscription_type)}, expected "
                        f"{json.dumps(expected_subscription)} ({_subscription_remedy(session.subscription_type)})")
    return problems


def _subscription_remedy(found: str | None) -> str:
    """Sign in with the right account, or accept the one found, quoted only when harmless."""
    accept = (f"pass --expected-subscription {found} if this is intended" if is_harmless(found)
              else "pass --expected-subscription with the intended value")
    return f"sign in with the Claude Max account, or {accept}"


def token_shape_warning(session: OAuthSession) -> str | None:
    """A note when the access token does not look like today's session tokens (formats change)."""
    access = session.access_token.reveal()
    if access and not access.startswith(_API_KEY_PREFIXES) and not _SESSION_TOKEN.match(access):
        return "accessToken does not have the usual sk-ant-oat..-... shape; the CLI may have changed its format"
    return None
