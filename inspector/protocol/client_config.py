"""Configuration and the timer heap entry of the client session (docs/realtime-protocol.md §7)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .backoff import RECONNECT_SCHEDULE, REJOIN_SCHEDULE
from .channel import DEFAULT_BUFFER_SIZE
from .serializer import VSN1, VSN2


@dataclass(frozen=True, slots=True)
class SessionConfig:
    """Timing and identity of a client session; realtime-js's defaults (§7)."""

    #: Protocol version: ``2.0.0`` (realtime-js default) or ``1.0.0`` (§1.3).
    vsn: str = VSN2
    #: Seconds between heartbeats, and the wait for a heartbeat reply (§7.1).
    heartbeat_interval: float = 25.0
    #: Seconds to wait for a join reply (§7.2).
    join_timeout: float = 10.0
    #: Seconds to wait for a push reply (ack, presence, leave) (§5.4).
    push_timeout: float = 10.0
    #: Pushes kept per channel while it cannot push (§7.2).
    buffer_size: int = DEFAULT_BUFFER_SIZE
    #: Reconnect delays in seconds; the last repeats (§7.2).
    reconnect_schedule: tuple[float, ...] = RECONNECT_SCHEDULE
    #: Rejoin delays in seconds; the last repeats (§7.2).
    rejoin_schedule: tuple[float, ...] = REJOIN_SCHEDULE
    #: User access token sent in joins (§4.1, §7.4); None sends none.
    access_token: str | None = None
    #: ``version`` field of joins, e.g. ``realtime-inspector/0.1.0``; None sends none.
    client_version: str | None = None

    def __post_init__(self) -> None:
        if self.vsn not in (VSN1, VSN2):
            raise ValueError(f"unsupported protocol version {self.vsn!r}; use 1.0.0 or 2.0.0")
        if self.heartbeat_interval <= 0 or self.join_timeout <= 0 or self.push_timeout <= 0:
            raise ValueError("intervals and timeouts must be positive")
        if self.buffer_size < 1:
            raise ValueError("the push buffer needs room for at least one push")


class Timer:
    """One deadline on the session's heap; cancelled timers are skipped lazily."""

    __slots__ = ("args", "cancelled", "fn", "when")

    def __init__(self, when: float, fn: Callable[..., None], args: tuple[Any, ...]) -> None:
        self.when = when
        self.fn = fn
        self.args = args
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


def cancel(timer: Timer | None) -> None:
    if timer is not None:
        timer.cancelled = True
