"""One open websocket of the client: the :class:`~inspector.client.transport.WebSocket` it
reads and writes, and how its end is reported.

The client owns at most one current :class:`Link`. The messages of each TCP read go to the
client's ``on_messages`` in one list, as the transport cuts them out; the frames the client queues are
written in order, batched, waiting only when the socket's buffer is full. When the socket
ends, ``on_lost`` is called once with a reason in plain words, unless the client abandoned the
link first (then the end is expected and not reported).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from .errors import close_text
from .transport import WebSocket


class Link:
    """A connected websocket and the reporting of its end."""

    def __init__(
        self,
        ws: WebSocket,
        on_messages: Callable[[list[str | bytes]], None],
        on_sent: Callable[[str | bytes], None] | None,
        on_lost: Callable[[Link, str, int | None, str], None],
    ) -> None:
        self.ws = ws
        self._on_messages = on_messages
        self._on_sent = on_sent
        self._on_lost = on_lost
        self.abandoned = False
        self._closer: asyncio.Task[None] | None = None
        ws.set_on_sent(on_sent)  # frames may be sent before start()

    def start(self) -> None:
        """Deliver messages from now on (those since the handshake first)."""
        self.ws.attach(self._on_messages, self._ended, self._on_sent)

    def set_on_sent(self, on_sent: Callable[[str | bytes], None] | None) -> None:
        self._on_sent = on_sent
        self.ws.set_on_sent(on_sent)

    @property
    def backlog(self) -> int:
        """Frames queued and not yet written (the socket's buffer is full)."""
        return self.ws.backlog

    # ------------------------------------------------------------------ writing

    def send_many(self, frames: list[str | bytes]) -> None:
        """Queue frames for the socket, in order; never blocks."""
        if not self.abandoned:
            self.ws.send_many(frames)

    # ------------------------------------------------------------------ the end

    def _ended(self) -> None:
        ws = self.ws
        code = ws.close_code
        reason = ws.internal_error or ws.close_reason or ""
        if code is None:
            code = 1006
        failure = ws.failure
        if code == 1006 and failure is not None and not ws.internal_error:
            code, reason = failure  # we closed it: a frame we refused (1002, 1007, 1009)
        if not self.abandoned:
            self.abandoned = True
            self._on_lost(self, close_text(code, reason), code, reason)

    def abandon(self, code: int = 1000, reason: str = "") -> asyncio.Task[None]:
        """Close the socket on purpose; the end is not reported to the client."""
        if self._closer is None:
            self.abandoned = True
            self._closer = asyncio.create_task(self.ws.close(code, reason), name="realtime-close")
        return self._closer

    async def wait_closed(self) -> None:
        """Wait until the socket is closed."""
        if self._closer is not None:
            await asyncio.gather(self._closer, return_exceptions=True)
        await self.ws.wait_closed()
