"""The proxy's fast path to the upstream: HTTP/1.1 over pooled keep-alive asyncio streams.

    client = KeepAliveClient("http://127.0.0.1:8000/v1", timeout=120)
    reply = await client.request("POST", "/v1/chat/completions", body, [("content-type", "application/json")])
    reply.status, reply.content_type, reply.body
    await client.aclose()

A non-streamed chat completion is the proxy's hot path. httpx (with httpcore and anyio under
it) costs this 2-core machine 1-2 ms of Python per request; this client writes a request's
head and body in one `write` (asyncio sets TCP_NODELAY on its sockets, so no Nagle stall),
reads the answer with a handful of calls, and keeps the connection for the next request.
It reads `Content-Length`, chunked and read-to-close bodies; a connection the upstream closed
while idle is retried once on a fresh one when not one byte of the answer came back.
Streaming answers and the pass-through routes still use httpx (`replaylab.proxy.upstream`).
"""

from __future__ import annotations

import asyncio
import ssl
from typing import NamedTuple
from urllib.parse import urlsplit

__all__ = ["KeepAliveClient", "UpstreamDown", "UpstreamReply", "UpstreamTimeout"]

MAX_HEAD = 64 * 1024
"""An answer's status line + headers over this many bytes is a broken upstream."""
MAX_BODY = 64 * 1024 * 1024
"""An answer body over this is refused (the proxy holds it in memory)."""


class UpstreamDown(ConnectionError):
    """The upstream could not be reached or answered something that is not HTTP/1.1."""


class UpstreamTimeout(TimeoutError):
    """The upstream did not answer within the client's timeout."""


class UpstreamReply(NamedTuple):
    """One answer of the upstream."""

    status: int
    """The HTTP status."""
    content_type: str | None
    """Its `Content-Type`, if any."""
    body: bytes
    """The whole body (chunked encoding removed)."""


class _Stale(Exception):
    """A reused connection gave no answer at all: the upstream closed it while it was idle."""


class _Conn:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.used = False

    def close(self) -> None:
        self.writer.close()


def _head(raw: bytes) -> tuple[int, dict[bytes, bytes]]:
    lines = raw.split(b"\r\n")
    parts = lines[0].split(b" ", 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/1.") or not parts[1].isdigit():
        raise UpstreamDown(f"not an HTTP/1.1 status line: {lines[0][:60]!r}")
    headers: dict[bytes, bytes] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(b":")
        if not sep:
            continue
        key = name.strip().lower()
        value = value.strip()
        headers[key] = headers[key] + b", " + value if key in headers else value
    return int(parts[1]), headers


async def _chunked(reader: asyncio.StreamReader) -> bytes:
    parts: list[bytes] = []
    size = 0
    while True:
        line = await reader.readuntil(b"\r\n")
        n = int(line.split(b";", 1)[0].strip() or b"0", 16)
        if n == 0:
            while (await reader.readuntil(b"\r\n")) != b"\r\n":  # trailers
                pass
            return b"".join(parts)
        size += n
        if size > MAX_BODY:
            raise UpstreamDown(f"answer body over {MAX_BODY} bytes")
        parts.append(await reader.readexactly(n))
        await reader.readexactly(2)


class KeepAliveClient:
    """Requests to one upstream origin over reused HTTP/1.1 connections (one event loop)."""

    def __init__(self, base_url: str, *, timeout: float, keep: int = 64) -> None:
        url = urlsplit(base_url)
        if url.scheme not in ("http", "https") or not url.hostname:
            raise ValueError(f"not an http(s) URL: {base_url!r}")
        self.host = url.hostname
        self.port = url.port or (443 if url.scheme == "https" else 80)
        self.authority = url.netloc.rpartition("@")[2].encode()
        self._ssl = ssl.create_default_context() if url.scheme == "https" else None
        self.timeout = timeout
        self.keep = keep
        self._idle: list[_Conn] = []

    async def _connect(self) -> _Conn:
        try:
            reader, writer = await asyncio.open_connection(
                self.host, self.port, ssl=self._ssl, limit=MAX_HEAD, server_hostname=self.host if self._ssl else None
            )
        except OSError as exc:
            raise UpstreamDown(f"{type(exc).__name__}: {exc.strerror or exc}") from None
        return _Conn(reader, writer)

    def _head_bytes(self, method: str, target: str, headers: list[tuple[str, str]], body: bytes | None) -> bytes:
        lines = [f"{method} {target} HTTP/1.1".encode(), b"host: " + self.authority]
        lines += [f"{k}: {v}".encode("latin-1") for k, v in headers]
        if body is not None:
            lines.append(b"content-length: %d" % len(body))
        return b"\r\n".join(lines) + b"\r\n\r\n"

    async def request(self, method: str, target: str, body: bytes | None, headers: list[tuple[str, str]]) -> UpstreamReply:
        """Send one request (`target` is the path and query) and read the whole answer.

        `headers` must not hold Host, Content-Length, Connection or Transfer-Encoding."""
        data = self._head_bytes(method, target, headers, body) + (body or b"")
        try:
            async with asyncio.timeout(self.timeout):
                while True:
                    conn = self._idle.pop() if self._idle else await self._connect()
                    try:
                        return await self._exchange(conn, data, method)
                    except _Stale:
                        conn.close()  # closed by the upstream while idle: once more on another
                    except BaseException:
                        conn.close()
                        raise
        except TimeoutError:
            raise UpstreamTimeout(f"no answer within {self.timeout:g} s") from None
        except (OSError, EOFError, asyncio.LimitOverrunError, ValueError) as exc:
            raise UpstreamDown(f"{type(exc).__name__}: {exc}") from None

    async def _exchange(self, conn: _Conn, data: bytes, method: str) -> UpstreamReply:
        reader = conn.reader
        try:
            if reader.at_eof():
                raise asyncio.IncompleteReadError(b"", None)
            conn.writer.write(data)
            raw = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, ConnectionError) as exc:
            if conn.used and not getattr(exc, "partial", b""):
                raise _Stale from None
            raise
        status, headers = _head(raw[:-4])
        while 100 <= status < 200:  # 100 Continue and friends: the answer follows
            status, headers = _head((await reader.readuntil(b"\r\n\r\n"))[:-4])
        close = b"close" in headers.get(b"connection", b"").lower()
        if method == "HEAD" or status in (204, 304):
            body = b""
        elif b"chunked" in headers.get(b"transfer-encoding", b"").lower():
            body = await _chunked(reader)
        elif b"content-length" in headers:
            n = int(headers[b"content-length"])
            if n > MAX_BODY:
                raise UpstreamDown(f"answer body over {MAX_BODY} bytes")
            body = await reader.readexactly(n)
        else:
            body, close = await reader.read(MAX_BODY), True
        if close or len(self._idle) >= self.keep:
            conn.close()
        else:
            conn.used = True
            self._idle.append(conn)
        ctype = headers.get(b"content-type")
        return UpstreamReply(status, ctype.decode("latin-1") if ctype is not None else None, body)

    async def aclose(self) -> None:
        idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()
