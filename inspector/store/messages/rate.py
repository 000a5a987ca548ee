"""Messages per second over a short sliding window (pure: the caller passes the time)."""

from __future__ import annotations

from collections import deque


class RateMeter:
    """Counts events in fixed buckets and reports the rate over the last ``window`` seconds."""

    def __init__(self, window: float = 2.0, buckets: int = 8) -> None:
        if window <= 0 or buckets < 1:
            raise ValueError("window and buckets must be positive")
        self._width = window / buckets
        self._buckets = buckets
        self._counts: deque[tuple[int, int]] = deque()
        self.total = 0

    def add(self, now: float, count: int = 1) -> None:
        """Record ``count`` events at time ``now`` (seconds, any monotonic origin)."""
        index = int(now // self._width)
        if self._counts and self._counts[-1][0] == index:
            self._counts[-1] = (index, self._counts[-1][1] + count)
        else:
            self._counts.append((index, count))
        self.total += count
        self._trim(index)

    def _trim(self, index: int) -> None:
        oldest = index - self._buckets + 1
        while self._counts and self._counts[0][0] < oldest:
            self._counts.popleft()

    def rate(self, now: float) -> float:
        """Events per second over the window that ends at ``now``."""
        index = int(now // self._width)
        self._trim(index)
        if not self._counts:
            return 0.0
        span = (self._buckets - 1) * self._width + (now - index * self._width)
        return sum(count for _, count in self._counts) / span
