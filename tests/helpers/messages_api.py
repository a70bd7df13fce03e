"""A local stand-in for the Anthropic API, for driving the real ``claude`` CLI offline.

``ANTHROPIC_BASE_URL=http://127.0.0.1:<port>`` sends the CLI's Messages API calls here
(docs/claude-cli-facts.md, The headless prompt). The server speaks enough of the streaming
protocol for ``claude -p`` to finish (``message_start``, ``content_block_start``,
``content_block_delta``, ``content_block_stop``, ``message_delta``, ``message_stop`` as
server-sent events), accepts only the access token it was given (``Authorization: Bearer
<token>``; anything else gets the API's 401), and records every request it saw: method, path,
and the credentials presented.

Usage::

    with MessagesAPI(accept=access_token) as api:
        env["ANTHROPIC_BASE_URL"] = api.url
        ...
        assert api.bearer_tokens() == [access_token]
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .loopback import LoopbackServer

REPLY_TEXT = "ok"
MODEL = "claude-sonnet-4-5"


@dataclass
class SeenRequest:
    method: str
    path: str
    authorization: str | None
    api_key: str | None
    headers: dict[str, str]
    body: bytes = b""
    status: int = 0

    @property
    def bearer(self) -> str | None:
        if self.authorization and self.authorization.startswith("Bearer "):
            return self.authorization[len("Bearer "):]
        return None

    def json(self) -> dict:
        try:
            return json.loads(self.body or b"{}")
        except ValueError:
            return {}


@dataclass
class MessagesAPI(LoopbackServer):
    """The fake API. ``accept`` is the one access token that works; ``status`` forces an answer."""

    accept: str | None = None
    accepts: Callable[[str], bool] | None = None  # instead of accept: e.g. TokenChain.accepts
    status: int | None = None  # e.g. 401: every Messages call answered so, whatever the token
    reply: str = REPLY_TEXT
    requests: list[SeenRequest] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()

    # --- what it saw --------------------------------------------------------------------------
    def record(self, seen: SeenRequest) -> None:
        with self._lock:
            self.requests.append(seen)

    def messages_calls(self) -> list[SeenRequest]:
        with self._lock:
            return [r for r in self.requests if r.method == "POST" and r.path.split("?")[0] == "/v1/messages"]

    def bearer_tokens(self) -> list[str]:
        """Every bearer token presented to the Messages API, in order."""
        return [r.bearer for r in self.messages_calls() if r.bearer]

    def api_keys(self) -> list[str]:
        """Every x-api-key presented to any endpoint."""
        with self._lock:
            return [r.api_key for r in self.requests if r.api_key]

    def summary(self) -> list[str]:
        """'METHOD path -> status' lines; no headers, so safe to show in an assertion message."""
        with self._lock:
            return [f"{r.method} {r.path.split('?')[0]} -> {r.status}" for r in self.requests]

    # --- answers ------------------------------------------------------------------------------
    def authorized(self, seen: SeenRequest) -> bool:
        if self.status is not None:
            return False
        if self.accepts is not None:
            return bool(seen.bearer) and self.accepts(seen.bearer)
        return self.accept is not None and (seen.bearer == self.accept or seen.api_key == self.accept)


class _Handler(BaseHTTPRequestHandler):
    owner: MessagesAPI
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args) -> None:  # keep the test output quiet
        pass

    def _seen(self) -> SeenRequest:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        seen = SeenRequest(self.command, self.path, self.headers.get("Authorization"),
                           self.headers.get("x-api-key"), {k.lower(): v for k, v in self.headers.items()},
                           body)
        self.owner.record(seen)
        return seen

    def _json(self, seen: SeenRequest, status: int, payload: dict) -> None:
        data = json.dumps(payload).encode()
        seen.status = status
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if status >= 400:
            self.send_header("request-id", "req_local_test")
        self.end_headers()
        self.wfile.write(data)

    def do_HEAD(self) -> None:
        seen = self._seen()
        seen.status = 200
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self) -> None:
        seen = self._seen()
        self._json(seen, 404, _error("not_found_error", f"{seen.path.split('?')[0]} is not served here"))

    def do_POST(self) -> None:
        seen = self._seen()
        path = seen.path.split("?")[0]
        if path == "/v1/messages/count_tokens":
            if not self.owner.authorized(seen):
                return self._unauthorized(seen)
            return self._json(seen, 200, {"input_tokens": 10})
        if path != "/v1/messages":
            return self._json(seen, 404, _error("not_found_error", f"{path} is not served here"))
        if not self.owner.authorized(seen):
            return self._unauthorized(seen)
        request = seen.json()
        model = request.get("model") or MODEL
        if request.get("stream"):
            return self._stream(seen, model)
        self._json(seen, 200, _message(model, self.owner.reply))

    def _unauthorized(self, seen: SeenRequest) -> None:
        status = self.owner.status or 401
        kind = {401: "authentication_error", 403: "permission_error", 429: "rate_limit_error"}.get(
            status, "api_error")
        self._json(seen, status, _error(kind, "Invalid bearer token" if status == 401 else "refused"))

    def _stream(self, seen: SeenRequest, model: str) -> None:
        seen.status = 200
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()
        message = _message(model, "")
        message["content"] = []
        message["stop_reason"] = None
        events = [
            ("message_start", {"type": "message_start", "message": message}),
            ("content_block_start", {"type": "content_block_start", "index": 0,
                                     "content_block": {"type": "text", "text": ""}}),
            ("ping", {"type": "ping"}),
            ("content_block_delta", {"type": "content_block_delta", "index": 0,
                                     "delta": {"type": "text_delta", "text": self.owner.reply}}),
            ("content_block_stop", {"type": "content_block_stop", "index": 0}),
            ("message_delta", {"type": "message_delta",
                               "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                               "usage": {"output_tokens": 2}}),
            ("message_stop", {"type": "message_stop"}),
        ]
        for name, data in events:
            self.wfile.write(f"event: {name}\ndata: {json.dumps(data)}\n\n".encode())
            self.wfile.flush()
        self.close_connection = True


def _message(model: str, text: str) -> dict:
    return {
        "id": "msg_local_test_0001",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [{"type": "text", "text": text}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": 10, "output_tokens": 2, "cache_creation_input_tokens": 0,
                  "cache_read_input_tokens": 0},
    }


def _error(kind: str, message: str) -> dict:
    return {"type": "error", "error": {"type": kind, "message": message}, "request_id": "req_local_test"}


MessagesAPI.handler_base = _Handler
MessagesAPI.server_class = ThreadingHTTPServer
MessagesAPI.thread_name = "messages-api"
