"""Rate-limited logging of repeated happenings (malformed frames, dropped or refused peers).

A peer can make the server log as fast as it can send: a million malformed frames were 79 MB
of log. :class:`LogLimiter` writes the first line of each kind in an interval and counts the
rest; when the interval is over, :meth:`LogLimiter.flush` (run by the server on a timer and at
stop) writes one line per kind with the number not written. So a flood costs at most two lines
per kind per interval, and no count is lost.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable


class _Kind:
    __slots__ = ("level", "start", "suppressed")

    def __init__(self, start: float, level: int) -> None:
        self.start = start
        self.level = level
        self.suppressed = 0


class LogLimiter:
    """At most one line per kind per ``interval_s``, plus one line counting the rest."""

    def __init__(
        self,
        logger: logging.Logger,
        interval_s: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.logger = logger
        self.interval = interval_s
        self._clock = clock
        self._kinds: dict[str, _Kind] = {}

    def log(self, level: int, kind: str, msg: str, *args: object) -> bool:
        """Log ``msg % args`` unless a line of ``kind`` was written less than an interval ago
        (then count it); True when written."""
        now = self._clock()
        state = self._kinds.get(kind)
        if state is not None and now - state.start < self.interval:
            state.suppressed += 1
            return False
        if state is not None and state.suppressed:
            self._summary(kind, state)
        self._kinds[kind] = _Kind(now, level)
        self.logger.log(level, msg, *args)
        return True

    def suppressed(self, kind: str) -> int:
        """Lines of ``kind`` counted but not yet reported."""
        state = self._kinds.get(kind)
        return state.suppressed if state is not None else 0

    def flush(self, *, force: bool = False) -> None:
        """Report the kinds whose interval is over (every kind with ``force``)."""
        now = self._clock()
        for kind, state in list(self._kinds.items()):
            if force or now - state.start >= self.interval:
                if state.suppressed:
                    self._summary(kind, state)
                del self._kinds[kind]

    def _summary(self, kind: str, state: _Kind) -> None:
        self.logger.log(
            state.level,
            "%s: %d more in the last %.1f s, not logged one by one",
            kind,
            state.suppressed,
            self._clock() - state.start,
        )
        state.suppressed = 0
