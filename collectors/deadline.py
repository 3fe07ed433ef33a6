"""An overall deadline for one HTTP request: connecting and reading the whole answer.

httpx's timeouts bound each socket operation, not a request: a server that
sends one byte every 10 seconds never trips a 30-second read timeout and holds
a harvest forever. `collectors.http` sets a monotonic deadline around each
attempt (`within`), and the network backend installed by `bound_every_read`
gives every connect, TLS handshake, read and write only the time left until
it, so a trickling or sleeping server fails after the deadline whatever it
does — while the status line and headers arrive as well as in the body.
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import httpcore
import httpx

# Monotonic time by which the current attempt must be complete (None: no deadline).
_DEADLINE: ContextVar[float | None] = ContextVar("replyscope_http_deadline", default=None)


@contextmanager
def within(seconds: float) -> Iterator[None]:
    """Every socket operation inside the block must finish `seconds` from now."""
    token = _DEADLINE.set(time.monotonic() + seconds)
    try:
        yield
    finally:
        _DEADLINE.reset(token)


def _left(timeout: float | None, error: type[Exception]) -> float | None:
    """The time this operation may take: its own timeout, capped by the deadline."""
    deadline = _DEADLINE.get()
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise error("no complete answer before the deadline")
    return left if timeout is None else min(timeout, left)


class _Stream(httpcore.NetworkStream):
    """A connection whose every operation stops at the deadline."""

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _left(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _left(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        left = _left(timeout, httpcore.ConnectTimeout)
        return _Stream(self._inner.start_tls(ssl_context, server_hostname, left))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _Backend(httpcore.NetworkBackend):
    """httpcore's network backend, with connections that keep the deadline."""

    def __init__(self, inner: httpcore.NetworkBackend) -> None:
        self._inner = inner

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        left = _left(timeout, httpcore.ConnectTimeout)
        return _Stream(self._inner.connect_tcp(host, port, left, local_address, socket_options))

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        left = _left(timeout, httpcore.ConnectTimeout)
        return _Stream(self._inner.connect_unix_socket(path, left, socket_options))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def bound_every_read(client: httpx.Client) -> int:
    """Install the deadline backend in the client's transports; how many were bounded.

    httpx takes no network backend, so the one inside each transport's
    connection pool (the default one and those for proxies from the
    environment) is wrapped. A transport without a pool (a test's
    MockTransport) is left alone; tests/test_http_deadline.py fails if a
    newer httpx moves the pool, instead of the deadline quietly going away.
    """
    transports = [getattr(client, "_transport", None), *getattr(client, "_mounts", {}).values()]
    bounded = 0
    for transport in transports:
        pool = getattr(transport, "_pool", None)
        backend = getattr(pool, "_network_backend", None)
        if isinstance(backend, _Backend):
            bounded += 1
        elif isinstance(backend, httpcore.NetworkBackend):
            pool._network_backend = _Backend(backend)  # type: ignore[union-attr]
            bounded += 1
    return bounded
