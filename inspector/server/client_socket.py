"""One accepted websocket: pumps the pure ServerConnection, writes frames, runs one timer.

A :class:`ClientSocket` knows nothing of the server that accepted it: it reports protocol events
and its end to a :class:`SocketOwner` (declared here), records through the :class:`Journal` it
is handed, and reads only the heartbeat switch of the faults.

Everything a socket writes goes straight to the transport, synchronously and in order: the
connection's queued replies first, then any fan-out frame (``write`` flushes the queue before
writing). A socket that cannot keep up (more than ``max_write_buffer_bytes`` unsent, or the most
unsent when all sockets together are over the server-wide cap of the :class:`OutboundBudget`)
is dropped at once instead of stalling the others or filling memory, as the real server kills a
websocket process over its heap limit; the reason is logged and noted (``SocketDropped``). No task is created per socket besides aiohttp's handler task;
timers are loop handles cancelled at teardown.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from aiohttp import WSMsgType, web

from inspector.protocol.invisible import printable
from inspector.protocol.server_conn import ServerConnection

from .notes import HandlerError, SocketClosed, SocketDropped
from .wsframe import ws_frame

if TYPE_CHECKING:
    from .auth import Identity
    from .faults import Faults
    from .limits import OutboundBudget
    from .lograte import LogLimiter
    from .recorder import Journal

log = logging.getLogger("inspector.server")
_ids = itertools.count(1)
#: A socket's read loop yields to the others after about this much input (messages already
#: queued are otherwise handled without a pause) ...
_YIELD_AFTER = 256 * 1024
#: ... counting each message as this many bytes on top of its size (64 small ones).
_MESSAGE_COST = 4 * 1024
#: A message this large is handled in its turn: one at a time across the server's sockets, after
#: the small messages already waiting (see ``large_frames``).
_LARGE = 256 * 1024


def unframe(frame: bytes) -> str | bytes:
    """The payload of a frame made by :func:`~inspector.server.wsframe.ws_frame`."""
    n = frame[1] & 0x7F
    offset = 2 if n < 126 else (4 if n == 126 else 10)
    payload = frame[offset:]
    return payload.decode() if frame[0] & 0x0F == 1 else payload


class SocketOwner(Protocol):
    """What a :class:`ClientSocket` reports to (the server's composition provides it)."""

    def handle(self, sock: ClientSocket, event: object, now: float) -> None:
        """Decide what to do with one protocol event of ``sock`` (may raise: a bug)."""

    def closed(self, sock: ClientSocket) -> None:
        """``sock`` ended: forget its channels and the socket."""

    def track_task(self, task: asyncio.Task[Any]) -> None:
        """Keep a task the socket started until it is done (cancelled when the server stops)."""


class ClientSocket:
    """The server side of one websocket."""

    def __init__(
        self,
        ws: web.WebSocketResponse,
        transport: asyncio.Transport,
        vsn: str,
        identity: Identity,
        *,
        owner: SocketOwner,
        journal: Journal,
        faults: Faults,
        idle_timeout: float | None,
        max_write_buffer: int,
        budget: OutboundBudget | None = None,
        logs: LogLimiter | None = None,
        large_frames: asyncio.Lock | None = None,
    ) -> None:
        self.id = next(_ids)
        self.ws = ws
        self.vsn = vsn
        #: the identity of the socket's token (§1.2); joins may bring their own (§4.3).
        self.identity = identity
        self.conn = ServerConnection(vsn, now=time.time(), idle_timeout=idle_timeout)
        self.close_code: int | None = None
        #: the reason of the client's close frame, when the client closed.
        self.close_reason = ""
        self._owner = owner
        self._journal = journal
        self._faults = faults
        self._transport = transport
        self._limit = max_write_buffer
        self._budget = budget
        self._logs = logs
        #: shared by the server's sockets: held while one handles a large message. A 3 MB frame
        #: keeps the loop busy for milliseconds (parsing, checks, a diff to encode); taken in
        #: turns, with the small messages that are ready going first, sockets sending large
        #: frames at once delay a small one by one frame instead of by all of them.
        self._large_frames = large_frames or asyncio.Lock()
        #: why the server dropped the socket (slow consumer), or "".
        self.drop_reason = ""
        self._closing = False
        self._loop = asyncio.get_running_loop()
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at: float | None = None
        self._later: set[asyncio.TimerHandle] = set()
        self._close_task: asyncio.Task[None] | None = None

    def __repr__(self) -> str:
        return f"ClientSocket(id={self.id}, vsn={self.vsn}, channels={list(self.conn.channels)})"

    @property
    def closing(self) -> bool:
        return self._closing

    # ------------------------------------------------------------------------------ reading

    async def run(self) -> None:
        """Read until the socket closes; then forget every channel of this socket."""
        self._arm()
        ws = self.ws
        work = 0  # since the last yield: a flooding socket must not hold the loop (fairness)
        try:
            while True:
                if work > _YIELD_AFTER:
                    work = 0
                    await asyncio.sleep(0)
                msg = await ws.receive()
                kind = msg.type
                if kind is WSMsgType.TEXT or kind is WSMsgType.BINARY:
                    size = len(msg.data)
                    if size < _LARGE:
                        self.on_data(msg.data, kind is WSMsgType.BINARY)
                    else:
                        async with self._large_frames:
                            await asyncio.sleep(0)  # the small messages ready now go first
                            self.on_data(msg.data, kind is WSMsgType.BINARY)
                    work += size + _MESSAGE_COST
                elif kind is WSMsgType.CLOSE:  # the client closed: keep its reason
                    self.close_reason = msg.extra or ""
                    break
                elif kind is WSMsgType.ERROR:
                    log.info("socket %d: websocket error: %s", self.id, printable(str(msg.data)))
                    break
                else:  # CLOSING, CLOSED
                    break
        finally:
            self._teardown()

    def on_data(self, data: str | bytes, binary: bool) -> None:
        """Handle one websocket message."""
        now = time.time()
        journal = self._journal
        if journal.frames.active:
            shown = (
                data.decode(errors="replace") if not binary and isinstance(data, bytes) else data
            )
            journal.frame(self.id, "in", self.vsn, shown)
        self.conn.reply_to_heartbeats = not self._faults.mute_heartbeat_replies
        for event in self.conn.receive(data, now, binary=binary):
            self._handle(event, now)
        self.flush()
        self._arm()

    def _handle(self, event: object, now: float) -> None:
        """Let the owner decide; a bug there is logged and recorded, never fatal to the socket."""
        try:
            self._owner.handle(self, event, now)
        except Exception as exc:
            log.exception("socket %d: error handling %s", self.id, type(event).__name__)
            self._journal.note(self.id, HandlerError(self.id, type(event).__name__, repr(exc)))

    # ------------------------------------------------------------------------------ writing

    def write(self, frame: bytes) -> None:
        """Write a complete frame after whatever the connection has queued."""
        if self._closing:
            return
        if self.conn.has_data:
            self.flush()
        self._send(frame, None)

    def flush(self) -> None:
        """Write what the connection has queued."""
        if not self.conn.has_data:
            return
        if self._closing:
            self.conn.data_to_send()
            return
        for data in self.conn.data_to_send():
            self._send(ws_frame(data), data)

    def _send(self, frame: bytes, data: str | bytes | None) -> None:
        transport = self._transport
        if transport.is_closing():
            return
        transport.write(frame)
        journal = self._journal
        if journal.frames.active:
            journal.frame(self.id, "out", self.vsn, unframe(frame) if data is None else data)
        unsent = transport.get_write_buffer_size()
        if unsent > self._limit:
            self.drop(
                f"slow consumer: {unsent} bytes unsent, more than its cap of {self._limit} "
                "(max_write_buffer_bytes)"
            )
        elif self._budget is not None:
            self._budget.update(self, unsent)

    def unsent(self) -> int:
        """Bytes written but not yet taken by the kernel."""
        transport = self._transport
        return 0 if transport.is_closing() else transport.get_write_buffer_size()

    def drop(self, reason: str) -> None:
        """Drop the socket at once (no close frame; its unsent output is discarded)."""
        if self._closing:
            return
        self._closing = True
        self.drop_reason = reason
        if self._logs is not None:
            self._logs.log(
                logging.WARNING, "slow consumer", "socket %d dropped: %s", self.id, reason
            )
        else:
            log.warning("socket %d dropped: %s", self.id, reason)
        self._journal.note(self.id, SocketDropped(self.id, reason))
        if self._budget is not None:
            self._budget.forget(self)
        self._transport.abort()

    # ------------------------------------------------------------------------------ timers

    def _arm(self) -> None:
        deadline = self.conn.next_deadline()
        if deadline is None:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = self._timer_at = None
            return
        if self._timer is not None and self._timer_at is not None and self._timer_at <= deadline:
            return  # fires early enough; it re-arms itself
        if self._timer is not None:
            self._timer.cancel()
        self._timer_at = deadline
        self._timer = self._loop.call_later(
            max(0.0, deadline - time.time()) + 0.001, self._on_timer
        )

    def _on_timer(self) -> None:
        self._timer = self._timer_at = None
        if self._closing:
            return
        now = time.time()
        for event in self.conn.handle_timer(now):
            self._handle(event, now)
        self.flush()
        self._arm()

    def later(self, delay: float, action: Callable[[], None]) -> None:
        """Run ``action`` after ``delay`` seconds unless the socket closes first."""

        def fire() -> None:
            self._later.discard(handle)
            if not self._closing:
                action()
                self.flush()

        handle = self._loop.call_later(delay, fire)
        self._later.add(handle)

    # ------------------------------------------------------------------------------ closing

    async def close(self, code: int = 1000, reason: str = "") -> None:
        """Send a close frame with ``code`` and wait (bounded) for the client's answer."""
        if self._closing:
            return
        self.flush()
        self._closing = True
        try:
            await self.ws.close(code=code, message=reason.encode()[:123])
        except (ConnectionError, RuntimeError) as exc:  # already gone
            log.debug("socket %d: close: %s", self.id, exc)

    def close_soon(self, code: int = 1000, reason: str = "") -> None:
        """Start :meth:`close` from synchronous code (one task, kept until done)."""
        if self._close_task is None and not self._closing:
            self._close_task = self._loop.create_task(self.close(code, reason))
            self._owner.track_task(self._close_task)

    def _teardown(self) -> None:
        self._closing = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        for handle in self._later:
            handle.cancel()
        self._later.clear()
        if self._budget is not None:
            self._budget.forget(self)
        self._owner.closed(self)  # its channels go first (presence leaves, §8.3)
        self.conn.channels.clear()
        self.close_code = self.ws.close_code
        log.info(
            "socket %d closed (code %s, reason %s)",
            self.id,
            self.close_code,
            printable(self.close_reason) or "none",
        )
        self._journal.note(self.id, SocketClosed(self.id, self.close_code, self.close_reason))
