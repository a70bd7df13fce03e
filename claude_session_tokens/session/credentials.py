"""Parse and judge ``.credentials.json`` without ever showing a token (its form:
docs/claude-cli-facts.md, The credentials file).

Messages name fields and JSON types only. Numbers (``expiresAt``) may be shown; strings taken
from the file (the scopes, ``subscriptionType``, key names) only when they are provably harmless
plain names (:mod:`claude_session_tokens.core.shown_values`), else by type and length; tokens never are.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

from claude_session_tokens.core import remedy
from claude_session_tokens.core.findings import Finding, FindingError
from claude_session_tokens.core.masked import Masked
from claude_session_tokens.core.remedy import Remedy
from claude_session_tokens.core.shown_values import is_harmless, shown, shown_list

OAUTH_KEY = "claudeAiOauth"
INFERENCE_SCOPE = "user:inference"
RELOGIN = Remedy(remedy.RELOGIN)
_SESSION_TOKEN = re.compile(r"^sk-ant-oat\d{2}-[\w-]{20,}$")
_API_KEY_PREFIXES = ("sk-ant-api", "sk-ant-admin")
_SECONDS_NOT_MS = 100_000_000_000  # 1973 in ms, 5138 in s: below this, a value is seconds
# 9999-12-31T23:59:59Z: the latest moment every platform can show. An expiresAt the CLI reads as
# "never expires" (missing, null, not a number, Infinity) stands for this moment in arithmetic.
FAR_FUTURE_MS = 253_402_300_799_000
FORMS_DOC = "docs/cli-credentials-forms.md"


@dataclass(frozen=True)
class OAuthSession:
    """The ``claudeAiOauth`` entry, tokens masked."""

    access_token: Masked[str]
    refresh_token: Masked[str]
    expires_at_ms: int
    scopes: tuple[str, ...]
    subscription_type: str | None
    refresh_token_expires_at_ms: int | None
    other_keys: tuple[str, ...]  # top-level keys besides claudeAiOauth (mcpOAuth, ...)
    # How the CLI reads forms other than the usual ones (docs/cli-credentials-forms.md):
    scopes_text: str | None = None  # scopes given as one string: the CLI looks for a substring
    expiry_unknown: bool = False  # expiresAt gives no moment: the CLI never refreshes before a 401
    form_notes: tuple[str, ...] = ()  # forms the CLI accepts that it never writes itself

    @property
    def has_inference_scope(self) -> bool:
        """``scopes.includes("user:inference")`` as the CLI evaluates it, for an array or a string."""
        return INFERENCE_SCOPE in (self.scopes if self.scopes_text is None else self.scopes_text)

    @property
    def fingerprint(self) -> str:
        """Names this sign-in without revealing it: a short hash of the refresh token."""
        return self.refresh_token.fingerprint()


def _type_name(value: object) -> str:
    return {dict: "object", list: "array", str: "string", bool: "boolean",
            int: "number", float: "number", type(None): "null"}.get(type(value), type(value).__name__)


def _a(name: str) -> str:
    return ("an " if name[:1] in "aeiou" else "a ") + name


def _invalid(cause: str, *details: str) -> FindingError:
    return FindingError(Finding(
        cause=f"The credentials are not a Claude Code session: {cause}",
        why="the Claude CLI in the pod would treat the session as signed out.",
        remedy=RELOGIN,
        details=details,
    ))


def _not_json(name: str) -> None:
    raise ValueError(name)


def js_int(text: str) -> int | float:
    """An integer literal as ``JSON.parse`` reads it: one with more digits than Python converts
    (4300 by default) is beyond any double, so JavaScript reads it as +/-Infinity."""
    try:
        return int(text)
    except ValueError:
        return float("-inf") if text.startswith("-") else float("inf")


def _surrogate_path(value: object, path: str = "") -> str | None:
    """Where the first lone surrogate escape (``"\\ud800"``) is: a key or string that is no text."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return path or "a string"
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            name = shown(key, quote=False) if _surrogate_path(key) is None else "a key"
            found = _surrogate_path(key, f"{path}.{name}" if path else name) or \
                _surrogate_path(item, f"{path}.{name}" if path else name)
            if found:
                return found
    if isinstance(value, list):
        for i, item in enumerate(value):
            found = _surrogate_path(item, f"{path}[{i}]")
            if found:
                return found
    return None


