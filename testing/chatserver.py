"""A real HTTP server on 127.0.0.1 that speaks the chat-completions protocol: the tests'
stand-in for an LLM.

Each request takes the next scripted reply; when the script is empty, ``default`` answers
(a function of the request body). Every request is kept, headers and body, so that tests
can check what microgate sent.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Reply:
    status: int = 200
    content: str | None = None  # the assistant's text, wrapped in a chat completion
    raw: bytes | None = None  # or these bytes, as they are
    delay: float = 0.0
    headers: tuple[tuple[str, str], ...] = ()


def completion(content: str, model: str = "test-model") -> bytes:
    return json.dumps({
        "id": "chatcmpl-test", "object": "chat.completion", "created": 0, "model": model,
        "choices": [{"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": content}}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }).encode("utf-8")


@dataclass
class ChatServer:
    script: list[Reply] = field(default_factory=list)
    default: Callable[[dict[str, Any]], Reply] = lambda body: Reply(500, raw=b"no script")
    requests: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""

    def handle(self, path: str, headers: dict[str, str], body: bytes) -> Reply:
        document = json.loads(body) if body else {}
        self.requests.append({"path": path, "headers": headers, "body": document})
        if path != "/v1/chat/completions":
            return Reply(404, raw=b'{"error": {"message": "not found"}}')
        return self.script.pop(0) if self.script else self.default(document)


@contextmanager
def chat_server(server: ChatServer | None = None) -> Iterator[ChatServer]:
    state = server or ChatServer()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the http.server API
            length = int(self.headers.get("Content-Length") or 0)
            reply = state.handle(self.path, dict(self.headers.items()), self.rfile.read(length))
            if reply.delay:
                time.sleep(reply.delay)
            payload = reply.raw if reply.raw is not None else completion(reply.content or "")
            try:
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for name, value in reply.headers:
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up waiting (a timeout test)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            return

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    # polled every 0.05 s, not 0.5 s: each test's shutdown no longer waits ~0.5 s
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()
