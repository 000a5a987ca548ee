"""Per-tab statistics (issue #15 item 3): per-second rings, counts per event, round trips in
an HDR histogram, errors and reconnects; all with the time passed in."""

from __future__ import annotations

from inspector.store import Direction, MessageRecord, SendInfo, SendState, Transport
from inspector.store.messages.records import system_record
from inspector.store.messages.stats import HISTORY_SECONDS, MAX_EVENTS, OTHER_EVENTS, TabStats


def test_per_second_counts_and_silent_seconds() -> None:
    stats = TabStats()
    for i in range(5):
        stats.incoming("chat", 100, 1000.1 + i * 0.1)  # five in second 1000
    stats.outgoing("chat", 40, 1001.5)  # one sent in 1001
    stats.incoming("move", 10, 1003.2)  # 1002 silent
    snap = stats.snapshot(1003.9)
    assert len(snap.messages_per_s) == HISTORY_SECONDS
    assert snap.messages_per_s[-4:] == (5, 1, 0, 1)  # ..., 1000, 1001, 1002, now (1003)
    assert snap.bytes_per_s[-4:] == (500, 40, 0, 10)
    assert snap.last_rate == 0
    assert snap.last_bytes == 0
    assert (snap.received, snap.sent, snap.received_bytes, snap.sent_bytes) == (6, 1, 510, 40)
    later = stats.snapshot(1004.0)
    assert later.messages_per_s[-3:] == (0, 1, 0)
    assert later.last_rate == 1
    gone = stats.snapshot(1003.0 + HISTORY_SECONDS + 5)
    assert sum(gone.messages_per_s) == 0  # older than the window
    assert gone.received == 6  # totals stay


def test_counts_per_event_are_bounded() -> None:
    stats = TabStats()
    stats.incoming("b", 1, 1.0)
    stats.incoming("a", 2, 1.0)
    stats.outgoing("a", 3, 1.0)
    snap = stats.snapshot(1.0)
    assert [(e.event, e.received, e.sent, e.bytes) for e in snap.events] == [
        ("a", 1, 1, 5),
        ("b", 1, 0, 1),
    ]
    for i in range(MAX_EVENTS + 50):
        stats.incoming(f"ev{i}", 1, 2.0)
    snap = stats.snapshot(2.0)
    assert len(snap.events) == MAX_EVENTS + 1
    other = next(e for e in snap.events if e.event == OTHER_EVENTS)
    assert other.received == 52  # the names beyond the limit share one row


def test_round_trip_percentiles_errors_and_timeouts() -> None:
    stats = TabStats()
    for ms in range(1, 101):
        stats.send_finished(SendInfo(Transport.WEBSOCKET, state=SendState.OK, round_trip_ms=ms))
    stats.send_finished(SendInfo(Transport.WEBSOCKET, state=SendState.OK))  # no ack asked
    stats.send_finished(SendInfo(Transport.WEBSOCKET, state=SendState.ERROR, error="x"))
    stats.send_finished(SendInfo(Transport.REST, state=SendState.TIMED_OUT))
    snap = stats.snapshot(0.0)
    assert snap.round_trips == 100
    assert snap.rtt_ms is not None
    assert abs(snap.rtt_ms["p50"] - 50) < 0.1
    assert abs(snap.rtt_ms["p99"] - 99) < 0.1
    assert abs(snap.rtt_ms["max"] - 100) < 0.1
    assert (snap.send_errors, snap.timeouts, snap.errors) == (1, 1, 2)
    assert TabStats().snapshot(0.0).rtt_ms is None


def test_system_rows_count_errors_reconnects_and_rejoins() -> None:
    stats = TabStats()
    for event, details in [
        ("disconnected", {"reason": "connection lost"}),
        ("reconnected", {"after_s": 1.0}),
        ("rejoined", {"channel": "a"}),
        ("join error", {"status": "error", "reason": "Unauthorized"}),
        ("phx_close", {"reason": ""}),
        ("system", {"status": "error", "message": "x"}),
        ("token expired", {"reason": "x"}),
        ("joined", {"channel": "a"}),
    ]:
        stats.system(system_record(1.0, event, details))
    stats.system(MessageRecord(time=1, direction=Direction.IN, event="error", payload=b"{}"))
    snap = stats.snapshot(1.0)
    assert (snap.reconnects, snap.rejoins, snap.channel_errors) == (1, 1, 4)


def test_clear_starts_over() -> None:
    stats = TabStats()
    stats.incoming("a", 1, 5.0)
    stats.system(system_record(5.0, "reconnected", {}))
    stats.clear()
    snap = stats.snapshot(5.5)
    assert snap.received == 0
    assert snap.reconnects == 0
    assert snap.events == ()
    assert sum(snap.messages_per_s) == 0


def test_a_clock_that_goes_back_counts_into_the_current_second() -> None:
    stats = TabStats()
    stats.incoming("a", 1, 10.5)
    stats.incoming("a", 1, 9.9)
    assert stats.snapshot(10.6).messages_per_s[-1] == 2