_INFINITY = "@@claude-session-tokens-infinity-5b0e@@"  # stands for a number beyond any double while dumping


def _marked(value: object) -> object:
    if isinstance(value, float) and math.isinf(value):
        return ("-" if value < 0 else "") + _INFINITY
    if isinstance(value, dict):
        return {k: _marked(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_marked(v) for v in value]
    return value


def dumps_as_js(value: object, **options: Any) -> str:
    """:func:`json.dumps`, but a number beyond any double (read from ``1e400`` or a few hundred
    digits) is written ``1e400``, which ``JSON.parse`` reads back as the same Infinity; Python
    would write ``Infinity``, which is not JSON and which the CLI cannot parse at all."""
    text = json.dumps(_marked(value), **options)
    return text.replace(f'"{_INFINITY}"', "1e400").replace(f'"-{_INFINITY}"', "-1e400")


def load_json_object(blob: Masked[bytes], what: str) -> dict:
    """Decode ``blob`` as one JSON object as the CLI's ``JSON.parse`` does; errors give positions,
    never content. ``NaN``/``Infinity`` are not JSON: the CLI cannot parse such a file and is
    signed out, wherever they stand (docs/cli-credentials-forms.md)."""
    try:
        text = blob.reveal().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _invalid(f"{what} is not UTF-8 text (bad byte at offset {exc.start}).") from None
    if text.startswith("\ufeff"):
        raise _invalid(f"{what} starts with a byte-order mark; an editor has re-saved it.")
    try:
        data = json.loads(text, parse_constant=_not_json, parse_int=js_int)
    except json.JSONDecodeError as exc:
        raise _invalid(f"{what} is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno}).") from None
    except ValueError as exc:  # NaN, Infinity or -Infinity, which Python's json reads and JSON.parse refuses
        raise _invalid(f"{what} holds {exc.args[0]}, which is not JSON: the Claude CLI cannot read the file "
                       "at all (it says \"Not logged in\"), whichever field holds it.") from None
    except RecursionError:
        raise _invalid(f"{what} is nested too deeply to be a credentials file.") from None
    if not isinstance(data, dict):
        raise _invalid(f"{what} holds a JSON {_type_name(data)}, not an object.")
    return data


_JS_NUMBER = re.compile(r"[+-]?(?:Infinity|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)")
_JS_RADIX = re.compile(r"0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+")


def js_number(value: object) -> float:
    """``Number(value)`` as JavaScript computes it for a JSON value (NaN for what is no number);
    the CLI compares ``expiresAt`` with ``Date.now()`` this way. Never raises."""
    if value is None:
        return 0.0
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int):
        try:
            return float(value)
        except OverflowError:  # more digits than a double holds: JSON.parse gives +/-Infinity
            return float("inf") if value > 0 else float("-inf")
    if isinstance(value, float):
        return value
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return 0.0
        if _JS_RADIX.fullmatch(text):
            try:
                return float(int(text, 0))
            except OverflowError:  # more digits than a double holds: Number() gives Infinity
                return float("inf")
        if _JS_NUMBER.fullmatch(text):
            return float(text.replace("Infinity", "inf"))
        return float("nan")
    if isinstance(value, list):
        if not value:
            return 0.0
        if len(value) == 1 and not isinstance(value[0], (dict, bool)):
            return js_number("" if value[0] is None else value[0])
    return float("nan")


