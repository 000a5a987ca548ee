"""Reconnect and rejoin schedules of realtime-js, as pure functions (docs/realtime-protocol.md §7.2).

realtime-js waits 1, 2, 5, 10, 10, ... seconds between socket reconnect attempts, and its
channels wait 1, 2, 5, 10, 10, ... seconds between rejoin attempts (phoenix's default, which
realtime-js keeps). Both counts start again after a success. ``tries`` is 1 for the first retry.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Final

#: Socket reconnect delays in seconds; the last one repeats forever (§7.2).
RECONNECT_SCHEDULE: Final[tuple[float, ...]] = (1.0, 2.0, 5.0, 10.0)
#: Channel rejoin delays in seconds; the last one repeats forever (§7.2, phoenix default).
REJOIN_SCHEDULE: Final[tuple[float, ...]] = (1.0, 2.0, 5.0, 10.0)


def delay_for(tries: int, schedule: Sequence[float] = RECONNECT_SCHEDULE) -> float:
    """The wait before retry number ``tries`` (1-based); past the end the last value repeats."""
    if not schedule:
        raise ValueError("a back-off schedule needs at least one delay")
    if tries < 1:
        tries = 1
    if tries > len(schedule):
        return float(schedule[-1])
    return float(schedule[tries - 1])


def reconnect_after(tries: int) -> float:
    """realtime-js ``reconnectAfterMs(tries)`` in seconds: 1, 2, 5, then 10 forever (§7.2)."""
    return delay_for(tries, RECONNECT_SCHEDULE)


def rejoin_after(tries: int) -> float:
    """phoenix ``rejoinAfterMs(tries)`` in seconds: 1, 2, 5, then 10 forever (§7.2)."""
    return delay_for(tries, REJOIN_SCHEDULE)


def delays(schedule: Sequence[float] = RECONNECT_SCHEDULE) -> Iterator[float]:
    """The schedule as an endless generator: ``1, 2, 5, 10, 10, ...`` for the default."""
    tries = 0
    while True:
        tries += 1
        yield delay_for(tries, schedule)
