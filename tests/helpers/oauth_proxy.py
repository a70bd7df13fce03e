"""A local HTTPS proxy that answers the real ``claude`` CLI's OAuth refresh, and nothing else.

The CLI refreshes its session at a fixed HTTPS URL (``https://platform.claude.com/v1/oauth/token``
in 2.1.332); ``CLAUDE_CODE_CUSTOM_OAUTH_URL`` cannot point it at localhost (allow-list). So the
test gives the CLI ``HTTPS_PROXY=http://127.0.0.1:<port>`` (this proxy) and
``NODE_EXTRA_CA_CERTS=<throw-away CA>`` (helpers/throwaway_ca.py). The proxy

- accepts ``CONNECT`` only for the token host on port 443, terminates TLS there with a
  certificate signed by the throw-away CA, and answers ``POST /v1/oauth/token`` with
  ``grant_type=refresh_token`` by handing out the new access and refresh tokens it was given
  (rotation, as the real server does), once: a second refresh gets ``invalid_grant``;
- refuses every other ``CONNECT`` (403) and every plain proxied request (405), so nothing the
  CLI sends can leave the machine;
- or, given a ``TokenChain``, answers as the real sign-in service does over a session's whole
  life: each refresh token works exactly once and yields the next generation
  (A1/R1 -> A2/R2 -> A3/R3 ...), a spent or unknown one gets ``invalid_grant``; the chain also
  says which access tokens the Messages API should accept (``MessagesAPI(accepts=chain.accepts)``)
  and can expire them server-side (the "8 hours later" of a long-lived pod);
- answers ``grant_type=authorization_code`` (the exchange ``claude setup-token`` makes after the
  code is pasted) with ``setup_token`` as a one-year, inference-only access token, when given;
- records what it saw: every ``CONNECT`` target, every refresh (the refresh token presented),
  and any other request on the token host, with no headers, so the lists are safe to show in
  an assertion message... except ``refresh_tokens_seen``, which holds token values: compare it,
  never print it.

Every socket has a timeout, so a stuck client cannot hang the test.
"""

from __future__ import annotations

import http.client
import json
import socketserver
import ssl
import threading
import urllib.parse
from dataclasses import dataclass, field

from .loopback import LoopbackServer
from .throwaway_ca import Certificates

TOKEN_PATH = "/v1/oauth/token"
SOCKET_TIMEOUT = 10.0
SCOPES = "user:inference user:profile user:sessions:claude_code"


