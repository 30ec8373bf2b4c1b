"""Fixtures shared by the app's tests."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest


@dataclass
class LocalServer:
    """An HTTP server on 127.0.0.1 that answers every request with ``reply`` and keeps
    what it was sent: the stand-in for an API, a webhook or an LLM endpoint."""

    url: str = ""
    reply: Any = field(default_factory=dict)
    content_type: str = "application/json"
    received: list[dict[str, Any]] = field(default_factory=list)


@pytest.fixture
def local_server() -> Iterator[LocalServer]:
    state = LocalServer()

    class Handler(http.server.BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode() if length else ""
            state.received.append({"method": self.command, "path": self.path,
                                   "headers": dict(self.headers), "body": body})
            payload = state.reply if isinstance(state.reply, str) else json.dumps(state.reply)
            data = payload.encode()
            self.send_response(200)
            self.send_header("Content-Type", state.content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = _answer

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_port}"
    # polled every 0.05 s rather than serve_forever's 0.5 s: shutting it down after each
    # test then takes no noticeable time
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
