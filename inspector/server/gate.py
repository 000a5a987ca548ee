"""Accepted TCP connections: a cap below the fd limit and a timeout for the request headers.

Slowloris (connections that send their request headers slowly, or never) used to hold a file
descriptor each, forever: 1,100 of them under a 1,024 fd limit locked every client out. The
:class:`ConnectionGate` is the listening socket's protocol factory, in front of aiohttp's:

- a connection must deliver a complete request (headers) within ``header_timeout`` of being
  accepted, and again within ``header_timeout`` after each response (an idle keep-alive
  connection); otherwise it is closed;
- at most ``cap`` connections are open. At the cap, a new connection first evicts the oldest
  connection that is still waiting for its request (so a slowloris cannot lock out a client
  whose request is complete at once); when every connection is busy (websockets, requests
  being handled) the new one gets ``503`` with ``Connection: close`` and is closed.

A connection counts as busy from the moment aiohttp hands its request to the app (the
middleware :meth:`ConnectionGate.middleware`) until the handler returns; for a websocket that
is its whole life.
"""

from __future__ import annotations

import asyncio
import logging
import resource
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from .lograte import LogLimiter

#: Descriptors kept free for everything else: the process's own files, connections accepted
#: in one burst before the gate sees them, evicted ones not yet closed, refusals in flight.
_RESERVE_MIN = 100
#: At most this many refusals in flight; past it new connections are reset at once.
_MAX_REFUSING = 16


def _fd_limit() -> int:
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft <= 0:
        return 1_000_000
    return int(soft)