class TokenChain:
    """Sessions with single-use refresh tokens. ``login()`` starts a session (a capture): its
    first access and refresh token, named ``"login1 A1"``/``"login1 R1"``; ``refresh(R)`` spends
    R once and issues the next generation. Token values are canaries (they contain CANARY), so
    helpers/leaks.py finds them; compare them through ``name()``, never print them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._names: dict[str, str] = {}
        self._next: dict[str, tuple[int, int]] = {}  # live refresh token -> (login, generation)
        self._live_access: set[str] = set()
        self.logins = 0

    def _mint(self, login: int, generation: int) -> tuple[str, str]:
        access = f"sk-ant-oat01-CANARYlogin{login}ACCESSgen{generation}-0123456789abcdefghijklmnopqrstuvwxyzXYZ"
        refresh = f"sk-ant-ort01-CANARYlogin{login}REFRESHgen{generation}-0123456789abcdefghijklmnopqrstuvwxyzXYZ"
        self._names[access] = f"login{login} A{generation}"
        self._names[refresh] = f"login{login} R{generation}"
        self._next[refresh] = (login, generation)
        self._live_access.add(access)
        return access, refresh

    def login(self) -> tuple[str, str]:
        with self._lock:
            self.logins += 1
            return self._mint(self.logins, 1)

    def refresh(self, refresh_token: str) -> tuple[str, str] | None:
        """The next (access, refresh) for a live refresh token, which is spent from now on."""
        with self._lock:
            found = self._next.pop(refresh_token, None)
            if found is None:
                return None
            return self._mint(found[0], found[1] + 1)

    def accepts(self, access_token: str) -> bool:
        with self._lock:
            return access_token in self._live_access

    def expire_access_tokens(self) -> None:
        """Server-side expiry: every access token issued so far is refused from now on."""
        with self._lock:
            self._live_access.clear()

    def name(self, token: str | None) -> str:
        return self._names.get(token or "", "an unknown token" if token else "empty")

    def names(self, tokens) -> list[str]:
        return [self.name(t) for t in tokens]

    def tokens(self) -> list[str]:
        """Every token value issued (for leak checks)."""
        with self._lock:
            return list(self._names)


@dataclass
class OAuthRefreshProxy(LoopbackServer):
    certificates: Certificates
    new_access: str = ""
    new_refresh: str = ""
    expires_in: int = 8 * 3600
    chain: TokenChain | None = None  # when given, it answers every refresh (new_* are unused)
    connects: list[str] = field(default_factory=list)  # "host:port -> accepted|refused"
    refresh_tokens_seen: list[str] = field(default_factory=list)  # token values: never print
    other_requests: list[str] = field(default_factory=list)  # "METHOD path -> status" / "tls: error"
    # ``claude setup-token``: the token the authorization-code exchange hands out (none: refused)
    setup_token: str = ""
    code_exchanges: list[dict] = field(default_factory=list)  # the exchange's fields (code, state, ...), no token

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self._context.load_cert_chain(str(self.certificates.server_cert), str(self.certificates.server_key))

    def environment(self) -> dict[str, str]:
        """The variables that send the CLI's HTTPS through this proxy, trusting the test CA,
        with 127.0.0.1 (the local Messages API) reached directly."""
        proxies = {name: self.url for name in ("HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy")}
        return {**proxies, "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost",
                "NODE_EXTRA_CA_CERTS": str(self.certificates.ca_cert)}

    # --- what it saw (safe to print, except refresh_tokens_seen) ------------------------------
    def summary(self) -> list[str]:
        with self._lock:
            return [f"CONNECT {c}" for c in self.connects] + list(self.other_requests) + \
                [f"refresh #{i + 1}" for i in range(len(self.refresh_tokens_seen))]

    def _note(self, where: list[str], entry: str) -> None:
        with self._lock:
            where.append(entry)

    def _refresh(self, refresh_token: str) -> tuple[str, str] | None:
        """Record one refresh; the new (access, refresh), or None for ``invalid_grant``."""
        with self._lock:
            self.refresh_tokens_seen.append(refresh_token)
            first = len(self.refresh_tokens_seen) == 1
        if self.chain is not None:
            return self.chain.refresh(refresh_token)
        return (self.new_access, self.new_refresh) if first else None


class _Handler(socketserver.StreamRequestHandler):
    owner: OAuthRefreshProxy
    timeout = SOCKET_TIMEOUT

    def handle(self) -> None:
        try:
            method, target, headers = _read_head(self.rfile)
        except (OSError, ValueError):
            return
        if method != "CONNECT":
            self.owner._note(self.owner.other_requests, f"{method} (plain proxy request) -> 405")
            self.wfile.write(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            return
        host, _, port = target.rpartition(":")
        if host != self.owner.certificates.host or port != "443":
            self.owner._note(self.owner.connects, f"{target} -> refused")
            self.wfile.write(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            return
        self.owner._note(self.owner.connects, f"{target} -> accepted")
        self.wfile.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        self.wfile.flush()
        try:
            tls = self.owner._context.wrap_socket(self.connection, server_side=True)
        except (OSError, ssl.SSLError) as err:
            self.owner._note(self.owner.other_requests, f"tls: {type(err).__name__}: {err}")
            return
        try:
            tls.settimeout(SOCKET_TIMEOUT)
            rfile = tls.makefile("rb")
            while self._serve_one(tls, rfile):
                pass
        except (OSError, ValueError):
            pass
        finally:
            try:
                tls.close()
            except OSError:
                pass

    def _serve_one(self, tls: ssl.SSLSocket, rfile) -> bool:
        """Answer one request inside the tunnel; False when the client is done."""
        try:
            method, target, headers = _read_head(rfile)
        except ValueError:
            return False
        body = _read_body(rfile, headers)
        path = urllib.parse.urlsplit(target).path
        status, payload = 404, {"error": "not_found", "error_description": f"{path} is not served here"}
        if method == "POST" and path == TOKEN_PATH:
            grant = _parse_body(body, headers.get("Content-Type", ""))
            if grant.get("grant_type") == "refresh_token":
                issued = self.owner._refresh(str(grant.get("refresh_token", "")))
                if issued:
                    status, payload = 200, {
                        "token_type": "Bearer", "access_token": issued[0],
                        "refresh_token": issued[1], "expires_in": self.owner.expires_in,
                        "scope": SCOPES}
                else:
                    status, payload = 400, {"error": "invalid_grant",
                                            "error_description": "refresh token already used"}
            elif grant.get("grant_type") == "authorization_code" and self.owner.setup_token:
                # what 'claude setup-token' 2.1.332 sends: code, redirect_uri, client_id, code_verifier,
                # state and expires_in (one year); it prints the access_token of the answer
                self.owner._note(self.owner.code_exchanges, {k: str(v) for k, v in grant.items()})
                status, payload = 200, {"token_type": "Bearer", "access_token": self.owner.setup_token,
                                        "expires_in": int(grant.get("expires_in") or 31536000),
                                        "scope": "user:inference"}
            else:
                status, payload = 400, {"error": "unsupported_grant_type"}
        if status != 200:
            self.owner._note(self.owner.other_requests, f"{method} {path} -> {status}")
        data = json.dumps(payload).encode()
        reason = http.client.responses.get(status, "")
        tls.sendall(f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(data)}\r\nConnection: close\r\n\r\n".encode() + data)
        return False  # one request per connection: Connection: close


def _read_head(rfile) -> tuple[str, str, http.client.HTTPMessage]:
    line = rfile.readline(65537).decode("latin-1").strip()
    parts = line.split()
    if len(parts) != 3:
        raise ValueError("no request line")
    headers = http.client.parse_headers(rfile)
    return parts[0].upper(), parts[1], headers


def _read_body(rfile, headers) -> bytes:
    if "chunked" in (headers.get("Transfer-Encoding") or "").lower():
        chunks = []
        while True:
            size = int(rfile.readline(1024).split(b";")[0].strip() or b"0", 16)
            if size == 0:
                rfile.readline(1024)
                return b"".join(chunks)
            chunks.append(rfile.read(size))
            rfile.readline(1024)
    length = int(headers.get("Content-Length") or 0)
    return rfile.read(length) if length else b""


def _parse_body(body: bytes, content_type: str) -> dict:
    if "json" in content_type:
        try:
            data = json.loads(body or b"{}")
            return data if isinstance(data, dict) else {}
        except ValueError:
            return {}
    return {k: v[0] for k, v in urllib.parse.parse_qs(body.decode("utf-8", "replace")).items()}


OAuthRefreshProxy.handler_base = _Handler
OAuthRefreshProxy.thread_name = "oauth-proxy"
