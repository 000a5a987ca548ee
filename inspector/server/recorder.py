"""Bounded logs of what the server saw and sent, with awaitable waits for tests and QA.

One :class:`Journal` per server is handed to every piece that records. Its ``frames`` (also
``server.frames``) holds :class:`RecordedFrame` (off unless ``frame_log_size`` > 0) and its
``events`` (also ``server.events``) holds :class:`EventRecord` (protocol events, sockets opening
and closing, REST broadcasts, server notes). Tests wait on them instead of sleeping::

    mark = server.events.mark()
    ...
    rec = await server.events.wait_for(lambda r: isinstance(r.event, JoinRequested), after=mark)
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Generic, Literal, TypeVar

from inspector.protocol.frames import Decoded
from inspector.protocol.serializer import Role, decode

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class RecordedFrame:
    """One websocket message as it crossed the wire."""

    socket_id: int
    #: "in" from the client, "out" to the client.
    direction: Literal["in", "out"]
    vsn: str
    #: ``str`` for text frames, ``bytes`` for binary frames.
    data: str | bytes

    @property
    def binary(self) -> bool:
        return isinstance(self.data, bytes)

    def decoded(self) -> Decoded:
        """The frame decoded with the role of its receiver."""
        role = Role.SERVER if self.direction == "in" else Role.CLIENT
        return decode(self.data, self.vsn, role)

    def __repr__(self) -> str:  # frames can hold tokens: never print their content
        kind = "binary" if self.binary else "text"
        return f"RecordedFrame(socket={self.socket_id}, {self.direction}, {kind}, {len(self.data)} bytes)"


@dataclass(frozen=True, slots=True)
class EventRecord:
    """A protocol event (inspector.protocol.server_events) or a server note (server.notes)."""

    #: the socket it happened on, or None for REST and server-wide notes.
    socket_id: int | None
    event: object


class Recorder(Generic[T]):
    """A bounded, append-only log whose future entries can be awaited."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: deque[tuple[int, T]] = deque(maxlen=max(size, 1))
        self._seq = 0
        self._waiters: list[tuple[Callable[[T], bool], asyncio.Future[T], int]] = []

    @property
    def active(self) -> bool:
        """Whether appends are kept or awaited (callers skip building records otherwise)."""
        return self.size > 0 or bool(self._waiters)

    def append(self, item: T) -> None:
        self._seq += 1
        if self.size > 0:
            self._items.append((self._seq, item))
        if self._waiters:
            keep = []
            for pred, fut, after in self._waiters:
                if fut.done():
                    continue
                try:
                    matched = self._seq > after and pred(item)
                except Exception as exc:  # a waiter's bug goes to the waiter, not the server
                    fut.set_exception(exc)
                    continue
                if matched:
                    fut.set_result(item)
                else:
                    keep.append((pred, fut, after))
            self._waiters = keep

    def mark(self) -> int:
        """A cursor: pass it as ``after`` to look only at later entries."""
        return self._seq

    def items(self, after: int = 0) -> list[T]:
        """The kept entries appended after the cursor."""
        return [item for seq, item in self._items if seq > after] if self.size > 0 else []

    def __iter__(self) -> Iterator[T]:
        return iter(self.items())

    def clear(self) -> None:
        self._items.clear()

    async def wait_for(
        self, predicate: Callable[[T], bool], timeout: float = 5.0, *, after: int = 0
    ) -> T:
        """The first entry after ``after`` matching ``predicate``, kept or future.

        Raises ``TimeoutError`` when none arrives within ``timeout`` seconds.
        """
        for item in self.items(after):
            if predicate(item):
                return item
        fut: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        entry = (predicate, fut, max(after, self._seq))
        self._waiters.append(entry)
        try:
            return await asyncio.wait_for(fut, timeout)
        except TimeoutError:
            raise TimeoutError(f"no matching entry within {timeout} s") from None
        finally:
            if entry in self._waiters:
                self._waiters.remove(entry)


class Journal:
    """Where the server's pieces record what happened: the one recorder they are handed."""

    __slots__ = ("events", "frames")

    def __init__(self, event_log_size: int, frame_log_size: int = 0) -> None:
        #: protocol events and server notes.
        self.events: Recorder[EventRecord] = Recorder(event_log_size)
        #: websocket messages in and out (kept only when ``frame_log_size`` > 0).
        self.frames: Recorder[RecordedFrame] = Recorder(frame_log_size)

    def note(self, socket_id: int | None, event: object) -> None:
        """Record a protocol event or a server note (``socket_id`` None: REST, server-wide)."""
        events = self.events
        if events.active:
            events.append(EventRecord(socket_id, event))

    def frame(
        self, socket_id: int, direction: Literal["in", "out"], vsn: str, data: str | bytes
    ) -> None:
        """Record a websocket message; callers on hot paths check ``frames.active`` first."""
        frames = self.frames
        if frames.active:
            frames.append(RecordedFrame(socket_id, direction, vsn, data))
