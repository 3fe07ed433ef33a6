"""A real HTTP server on 127.0.0.1 that serves recorded pages and misbehaves on purpose.

Tests give it a `route(request) -> Reply` function. Replies: `Json` (any
status and headers), `Raw` bytes (malformed bodies), `Slow` (answers after a
delay, to trip timeouts), `Trickle` (one byte at a time, to trip the overall
deadline) and `Reset` (drops the connection without an answer).
Every request is logged in `server.requests`.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    """What the client sent."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: str


@dataclass
class Json:
    """A JSON answer."""

    payload: Any
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Raw:
    """Bytes as they are (e.g. a truncated JSON body)."""

    body: bytes
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Slow:
    """An answer that comes after `seconds` (longer than the client's timeout)."""

    seconds: float
    reply: Json


@dataclass
class Trickle:
    """An answer sent one byte every `interval` seconds: the body, or everything from the
    status line on (`headers_too`). It goes on until the client hangs up."""

    reply: Json
    interval: float
    headers_too: bool = False


@dataclass
class Reset:
    """Close the connection without answering (a reset mid-thread)."""


Reply = Json | Raw | Slow | Trickle | Reset
Route = Callable[[Request], Reply]


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        del format, args

    def _serve(self) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        request = Request(
            method=self.command,
            path=parts.path,
            query={k: v[-1] for k, v in parse_qs(parts.query).items()},
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
        )
        self.server.requests.append(request)
        reply = self.server.route(request)
        if isinstance(reply, Reset):
            self.connection.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
            )
            self.connection.close()
            self.close_connection = True
            return
        if isinstance(reply, Slow):
            time.sleep(reply.seconds)
            reply = reply.reply
        if isinstance(reply, Trickle):
            self._trickle(reply)
            return
        data = json.dumps(reply.payload).encode() if isinstance(reply, Json) else reply.body
        self.send_response(reply.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(data)

    def _trickle(self, reply: Trickle) -> None:
        body = json.dumps(reply.reply.payload).encode()
        head = (
            f"HTTP/1.1 {reply.reply.status} OK\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode()
        self.close_connection = True
        with contextlib.suppress(OSError):
            if not reply.headers_too:
                self.wfile.write(head)
                self.wfile.flush()
                head = b""
            for i in range(len(head + body)):
                time.sleep(reply.interval)
                self.wfile.write((head + body)[i : i + 1])
                self.wfile.flush()

    do_GET = _serve
    do_POST = _serve


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, route: Route) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.route = route
        self.requests: list[Request] = []

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


@contextmanager
def serve(route: Route) -> Iterator[_Server]:
    """Run a server with this route function for the duration of the block."""
    server = _Server(route)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


class Scripted:
    """Per-path queues of replies: each request to a path takes the next one; the last repeats."""

    def __init__(self, fallback: Route | None = None) -> None:
        self.queues: dict[str, list[Reply]] = {}
        self.fallback = fallback

    def on(self, path: str, *replies: Reply) -> Scripted:
        """Queue replies for a path (or `path?param=value` to match one query parameter)."""
        self.queues.setdefault(path, []).extend(replies)
        return self

    def __call__(self, request: Request) -> Reply:
        keys = [f"{request.path}?{k}={v}" for k, v in request.query.items()] + [request.path]
        for key in keys:
            queue = self.queues.get(key)
            if queue:
                return queue.pop(0) if len(queue) > 1 else queue[0]
        if self.fallback is not None:
            return self.fallback(request)
        return Json({"error": "not found", "path": request.path}, status=404)


class FakeTime:
    """An injected clock: sleeping only moves the hands."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.now = start
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
