"""Per-tab statistics: messages and bytes per second, counts per event, ack round trips,
errors and reconnects (pure: the caller passes the time).

Counting is O(1) per message and allocates nothing in the steady state (a flood of 50,000
messages per second goes through :meth:`TabStats.incoming`): the current second's counters are
plain integers, moved into fixed rings of :data:`HISTORY_SECONDS` slots when the second
changes; counts per event live in one dict (at most :data:`MAX_EVENTS` names, the rest counted
as :data:`OTHER_EVENTS`). Round trips go into an HDR histogram (hdrhistogram, as
:class:`inspector.client.send_summary.SendSummary` does), 1 µs to 10 minutes at 3 significant
digits. The window draws a :meth:`TabStats.snapshot` on a timer, never per message.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from hdrh.histogram import HdrHistogram

from inspector.store.messages.records import Direction, MessageRecord, SendInfo, SendState

__all__ = [
    "HISTORY_SECONDS",
    "MAX_EVENTS",
    "OTHER_EVENTS",
    "EventCount",
    "StatsSnapshot",
    "TabStats",
    "is_error_row",
]

#: Seconds of per-second history kept (the sparklines' width).
HISTORY_SECONDS: Final = 60
#: Distinct event names counted one by one; later names share :data:`OTHER_EVENTS`.
MAX_EVENTS: Final = 1000
#: The name the events beyond :data:`MAX_EVENTS` are counted under.
OTHER_EVENTS: Final = "(other events)"
#: Round trips recorded from 1 µs to 10 minutes (in µs), 3 significant digits.
_RTT_MAX_US: Final = 600_000_000

#: System rows counted as reconnects of the socket (controller_base._note_outage).
RECONNECT_EVENTS: Final = frozenset({"reconnected"})
#: System rows counted as rejoins of the channel (event_translation).
REJOIN_EVENTS: Final = frozenset({"rejoined"})
#: System rows that are errors whatever their payload (the table draws them in red too).
_ERROR_EVENTS: Final = frozenset({"disconnected", "token expired", "join timed out"})


def is_error_row(event: str, payload: bytes) -> bool:
    """Whether a system row reports an error (the table's red rows: a refusal, a channel
    error, a lost socket, an expired token)."""
    return event in _ERROR_EVENTS or event.endswith("error") or b'"status":"error"' in payload


@dataclass(frozen=True, slots=True)
class EventCount:
    """Messages and bytes of one event, both directions."""

    event: str
    received: int
    sent: int
    bytes: int

    @property
    def total(self) -> int:
        return self.received + self.sent


@dataclass(frozen=True, slots=True)
class StatsSnapshot:
    """What the stats strip and the detail view draw."""

    #: messages (received + sent) in each of the last seconds, oldest first; the last entry is
    #: the current, incomplete second.
    messages_per_s: tuple[int, ...]
    bytes_per_s: tuple[int, ...]
    received: int
    sent: int
    received_bytes: int
    sent_bytes: int
    #: per event, most messages first.
    events: tuple[EventCount, ...]
    #: acknowledged sends with a round trip, and its percentiles in ms (None without any).
    round_trips: int
    rtt_ms: dict[str, float] | None
    #: failed sends (error replies, REST errors), timed-out sends, error rows of the channel.
    send_errors: int
    timeouts: int
    channel_errors: int
    reconnects: int
    rejoins: int
    #: the rate over the last complete second.
    last_rate: int
    last_bytes: int

    @property
    def errors(self) -> int:
        return self.send_errors + self.timeouts + self.channel_errors


class TabStats:
    """The counters of one tab."""

    __slots__ = (
        "_bytes",
        "_cur_bytes",
        "_cur_msgs",
        "_events",
        "_msgs",
        "_pos",
        "_rtt",
        "_sec",
        "channel_errors",
        "reconnects",
        "rejoins",
        "round_trips",
        "send_errors",
        "timeouts",
    )

    def __init__(self) -> None:
        self._msgs = [0] * HISTORY_SECONDS
        self._bytes = [0] * HISTORY_SECONDS
        self._pos = 0
        self._sec = -1
        self._cur_msgs = 0
        self._cur_bytes = 0
        #: event -> [received, sent, received bytes, sent bytes]; the totals are their sums
        #: (one dict lookup per message is all the per-event counting costs)
        self._events: dict[str, list[int]] = {}
        self._rtt = HdrHistogram(1, _RTT_MAX_US, 3)
        self.round_trips = 0
        self.send_errors = 0
        self.timeouts = 0
        self.channel_errors = 0
        self.reconnects = 0
        self.rejoins = 0

    # ------------------------------------------------------------------------------ counting

    def _roll(self, second: int) -> None:
        """Close the current second (and any silent ones since) into the rings."""
        if self._sec >= 0:
            steps = min(second - self._sec, HISTORY_SECONDS) if second > self._sec else 0
            msgs, nbytes = self._msgs, self._bytes
            pos = self._pos
            if steps:
                msgs[pos] = self._cur_msgs
                nbytes[pos] = self._cur_bytes
                for _ in range(steps - 1):
                    pos = (pos + 1) % HISTORY_SECONDS
                    msgs[pos] = 0
                    nbytes[pos] = 0
                pos = (pos + 1) % HISTORY_SECONDS
                self._pos = pos
                self._cur_msgs = 0
                self._cur_bytes = 0
            elif second < self._sec:  # the clock went back: count into the current second
                return
        self._sec = second

    def incoming(self, event: str, size: int, now: float) -> None:
        """One received broadcast of ``size`` payload bytes at ``now`` (seconds, monotonic)."""
        second = int(now)
        if second != self._sec:
            self._roll(second)
        self._cur_msgs += 1
        self._cur_bytes += size
        counts = self._events.get(event)
        if counts is None:
            counts = self._new_event(event)
        counts[0] += 1
        counts[2] += size

    def outgoing(self, event: str, size: int, now: float) -> None:
        """One broadcast we sent."""
        second = int(now)
        if second != self._sec:
            self._roll(second)
        self._cur_msgs += 1
        self._cur_bytes += size
        counts = self._events.get(event)
        if counts is None:
            counts = self._new_event(event)
        counts[1] += 1
        counts[3] += size

    def _new_event(self, event: str) -> list[int]:
        events = self._events
        if len(events) >= MAX_EVENTS:
            counts = events.get(OTHER_EVENTS)
            if counts is None:
                counts = events[OTHER_EVENTS] = [0, 0, 0, 0]
            return counts
        counts = events[event] = [0, 0, 0, 0]
        return counts

    def _total(self, index: int) -> int:
        return sum(c[index] for c in self._events.values())

    @property
    def received(self) -> int:
        """Broadcasts received since the start (or the last :meth:`clear`)."""
        return self._total(0)

    @property
    def sent(self) -> int:
        return self._total(1)

    @property
    def received_bytes(self) -> int:
        return self._total(2)

    @property
    def sent_bytes(self) -> int:
        return self._total(3)

    def send_finished(self, info: SendInfo) -> None:
        """A send reached its outcome: its round trip, or an error or a time-out."""
        state = info.state
        if state is SendState.OK:
            if info.round_trip_ms is not None:
                self.round_trips += 1
                self._rtt.record_value(max(1, min(_RTT_MAX_US, round(info.round_trip_ms * 1000))))
        elif state is SendState.ERROR:
            self.send_errors += 1
        elif state is SendState.TIMED_OUT:
            self.timeouts += 1

    def system(self, record: MessageRecord) -> None:
        """A system row of the tab: errors, reconnects and rejoins are counted."""
        if record.direction is not Direction.SYSTEM:
            return
        event = record.event
        if event in RECONNECT_EVENTS:
            self.reconnects += 1
        elif event in REJOIN_EVENTS:
            self.rejoins += 1
        elif is_error_row(event, record.payload):
            self.channel_errors += 1

    def clear(self) -> None:
        """Start over (Clear of the tab)."""
        self.__init__()  # type: ignore[misc]

    # ------------------------------------------------------------------------------ reading

    def snapshot(self, now: float) -> StatsSnapshot:
        """Everything drawn, as of ``now`` (closes the seconds that ended)."""
        second = int(now)
        if second != self._sec:
            self._roll(second)
        order = [(self._pos + 1 + i) % HISTORY_SECONDS for i in range(HISTORY_SECONDS - 1)]
        msgs = (*(self._msgs[i] for i in order), self._cur_msgs)
        nbytes = (*(self._bytes[i] for i in order), self._cur_bytes)
        events = sorted(
            (EventCount(name, c[0], c[1], c[2] + c[3]) for name, c in self._events.items()),
            key=lambda e: (-e.total, e.event),
        )
        rtt: dict[str, float] | None = None
        if self.round_trips:
            h = self._rtt
            rtt = {
                "p50": h.get_value_at_percentile(50) / 1000,
                "p90": h.get_value_at_percentile(90) / 1000,
                "p99": h.get_value_at_percentile(99) / 1000,
                "max": h.get_max_value() / 1000,
                "min": h.get_min_value() / 1000,
                "mean": h.get_mean_value() / 1000,
            }
        return StatsSnapshot(
            messages_per_s=msgs,
            bytes_per_s=nbytes,
            received=self.received,
            sent=self.sent,
            received_bytes=self.received_bytes,
            sent_bytes=self.sent_bytes,
            events=tuple(events),
            round_trips=self.round_trips,
            rtt_ms=rtt,
            send_errors=self.send_errors,
            timeouts=self.timeouts,
            channel_errors=self.channel_errors,
            reconnects=self.reconnects,
            rejoins=self.rejoins,
            last_rate=msgs[-2],
            last_bytes=nbytes[-2],
        )
