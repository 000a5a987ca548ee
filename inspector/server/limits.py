"""Limits of §10: the tenant's event rate and payload limit, presence calls per channel."""

from __future__ import annotations

from collections import deque

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