def _expiry(oauth: dict) -> tuple[int, bool, tuple[str, ...]]:
    """(expiresAt in ms, whether it gives no moment, notes on its form) as the CLI reads it.

    The CLI refreshes first when ``Date.now() + 5 min >= expiresAt`` and never otherwise before
    the API rejects the token; it skips the comparison for null. So a missing or null value, a
    string that is no number, an object, and Infinity all mean "not expired, ever".
    """
    if "expiresAt" not in oauth:
        return FAR_FUTURE_MS, True, ("expiresAt is missing",)
    raw = oauth["expiresAt"]
    if raw is None:
        return FAR_FUTURE_MS, True, ("expiresAt is null",)
    number = js_number(raw)
    if isinstance(raw, int) and not isinstance(raw, bool) and abs(raw) <= FAR_FUTURE_MS:
        return raw, False, ()
    if math.isnan(number):
        return FAR_FUTURE_MS, True, (f"expiresAt is {_a(_type_name(raw))} that is no number",)
    if number > FAR_FUTURE_MS:
        reads = "Infinity" if math.isinf(number) else "a moment after the year 9999"
        return FAR_FUTURE_MS, True, (f"expiresAt is beyond any date (JavaScript reads it as {reads})",)
    clamped = int(max(number, -FAR_FUTURE_MS))
    if isinstance(raw, float):
        return clamped, False, ()  # the CLI compares a fraction like an integer; nothing to warn about
    return clamped, False, (f"expiresAt is {_a(_type_name(raw))} ({clamped} as a number)",)


def _refresh_end(raw: object) -> int | None:
    """``refreshTokenExpiresAt`` in ms, clamped to dates every platform can show."""
    if raw is None:
        return None
    number = js_number(raw)
    if math.isnan(number):  # the CLI does not judge this field; the checks then have no end to judge
        return None
    return int(min(max(number, -FAR_FUTURE_MS), FAR_FUTURE_MS))


def parse_credentials(blob: Masked[bytes]) -> OAuthSession:
    """Read the OAuth session out of the file's bytes, or raise a :class:`FindingError`.

    Judged as the pinned CLI judges the file (docs/cli-credentials-forms.md): what it accepts is
    accepted here too (its unusual forms noted in ``form_notes``), what it refuses is refused.
    """
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
        elif _surrogate_path(value):
            problems.append(f"{name} holds a lone surrogate escape (such as \\ud800), which is no character: "
                            + ("the CLI cannot send it and treats the login as absent" if name == "accessToken"
                               else "the CLI can never send it to refresh the session, which then ends "
                                    "with the access token"))
    expires_at, expiry_unknown, notes = _expiry(oauth)
    scopes = oauth.get("scopes")
    scopes_text = scopes if isinstance(scopes, str) else None
    if scopes_text is not None:
        notes += ("scopes is a string, not an array (the CLI looks for user:inference inside it)",)
        scopes = scopes_text.split()
    elif not isinstance(scopes, list):
        problems.append("scopes is missing" if "scopes" not in oauth
                        else f"scopes is {_a(_type_name(scopes))}, expected an array of strings")
        scopes = []
    subscription = oauth.get("subscriptionType")
    if subscription is not None and not isinstance(subscription, str):
        problems.append(f"subscriptionType is a {_type_name(subscription)}, expected a string or null")
    if problems:
        raise _invalid("some fields have the wrong type.", *problems)
    surrogate = _surrogate_path(data)
    if surrogate:  # the CLI reads such a file; only a re-encoding of it would fail
        notes += (f"{surrogate} holds a lone surrogate escape (such as \\ud800), which is no character",)

    return OAuthSession(
        access_token=Masked(access),
        refresh_token=Masked(refresh),
        expires_at_ms=expires_at,
        scopes=tuple(scopes),
        subscription_type=subscription,
        refresh_token_expires_at_ms=_refresh_end(oauth.get("refreshTokenExpiresAt")),
        other_keys=tuple(sorted(str(k) for k in data if k != OAUTH_KEY)),
        scopes_text=scopes_text,
        expiry_unknown=expiry_unknown,
        form_notes=notes,
    )


# The signs of a session the CLI no longer uses, judged here once: the credentials check names
# them as problems of the file, the lifetime check as reasons the session cannot last.

