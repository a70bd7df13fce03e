"""A test server on 127.0.0.1 (a free port), served from a daemon thread.

Subclasses name their request handler (which reaches the server object as ``self.owner``),
the socketserver class and a thread name; this base starts, stops and addresses them.
"""

from __future__ import annotations

import socketserver
import threading
from typing import ClassVar


class LoopbackServer:
    handler_base: ClassVar[type]
    server_class: ClassVar[type] = socketserver.ThreadingTCPServer
    thread_name: ClassVar[str] = "loopback-server"
    _server: socketserver.BaseServer | None = None

    def start(self):
        handler = type("Handler", (self.handler_base,), {"owner": self})
        server = self.server_class(("127.0.0.1", 0), handler)
        server.daemon_threads = True
        self._server = server
        threading.Thread(target=server.serve_forever, name=self.thread_name, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None, f"start() the {self.thread_name} first"
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"
