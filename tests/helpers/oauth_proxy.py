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


@dataclass
class OAuthRefreshProxy(LoopbackServer):
    certificates: Certificates
    new_access: str
    new_refresh: str
    expires_in: int = 8 * 3600
    connects: list[str] = field(default_factory=list)  # "host:port -> accepted|refused"
    refresh_tokens_seen: list[str] = field(default_factory=list)  # token values: never print
    other_requests: list[str] = field(default_factory=list)  # "METHOD path -> status" / "tls: error"

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

    def _refresh(self, refresh_token: str) -> bool:
        """Record one refresh; True when it is the first (the new tokens are handed out once)."""
        with self._lock:
            self.refresh_tokens_seen.append(refresh_token)
            return len(self.refresh_tokens_seen) == 1


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
                if self.owner._refresh(str(grant.get("refresh_token", ""))):
                    status, payload = 200, {
                        "token_type": "Bearer", "access_token": self.owner.new_access,
                        "refresh_token": self.owner.new_refresh, "expires_in": self.owner.expires_in,
                        "scope": SCOPES}
                else:
                    status, payload = 400, {"error": "invalid_grant",
                                            "error_description": "refresh token already used"}
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
