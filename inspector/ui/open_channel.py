"""What one open tab holds, and what a composer asks to send; no Qt here.

:class:`OpenChannel` is the state behind one live tab (its options, bounded log, join status,
message rate, presence roster and the counter it watches for sequence gaps); the controller
owns one per open channel and the tab's widgets read it. :class:`SendRequest` is one broadcast
a composer asked to send.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from inspector.store import (
    ChannelOptions,
    ChannelStatus,
    Direction,
    MessageLog,
    MessageRecord,
    PayloadFormat,
    RateMeter,
    SendTemplate,
    TabState,
    Transport,
)
from inspector.store.messages.seq_tracker import SeqTracker
from inspector.store.messages.stats import TabStats
from inspector.store.presence.presence_roster import PresenceRoster
from inspector.store.ring import ByteBudget

#: Rows already in a tab that tracking a counter counts first (the newest ones).
SEQ_REPLAY_ROWS: Final = 100_000


@dataclass(frozen=True, slots=True)
class SendRequest:
    """One broadcast the user asked to send from a composer."""

    event: str
    #: UTF-8 JSON text of the payload, or raw bytes when ``binary``.
    payload: bytes
    transport: Transport = Transport.WEBSOCKET
    #: raw bytes (kind 3 encoding 0 over the websocket, octet-stream over REST; §2.3, §6.2).
    binary: bool = False
    #: the event and payload as typed, when variables made them differ from what is sent.
    template: SendTemplate | None = None
    #: send as this profile identity (its id; "" the profile's own key and token); None: as
    #: the tab joined (issue #13 §1).
    identity: str | None = None


class OpenChannel:
    """One open tab: its options, its bounded log, its join status and its message rate."""

    def __init__(
        self, options: ChannelOptions, capacity: int, budget: ByteBudget | None = None
    ) -> None:
        self.options = options
        #: bounded by rows and by the byte ``budget`` all tabs share (issue #10 item 11).
        self.log = MessageLog(capacity, budget)
        self.status = ChannelStatus(TabState.WAITING)
        #: joined at least once: a later join is a rejoin (its system row says so).
        self.joined_once = False
        self.rate = RateMeter()
        #: the tab's statistics (issue #15 item 3): counted per message in O(1), drawn on a
        #: timer; None turns counting off (benchmarks/gui_stats.py measures what it costs).
        self.stats: TabStats | None = TabStats()
        #: broadcasts not shown because the tab's event filter did not accept them: the client
        #: drops them before a record is built (ChannelConfig.events); see note_filtered.
        self.filtered_out = 0
        self._filter_source: object | None = None
        self._filter_seen = 0
        #: who is present, the join/leave timeline and our own tracking (presence panel).
        self.presence = PresenceRoster()
        #: the counter this tab watches for sequence gaps (issue #11 §5), or None.
        self.seq: SeqTracker | None = None

    @property
    def name(self) -> str:
        return self.options.name

    def note_filtered(self, source: object, dropped: int) -> bool:
        """Take the client channel's running count of refused broadcasts into
        :attr:`filtered_out`; ``source`` is that channel (a new join starts a new count).
        True when the count grew."""
        if source is not self._filter_source:
            self._filter_source = source
            self._filter_seen = 0
        grown = dropped - self._filter_seen
        self._filter_seen = dropped
        if grown <= 0:
            return False
        self.filtered_out += grown
        return True

    def track_seq(self, path: str) -> SeqTracker:
        """Watch the integer counter at JSONPath ``path`` in incoming payloads: the received
        rows still in the log are counted first (the newest :data:`SEQ_REPLAY_ROWS`), then each
        new one (:meth:`seq_incoming`). Raises ``SeqPathError`` for a path it cannot use."""
        tracker = SeqTracker(path)
        log = self.log
        for row in range(max(0, len(log) - SEQ_REPLAY_ROWS), len(log)):
            record = log[row]
            if record.direction is Direction.IN:
                _feed(tracker, record)
        self.seq = tracker
        return tracker

    def stop_seq(self) -> None:
        self.seq = None

    def seq_incoming(self, record: MessageRecord) -> None:
        """Count a received broadcast's counter (the controller calls this per incoming row)."""
        tracker = self.seq
        if tracker is not None:
            _feed(tracker, record)


def _feed(tracker: SeqTracker, record: MessageRecord) -> None:
    if record.format is PayloadFormat.BINARY:
        tracker.feed_nothing()
    else:
        tracker.feed_bytes(record.payload, record.time)


@dataclass(frozen=True, slots=True)
class RepeatRequest:
    """A repeat run a composer asked for (issue #11 §3): the message as templates, and how
    many and how fast. ``count`` and/or ``duration`` (seconds) end the run; ``rate`` (messages
    per second) or ``in_flight`` (at most K waiting for their ack) pace it, neither: as fast as
    allowed. ``add_seq``: a JSON object payload without a ``seq`` key gets ``"seq": n``, so a
    second tab can track the sequence (``$.seq``) out of the box."""

    event: str
    #: the payload template text (JSON with variables), or raw bytes when ``binary``.
    payload: str | bytes
    transport: Transport = Transport.WEBSOCKET
    binary: bool = False
    count: int | None = None
    duration: float | None = None
    rate: float | None = None
    in_flight: int | None = None
    add_seq: bool = True
