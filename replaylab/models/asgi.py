"""Running an ASGI app on loopback with uvicorn: bound before it starts, limited, JSON errors.

    server = bind_loopback(app, "127.0.0.1", 0, limits=ServerLimits(), log=False)
    server.start()            # a daemon thread; server.port is the port bound
    ...
    server.stop()

`serve_forever()` runs in the calling thread instead (Ctrl-C stops it). The socket is bound
and listening before uvicorn starts, so a port in use is one ConfigError and the backlog is
the one asked for. The HTTP protocol is uvicorn's httptools one with three changes: a malformed
request is answered with an OpenAI-style JSON 400 (not text), a client that opens a
connection and does not finish its request headers within `header_timeout_s` is
disconnected, and a header block over `max_header_bytes` is refused.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import threading
import time
from typing import Any

import uvicorn
from pydantic import BaseModel, Field
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from replaylab.errors import ConfigError

__all__ = ["LOOPBACK", "LoopbackServer", "ServerLimits", "bind_loopback", "error_body"]

LOOPBACK = ("127.0.0.1", "localhost", "::1")


class ServerLimits(BaseModel):
    """The limits every replaylab HTTP server runs with."""

    backlog: int = Field(1024, ge=16)
    """Listen backlog: connections the kernel queues before the server accepts them."""
    max_body_bytes: int = Field(2 * 1024 * 1024, ge=1024)
    """Request bodies over this are refused with 413 before they are read."""
    max_header_bytes: int = Field(32 * 1024, ge=1024)
    """A request whose header block is over this is refused with 400."""
    header_timeout_s: float = Field(10.0, gt=0)
    """A connection that has not sent complete request headers by then is closed."""
    body_timeout_s: float = Field(30.0, gt=0)
    """A request body not received completely by then is answered 408."""
    keep_alive_s: int = Field(5, ge=1)
    """An idle keep-alive connection is closed after this many seconds."""


def error_body(message: str, *, kind: str = "invalid_request_error", param: str | None = None, code: str | None = None) -> bytes:
    """An OpenAI-style error body."""
    return json.dumps({"error": {"message": message, "type": kind, "param": param, "code": code}}).encode()


class _Coalescing:
    """A transport whose writes made in one event-loop step leave as one send: uvicorn writes a
    response's head and body separately, and each send on a loaded host costs a wake-up."""

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._parts: list[bytes] = []

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if not data:
            return
        if not self._parts:
            self._loop.call_soon(self._flush)
        self._parts.append(bytes(data))

    def _flush(self) -> None:
        if self._parts and not self._transport.is_closing():
            self._transport.write(b"".join(self._parts))
        self._parts.clear()

    def close(self) -> None:
        self._flush()
        self._transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class _HeadersTooLarge(Exception):
    """The request's header block is over the server's limit."""


class _JsonHttpTools(HttpToolsProtocol):
    """uvicorn's httptools protocol (llhttp, in C) with three changes:
    JSON protocol errors, a header timeout and a header size limit. Parsing in C takes a third of
    what uvicorn's pure-Python h11 protocol took a request, most of what the proxy added."""

    header_timeout_s: float = 10.0
    max_header_bytes: int = 32 * 1024
    _header_timer: asyncio.TimerHandle | None = None
    _header_bytes = 0
    _too_large = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(_Coalescing(transport, self.loop))  # type: ignore[arg-type]
        self._header_timer = self.loop.call_later(self.header_timeout_s, self._stalled)

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _stalled(self) -> None:
        self._header_timer = None
        if not self.transport.is_closing():
            self.transport.close()  # headers never completed: drop the connection

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._header_bytes = 0

    def on_url(self, url: bytes) -> None:
        self._count(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count(len(name) + len(value) + 4)
        super().on_header(name, value)

    def _count(self, n: int) -> None:
        self._header_bytes += n
        if self._header_bytes > self.max_header_bytes:
            self._too_large = True
            raise _HeadersTooLarge

    def on_headers_complete(self) -> None:
        self._disarm()
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def send_400_response(self, msg: str) -> None:
        if self._too_large:
            msg = f"request headers over {self.max_header_bytes} bytes"
        body = error_body(f"Malformed HTTP request: {msg}", code="bad_http_request")
        head = b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\nconnection: close\r\n"
        self.transport.write(head + b"content-length: %d\r\n\r\n" % len(body) + body)
        self.transport.close()


def _protocol(limits: ServerLimits) -> type[asyncio.Protocol]:
    settings = {"header_timeout_s": limits.header_timeout_s, "max_header_bytes": limits.max_header_bytes}
    return type("ReplaylabHttpTools", (_JsonHttpTools,), settings)


class LoopbackServer:
    """A uvicorn server over an already-listening loopback socket."""

    def __init__(self, server: uvicorn.Server, sock: socket.socket) -> None:
        self.server = server
        self.sock = sock
        self.port: int = sock.getsockname()[1]
        self._thread: threading.Thread | None = None

    def serve_forever(self) -> None:
        """Serve in this thread until Ctrl-C (or `stop` from another thread)."""
        try:
            self.server.run(sockets=[self.sock])
        finally:
            self.sock.close()

    def start(self, *, name: str = "replaylab-server") -> None:
        """Serve from a daemon thread; returns once the server accepts requests."""
        self._thread = threading.Thread(
            target=lambda: asyncio.run(self.server.serve(sockets=[self.sock])), name=name, daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started and self._thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.01)
        if not self.server.started:
            raise ConfigError(f"The server on port {self.port} did not start")

    def stop(self) -> None:
        self.server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        self.sock.close()


def bind_loopback(app: Any, host: str, port: int, *, limits: ServerLimits, log: bool) -> LoopbackServer:
    """A server for `app` listening on `host:port` (loopback only; port 0 picks a free one)."""
    if host not in LOOPBACK:
        raise ConfigError(f"The server listens on loopback only; {host!r} is not one of {list(LOOPBACK)}")
    family = socket.AF_INET6 if host == "::1" else socket.AF_INET
    # proto must be IPPROTO_TCP: asyncio sets TCP_NODELAY on accepted sockets only then, and without
    # it a keep-alive response written as headers + body waits ~40 ms for the client's delayed ACK
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(("127.0.0.1" if host == "localhost" else host, port))
        sock.listen(limits.backlog)
    except OSError as exc:
        sock.close()
        raise ConfigError(f"Cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    config = uvicorn.Config(
        app,
        http=_protocol(limits),
        loop="asyncio",
        lifespan="off",
        backlog=limits.backlog,
        timeout_keep_alive=limits.keep_alive_s,
        log_level=logging.INFO if log else logging.ERROR,
        access_log=log,
        log_config=None,
    )
    return LoopbackServer(uvicorn.Server(config), sock)