def default_connection_cap() -> int:
    """The connection cap derived from ``RLIMIT_NOFILE``: the soft limit minus a reserve of
    an eighth of it (at least 100)."""
    soft = _fd_limit()
    return max(1, soft - max(_RESERVE_MIN, soft // 8))


def accept_burst() -> int:
    """Connections the loop accepts per wakeup of the listening socket.

    asyncio accepts up to its ``backlog`` argument in one go, before the gate sees any of
    them, and on EMFILE logs an error for every remaining attempt of the burst. A small burst
    keeps the descriptors in flight inside the reserve.
    """
    soft = _fd_limit()
    return max(4, min(64, max(_RESERVE_MIN, soft // 8) // 5))


def _refusal(cap: int) -> bytes:
    body = b'{"message":"Too many connections"}'
    head = (
        "HTTP/1.1 503 Service Unavailable\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n"
        "Retry-After: 1\r\n"
        f"X-Connection-Cap: {cap}\r\n"
        "Connection: close\r\n\r\n"
    )
    return head.encode() + body


class _Conn(asyncio.Protocol):
    """One accepted connection: aiohttp's protocol behind a thin wrapper that the gate sees."""

    __slots__ = ("busy", "gate", "inner", "timer", "transport")

    def __init__(self, gate: ConnectionGate, inner: asyncio.Protocol) -> None:
        self.gate = gate
        self.inner = inner
        self.transport: asyncio.Transport | None = None
        self.busy = 0
        self.timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.gate._opened(self)
        self.inner.connection_made(transport)

    def data_received(self, data: bytes) -> None:
        self.inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self.inner.eof_received()

    def connection_lost(self, exc: Exception | None) -> None:
        self.gate._closed(self)
        self.inner.connection_lost(exc)

    def pause_writing(self) -> None:
        self.inner.pause_writing()

    def resume_writing(self) -> None:
        self.inner.resume_writing()

    def expire(self) -> None:
        self.timer = None
        transport = self.transport
        if self.busy or transport is None or transport.is_closing():
            return
        self.gate.logs.log(
            logging.INFO,
            "header timeout",
            "connection from %s closed: no complete request within %.1f s",
            _peer(transport),
            self.gate.header_timeout,
        )
        self.gate._idle.pop(self, None)
        transport.abort()


class _Refused(asyncio.Protocol):
    """Answers 503 to a connection over the cap, then closes it."""

    def __init__(self, gate: ConnectionGate) -> None:
        self.gate = gate
        self.timer: asyncio.TimerHandle | None = None
        self.transport: asyncio.Transport | None = None
        self.counted = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        gate = self.gate
        gate.refused += 1
        gate.logs.log(
            logging.WARNING,
            "connection refused",
            "connection from %s refused with 503: %d connections open (the cap, "
            "--max-connections), none of them waiting for a request",
            _peer(transport),
            len(gate._open),
        )
        if gate._refusing >= _MAX_REFUSING:
            transport.abort()
            return
        gate._refusing += 1
        self.counted = True
        transport.write(gate._refusal)
        if transport.can_write_eof():
            transport.write_eof()  # the request may still be arriving: let it, then close
        self.timer = asyncio.get_running_loop().call_later(1.0, transport.abort)

    def data_received(self, data: bytes) -> None:
        pass

    def eof_received(self) -> bool:
        if self.transport is not None:
            self.transport.close()
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        if self.counted:
            self.counted = False
            self.gate._refusing -= 1
        self.transport = None


def _peer(transport: asyncio.BaseTransport) -> str:
    peer = transport.get_extra_info("peername")
    if isinstance(peer, tuple) and len(peer) >= 2:
        return f"{peer[0]}:{peer[1]}"
    return "?"


class ConnectionGate:
    """The protocol factory of the listening socket (see the module docstring)."""

    def __init__(
        self,
        factory: Callable[[], asyncio.Protocol],
        *,
        cap: int,
        header_timeout: float | None,
        logs: LogLimiter,
    ) -> None:
        self._factory = factory
        self.cap = cap
        self.header_timeout = header_timeout
        self.logs = logs
        #: connections refused with 503 so far; evicted: idle ones closed to make room.
        self.refused = 0
        self.evicted = 0
        self._refusal = _refusal(cap)
        self._open: set[_Conn] = set()
        #: connections waiting for a request, oldest first.
        self._idle: dict[_Conn, None] = {}
        self._by_handler: dict[object, _Conn] = {}
        self._refusing = 0

    @property
    def open_connections(self) -> int:
        return len(self._open)

    def __call__(self) -> asyncio.Protocol:
        if len(self._open) >= self.cap and not self._evict():
            return _Refused(self)
        return _Conn(self, self._factory())

    def _evict(self) -> bool:
        """Close the oldest connection still waiting for its request; False when none is."""
        for conn in self._idle:
            del self._idle[conn]
            self._open.discard(conn)
            self.evicted += 1
            transport = conn.transport
            if transport is not None:
                self.logs.log(
                    logging.WARNING,
                    "connection evicted",
                    "connection cap (%d) reached: closed the connection from %s, the oldest "
                    "still waiting for its request, to accept a new one",
                    self.cap,
                    _peer(transport),
                )
                transport.abort()
            return True
        return False

    # ---------------------------------------------------------------------- lifecycle

    def _opened(self, conn: _Conn) -> None:
        self._open.add(conn)
        self._by_handler[conn.inner] = conn
        self._wait_for_request(conn)

    def _closed(self, conn: _Conn) -> None:
        self._open.discard(conn)
        self._idle.pop(conn, None)
        self._by_handler.pop(conn.inner, None)
        if conn.timer is not None:
            conn.timer.cancel()
            conn.timer = None

    def _wait_for_request(self, conn: _Conn) -> None:
        self._idle[conn] = None
        if self.header_timeout is not None and self.header_timeout > 0:
            conn.timer = asyncio.get_running_loop().call_later(self.header_timeout, conn.expire)

    @web.middleware
    async def middleware(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[Any]]
    ) -> Any:
        """Marks the request's connection busy while the app handles it."""
        conn = self._by_handler.get(request.protocol)
        if conn is None:
            return await handler(request)
        conn.busy += 1
        self._idle.pop(conn, None)
        if conn.timer is not None:
            conn.timer.cancel()
            conn.timer = None
        try:
            return await handler(request)
        finally:
            conn.busy -= 1
            if conn.busy == 0 and conn in self._open:
                transport = conn.transport
                if transport is not None and not transport.is_closing():
                    self._wait_for_request(conn)
