"""Socket blocking for tests that must show a replay opens no network connection.

    from _sockets import blocked_sockets

    with blocked_sockets() as attempts:
        ...                      # any connect() raises NetworkBlocked
    assert attempts == []

Only outgoing connections are refused: a server already listening (LocalEndpoint) keeps its
socket, so a test can prove that a replay did not call it.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from replaylab.errors import NetworkBlocked


@contextmanager
def blocked_sockets() -> Iterator[list[Any]]:
    """Refuse every outgoing connection in the block; yields the addresses that were tried."""
    attempts: list[Any] = []
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex
    real_create = socket.create_connection

    def refuse(address: Any) -> None:
        attempts.append(address)
        raise NetworkBlocked(f"sandbox test: a connection to {address!r} was attempted")

    def connect(self: socket.socket, address: Any) -> None:
        refuse(address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        refuse(address)
        return 1

    def create_connection(address: Any, *args: Any, **kwargs: Any) -> socket.socket:
        refuse(address)
        raise AssertionError("unreachable")

    socket.socket.connect = connect  # type: ignore[method-assign,assignment]
    socket.socket.connect_ex = connect_ex  # type: ignore[method-assign,assignment]
    socket.create_connection = create_connection
    try:
        yield attempts
    finally:
        socket.socket.connect = real_connect  # type: ignore[method-assign]
        socket.socket.connect_ex = real_connect_ex  # type: ignore[method-assign]
        socket.create_connection = real_create
