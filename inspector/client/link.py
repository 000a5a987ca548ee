"""One open websocket of the client: a reader task and a writer task around ``websockets``.

The client owns at most one current :class:`Link`. The reader hands every message to the
client's ``on_message``; the writer sends what the client queued, in order. When the socket
ends, ``on_lost`` is called once with a reason in plain words, unless the client abandoned the
link first (then the end is expected and not reported).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections import deque
from collections.abc import Callable

from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from .errors import close_text

log = logging.getLogger(__name__)


class Link:
    """A connected websocket with its reader and writer tasks."""

    def __init__(
        self,
        ws: ClientConnection,
        on_message: Callable[[str | bytes], None],
        on_sent: Callable[[str | bytes], None] | None,
        on_lost: Callable[[Link, str, int | None, str], None],
    ) -> None:
        self.ws = ws
        self._on_message = on_message
        self._on_sent = on_sent
        self._on_lost = on_lost
        self._outbox: deque[str | bytes] = deque()
        self._wake: asyncio.Future[None] | None = None
        self.abandoned = False
        self._reader: asyncio.Task[None] | None = None
        self._writer: asyncio.Task[None] | None = None
        self._closer: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._reader = asyncio.create_task(self._read(), name="realtime-reader")
        self._writer = asyncio.create_task(self._write(), name="realtime-writer")

    @property
    def backlog(self) -> int:
        """Frames queued and not yet handed to the websocket."""
        return len(self._outbox)

    def set_on_sent(self, on_sent: Callable[[str | bytes], None] | None) -> None:
        self._on_sent = on_sent

    # ------------------------------------------------------------------ writing

    def send_many(self, frames: list[str | bytes]) -> None:
        """Queue frames for the writer, in order; never blocks."""
        if self.abandoned:
            return
        self._outbox.extend(frames)
        wake = self._wake
        if wake is not None and not wake.done():
            wake.set_result(None)

    async def _write(self) -> None:
        outbox = self._outbox
        ws = self.ws
        try:
            while True:
                corked = len(outbox) > 1 and _cork(ws, True)
                try:
                    while outbox:
                        data = outbox.popleft()
                        on_sent = self._on_sent
                        if on_sent is not None:
                            on_sent(data)
                        await ws.send(data)
                finally:
                    if corked:
                        _cork(ws, False)
                self._wake = asyncio.get_running_loop().create_future()
                await self._wake
                self._wake = None
        except ConnectionClosed:
            pass  # the reader reports the end

    # ------------------------------------------------------------------ reading

    async def _read(self) -> None:
        ws = self.ws
        on_message = self._on_message
        code: int | None = None
        reason = ""
        try:
            async for data in ws:
                on_message(data)
        except ConnectionClosed:
            pass
        except Exception as exc:  # a bug of ours in on_message must not pass silently
            log.exception("error while handling a websocket message")
            reason = f"internal error: {exc}"
        finally:
            if ws.close_code is not None:
                code, reason = ws.close_code, reason or ws.close_reason or ""
            elif not reason:
                code = 1006
            if self._writer is not None:
                self._writer.cancel()
            if not self.abandoned:
                self.abandoned = True
                self._on_lost(self, close_text(code, reason), code, reason)

    # ------------------------------------------------------------------ closing

    def abandon(self, code: int = 1000, reason: str = "") -> asyncio.Task[None]:
        """Close the socket on purpose; the end is not reported to the client."""
        if self._closer is None:
            self.abandoned = True
            self._closer = asyncio.create_task(self._close(code, reason), name="realtime-close")
        return self._closer

    async def _close(self, code: int, reason: str) -> None:
        # Let the writer finish what is queued (e.g. nothing, or a last phx_leave) first.
        with contextlib.suppress(Exception):
            await self.ws.close(code, reason)
        for task in (self._writer, self._reader):
            if task is not None and not task.done():
                task.cancel()

    async def wait_closed(self) -> None:
        """Wait until the socket and both tasks are finished."""
        tasks = [t for t in (self._closer, self._reader, self._writer) if t is not None]
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)


_CORK = getattr(socket, "TCP_CORK", None)


def _cork(ws: ClientConnection, on: bool) -> bool:
    """Hold (or release) partial TCP segments while a burst of frames is written, so a burst
    costs a few segments instead of one per frame (Linux ``TCP_CORK``); False where that is
    not available."""
    if _CORK is None:
        return False
    sock = ws.transport.get_extra_info("socket")
    if sock is None:
        return False
    try:
        sock.setsockopt(socket.IPPROTO_TCP, _CORK, 1 if on else 0)
    except OSError:
        return False
    return True