def empty_refresh_token(session: OAuthSession) -> str | None:
    """The refresh token is empty (the CLI empties it when a login has died), or None."""
    if session.refresh_token:
        return None
    return ("refreshToken is empty: the CLI wipes it when a login has died (OAuth session expired and could "
            "not be refreshed); as long as the refresh token is empty, the pod cannot renew the ~8 h access token")


def wiped_expiry(session: OAuthSession) -> str | None:
    """``expiresAt`` is 0 or less (what the CLI writes when it wipes a dead login), or None."""
    if session.expires_at_ms > 0:
        return None
    return f"expiresAt is {session.expires_at_ms}: the CLI sets 0 when it wipes a dead login"


def missing_inference_scope(session: OAuthSession) -> str | None:
    """The scopes lack ``user:inference`` (the CLI then treats the login as absent), or None."""
    if session.has_inference_scope:
        return None
    return (f'scopes lack "{INFERENCE_SCOPE}" (found: {shown_list(session.scopes)}); '
            "the CLI treats such a login as absent")


def session_problems(session: OAuthSession, expected_subscription: str) -> list[str]:
    """What keeps a well-formed session from being a usable one for this mission."""
    problems = []
    access = session.access_token.reveal()
    if not access:
        problems.append("accessToken is empty")
    elif access.startswith(_API_KEY_PREFIXES):
        problems.append("accessToken has the shape of an API key (sk-ant-api.../sk-ant-admin...), "
                        "not of a subscription session token (sk-ant-oat...)")
    if refresh := empty_refresh_token(session):
        problems.append(refresh)
    if wiped := wiped_expiry(session):
        problems.append(wiped)
    elif session.expires_at_ms < _SECONDS_NOT_MS:
        problems.append(f"expiresAt is {session.expires_at_ms}, which looks like seconds; "
                        "the CLI writes epoch milliseconds")
    if scope := missing_inference_scope(session):
        problems.append(scope)
    if session.subscription_type is not None and session.subscription_type != expected_subscription:
        problems.append(f"subscriptionType is {shown(session.subscription_type)}, expected "
                        f"{json.dumps(expected_subscription)} ({_subscription_remedy(session.subscription_type)})")
    return problems


def _subscription_remedy(found: str | None) -> str:
    """Sign in with the right account, or accept the one found, quoted only when harmless."""
    accept = (f"pass --expected-subscription {found} if this is intended" if is_harmless(found)
              else "pass --expected-subscription with the intended value")
    return f"sign in with the Claude Max account, or {accept}"


def form_warnings(session: OAuthSession, expected_subscription: str) -> list[Finding]:
    """Forms the CLI accepts but never writes itself: shown as warnings, never blocking."""
    found = []
    if session.form_notes:
        found.append(Finding(
            cause="The credentials use forms the Claude CLI accepts but does not write itself: "
                  + "; ".join(session.form_notes) + ".",
            why=("the session works as it is (see " + FORMS_DOC + " for how the CLI reads them)"
                 + ("; with no usable expiresAt the CLI does not refresh the access token before the API "
                    "rejects it, and the checks cannot tell how long it lasts" if session.expiry_unknown else "")
                 + "."),
            remedy=RELOGIN + "   (the CLI writes the usual forms), if you want them",
        ))
    if session.subscription_type is None:
        found.append(Finding(
            cause=f"subscriptionType is missing or null, so the checks cannot confirm the plan is "
                  f"{json.dumps(expected_subscription)}.",
            why="the Claude CLI signs in without it; the test prompt still proves the session answers.",
            remedy=RELOGIN + "   (the CLI then writes subscriptionType)",
        ))
    return found


def token_shape_warning(session: OAuthSession) -> str | None:
    """A note when the access token does not look like today's session tokens (formats change)."""
    access = session.access_token.reveal()
    if access and not access.startswith(_API_KEY_PREFIXES) and not _SESSION_TOKEN.match(access):
        return "accessToken does not have the usual sk-ant-oat..-... shape; the CLI may have changed its format"
    return None
