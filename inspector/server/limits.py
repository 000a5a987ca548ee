"""Limits of §10 (event rate, payload limit, presence calls per channel) and the local
server's memory caps (unsent output, presence metas)."""

from __future__ import annotations

from collections import deque
from typing import Protocol

#: System error texts that close a channel (§10).
TOO_MANY_MESSAGES = "Too many messages per second"
PRESENCE_RATE_LIMIT = "Client presence rate limit exceeded"
TRACK_TOO_BIG = "Track message size exceeded"
PAYLOAD_SIZE_EXCEEDED = "payload_size_exceeded"


class EventRate:
    """Events per second as a rolling average over ``window_s`` (the real server uses ~60 s).

    Counts are kept in buckets of a tenth of the window; ``rate(now)`` is the sum of the live
    buckets divided by the window.
    """

    def __init__(self, limit: int, window_s: float = 1.0) -> None:
        self.limit = limit
        self.window = max(window_s, 0.01)
        self._bucket = self.window / 10
        self._counts: deque[tuple[int, int]] = deque()
        self._total = 0

    def _expire(self, now: float) -> int:
        index = int(now / self._bucket)
        oldest = index - 9
        while self._counts and self._counts[0][0] < oldest:
            self._total -= self._counts.popleft()[1]
        return index

    def add(self, count: int, now: float) -> None:
        index = self._expire(now)
        if self._counts and self._counts[-1][0] == index:
            i, c = self._counts[-1]
            self._counts[-1] = (i, c + count)
        else:
            self._counts.append((index, count))
        self._total += count

    def rate(self, now: float) -> float:
        self._expire(now)
        return self._total / self.window

    def over(self, now: float) -> bool:
        """At or above the limit (the real server's test is ``>=``, §6.1)."""
        return self.rate(now) >= self.limit


class TenantLimits:
    """The limits of one tenant, shared by the websocket and REST paths (§6.1, §10).

    ``max_payload`` is the broadcast payload limit in bytes; ``rate`` counts events across the
    server (websocket pushes, fan-out deliveries, REST messages), or is None for no limit.
    """

    __slots__ = ("max_payload", "rate")

    def __init__(
        self, max_payload_kb: int, events_per_second: int | None = None, window_s: float = 1.0
    ) -> None:
        self.max_payload = max_payload_kb * 1000 + 500
        self.rate = EventRate(events_per_second, window_s) if events_per_second else None

    def count(self, events: int, now: float) -> None:
        """Count events against the rate limit (nothing without one)."""
        if self.rate is not None:
            self.rate.add(events, now)

    def over(self, now: float) -> bool:
        """At or above the rate limit (never without one)."""
        return self.rate is not None and self.rate.over(now)


class CallWindow:
    """At most ``max_calls`` in any ``window_s`` (presence: 5 per 30 s per channel, §8.5)."""

    __slots__ = ("_calls", "max_calls", "window")

    def __init__(self, max_calls: int, window_s: float) -> None:
        self.max_calls = max_calls
        self.window = window_s
        self._calls: deque[float] = deque()

    def allow(self, now: float) -> bool:
        """Count a call; False when it goes over the limit."""
        while self._calls and self._calls[0] <= now - self.window:
            self._calls.popleft()
        if len(self._calls) >= self.max_calls:
            return False
        self._calls.append(now)
        return True


# ---------------------------------------------------------------------------- memory caps
#
# The real server bounds each websocket process's heap (WEBSOCKET_MAX_HEAP_SIZE, 50 MB) and
# kills it abruptly when over. The local server bounds what it holds for peers instead: unsent
# output per socket and in total, and presence metas per socket and in total. These caps are
# local (docs/server.md "Resource limits"); the texts follow the real server's style.

#: System error texts when a track would go over the local presence caps (then close).
PRESENCE_SOCKET_FULL = "Presence size limit per connection exceeded"
PRESENCE_SERVER_FULL = "Presence size limit per server exceeded"


class Drainable(Protocol):
    """A socket as the outbound budget sees it."""

    def unsent(self) -> int:
        """Bytes written but not yet taken by the kernel."""

    def drop(self, reason: str) -> None:
        """Close at once (the unsent output is discarded), logging ``reason``."""


class OutboundBudget:
    """Unsent output across every socket against one server-wide cap.

    Each socket reports its unsent bytes after each write (:meth:`update`); the total kept here
    can be stale-high (a socket's buffer drains without a report), so when it goes over the cap
    it is recomputed exactly first. While the exact total is over, the socket with the most
    unsent bytes (the slowest consumer) is dropped, so well-behaved sockets keep their output.
    """

    __slots__ = ("_sizes", "limit", "total")

    def __init__(self, limit: int | None) -> None:
        self.limit = limit
        self.total = 0
        self._sizes: dict[Drainable, int] = {}

    def update(self, sink: Drainable, unsent: int) -> None:
        old = self._sizes.get(sink, 0)
        if unsent == old:
            return
        self._sizes[sink] = unsent
        self.total += unsent - old
        if self.limit is not None and self.total > self.limit:
            self._shed(self.limit)

    def forget(self, sink: Drainable) -> None:
        self.total -= self._sizes.pop(sink, 0)

    def _shed(self, limit: int) -> None:
        sizes = {s: s.unsent() for s in self._sizes}
        self._sizes = sizes
        self.total = sum(sizes.values())
        while self.total > limit and sizes:
            victim = max(sizes, key=sizes.__getitem__)
            unsent = sizes.pop(victim)
            self.total -= unsent
            victim.drop(
                f"slow consumer: {unsent} bytes unsent while all sockets together had more "
                f"than {limit} (server-wide cap); dropping the socket with the most"
            )


class PresenceBudget:
    """Bytes of presence metas held per socket and per server.

    An owner (a joined channel) holds at most one meta per channel; its size is the payload
    size the track was checked with (§10). Owners without a socket (server-side tracks such as
    the demo's) are not counted.
    """

    __slots__ = ("_by_socket", "_held", "per_server", "per_socket", "total")

    def __init__(self, per_socket: int | None = None, per_server: int | None = None) -> None:
        self.per_socket = per_socket
        self.per_server = per_server
        self.total = 0
        self._held: dict[object, tuple[int, int]] = {}
        self._by_socket: dict[int, int] = {}

    def of_socket(self, socket_id: int) -> int:
        return self._by_socket.get(socket_id, 0)

    def refusal(self, owner: object, socket_id: int, size: int) -> str | None:
        """The system error text when tracking ``size`` bytes for ``owner`` goes over a cap."""
        old = self._held.get(owner)
        freed = old[1] if old is not None else 0
        if (
            self.per_socket is not None
            and self.of_socket(socket_id) - freed + size > self.per_socket
        ):
            return PRESENCE_SOCKET_FULL
        if self.per_server is not None and self.total - freed + size > self.per_server:
            return PRESENCE_SERVER_FULL
        return None

    def hold(self, owner: object, socket_id: int, size: int) -> None:
        self.release(owner)
        self._held[owner] = (socket_id, size)
        self._by_socket[socket_id] = self._by_socket.get(socket_id, 0) + size
        self.total += size

    def release(self, owner: object) -> None:
        held = self._held.pop(owner, None)
        if held is None:
            return
        socket_id, size = held
        left = self._by_socket[socket_id] - size
        if left:
            self._by_socket[socket_id] = left
        else:
            del self._by_socket[socket_id]
        self.total -= size
