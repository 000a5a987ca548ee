"""A bounded queue of client events towards one async-iterator consumer.

When the consumer falls behind, data events (broadcasts, presence, other channel messages)
beyond ``maxsize`` are dropped and counted; state changes, push results and errors are always
kept, so nothing that changes what the user must know is lost. The consumer then receives an
:class:`~inspector.client.events.EventsDropped` with the count before the next event.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from typing import Final

from inspector.protocol.events import BroadcastReceived, ChannelMessage, PresenceChanged

from .events import ClientEvent, EventsDropped

#: Event types that may be dropped for a slow consumer.
DROPPABLE: Final = frozenset({BroadcastReceived, PresenceChanged, ChannelMessage})


class EventQueue:
    """Single-consumer bounded queue; ``put`` never blocks and never raises."""

    def __init__(self, maxsize: int, clock: Callable[[], float]) -> None:
        self.maxsize = maxsize
        #: Events dropped since the queue was made.
        self.dropped = 0
        self._unreported = 0
        self._items: deque[ClientEvent] = deque()
        self._waiter: asyncio.Future[None] | None = None
        self._closed = False
        self._clock = clock

    def __len__(self) -> int:
        return len(self._items)

    def put(self, event: ClientEvent) -> None:
        if self._closed:
            return
        if len(self._items) >= self.maxsize and event.__class__ in DROPPABLE:
            self.dropped += 1
            self._unreported += 1
            return
        self._items.append(event)
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def close(self) -> None:
        """No more events: the consumer ends after draining what is queued."""
        self._closed = True
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def get(self) -> ClientEvent:
        """The next event; raises ``StopAsyncIteration`` once closed and drained."""
        while not self._items:
            if self._closed:
                raise StopAsyncIteration
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        if self._unreported:
            count, self._unreported = self._unreported, 0
            return EventsDropped(count, self.dropped, self._clock())
        return self._items.popleft()

    def get_nowait(self) -> ClientEvent | None:
        """The next event if one is queued, else None (for batch consumers)."""
        if self._unreported:
            count, self._unreported = self._unreported, 0
            return EventsDropped(count, self.dropped, self._clock())
        return self._items.popleft() if self._items else None
