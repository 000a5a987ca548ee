"""MessageLog: ring bound, seq identity across evictions, counts, pause buffer, notifications."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inspector.store import Direction, MessageLog, MessageRecord


def rec(n: int) -> MessageRecord:
    return MessageRecord(
        time=float(n), direction=Direction.IN, event=f"e{n}", payload=b'{"n":%d}' % n
    )


class Recorder:
    def __init__(self) -> None:
        self.changes: list[tuple[int, int]] = []
        self.resets = 0
        self.updated: list[int] = []

    def log_changed(self, inserted: int, evicted: int) -> None:
        self.changes.append((inserted, evicted))

    def log_reset(self) -> None:
        self.resets += 1

    def log_updated(self, record: MessageRecord) -> None:
        self.updated.append(record.seq)


def test_append_assigns_consecutive_seqs_and_rows() -> None:
    log = MessageLog(capacity=5)
    for n in range(3):
        log.append(rec(n))
    assert len(log) == 3
    assert [r.seq for r in log] == [0, 1, 2]
    assert log[0].event == "e0"
    assert log[-1].event == "e2"
    assert (log.first_seq, log.end_seq) == (0, 3)


def test_ring_evicts_oldest_and_keeps_identity() -> None:
    log = MessageLog(capacity=4)
    records = [rec(n) for n in range(10)]
    log.extend(records)
    assert len(log) == 4
    assert [r.event for r in log] == ["e6", "e7", "e8", "e9"]
    assert log.first_seq == 6
    assert log.by_seq(5) is None
    assert log.by_seq(7) is records[7]
    assert log.contains(records[9])
    assert not log.contains(records[0])
    assert log.evicted_count == 6
    assert log.received_count == 10
    with pytest.raises(IndexError):
        log[4]


def test_notifications_are_batched() -> None:
    log = MessageLog(capacity=3)
    seen = Recorder()
    log.add_listener(seen)
    log.extend(rec(n) for n in range(5))
    log.append(rec(5))
    assert seen.changes == [(5, 2), (1, 1)]
    log.remove_listener(seen)
    log.append(rec(6))
    assert len(seen.changes) == 2


def test_pause_buffers_in_order_and_resume_inserts() -> None:
    log = MessageLog(capacity=10)
    seen = Recorder()
    log.add_listener(seen)
    log.extend(rec(n) for n in range(3))
    log.pause()
    log.extend(rec(n) for n in range(3, 7))
    assert len(log) == 3
    assert log.pending_count == 4
    assert seen.changes == [(3, 0), (0, 0)]
    log.resume()
    assert [r.event for r in log] == [f"e{n}" for n in range(7)]
    assert seen.changes[-1] == (4, 0)
    assert log.pending_count == 0
    assert log.received_count == 7


def test_pause_buffer_is_bounded_and_counts_drops_as_evicted() -> None:
    log = MessageLog(capacity=4)
    log.pause()
    log.extend(rec(n) for n in range(10))
    assert log.pending_count == 4
    assert log.evicted_count == 6
    log.resume()
    assert [r.event for r in log] == ["e6", "e7", "e8", "e9"]
    assert len(log) + log.evicted_count == log.received_count == 10


def test_clear_resets_counts_but_not_seqs() -> None:
    log = MessageLog(capacity=3)
    seen = Recorder()
    log.add_listener(seen)
    log.extend(rec(n) for n in range(5))
    log.pause()
    log.append(rec(5))
    log.clear()
    assert seen.resets == 1
    assert len(log) == 0
    assert (log.received_count, log.evicted_count, log.pending_count) == (0, 0, 0)
    assert log.paused
    log.resume()
    log.append(rec(9))
    assert log[0].seq == 5


def test_notify_updated_only_for_retained_records() -> None:
    log = MessageLog(capacity=2)
    seen = Recorder()
    log.add_listener(seen)
    first = rec(0)
    log.append(first)
    log.notify_updated(first)
    log.extend([rec(1), rec(2)])
    log.notify_updated(first)
    log.notify_updated(rec(99))
    assert seen.updated == [0]


def test_set_capacity_shrinks_and_grows() -> None:
    log = MessageLog(capacity=6)
    seen = Recorder()
    log.add_listener(seen)
    log.extend(rec(n) for n in range(6))
    log.set_capacity(4)
    assert [r.event for r in log] == ["e2", "e3", "e4", "e5"]
    assert seen.changes[-1] == (0, 2)
    assert log.evicted_count == 2
    log.set_capacity(8)
    log.extend(rec(n) for n in range(6, 10))
    assert len(log) == 8
    assert log[0].event == "e2"
    with pytest.raises(ValueError):
        log.set_capacity(0)
    with pytest.raises(ValueError):
        MessageLog(capacity=0)


@settings(max_examples=60, deadline=None)
@given(
    capacity=st.integers(1, 20),
    ops=st.lists(
        st.one_of(
            st.tuples(st.just("add"), st.integers(1, 30)),
            st.tuples(st.just("pause"), st.just(0)),
            st.tuples(st.just("resume"), st.just(0)),
            st.tuples(st.just("cap"), st.integers(1, 20)),
        ),
        max_size=25,
    ),
)
def test_counts_and_order_invariants(capacity: int, ops: list[tuple[str, int]]) -> None:
    """received == shown + evicted + pending; shown rows are the newest, in arrival order."""
    log = MessageLog(capacity=capacity)
    sent = 0
    for op, arg in ops:
        if op == "add":
            log.extend(rec(sent + i) for i in range(arg))
            sent += arg
        elif op == "pause":
            log.pause()
        elif op == "resume":
            log.resume()
        else:
            log.set_capacity(arg)
        assert log.received_count == len(log) + log.evicted_count + log.pending_count == sent
        assert len(log) <= log.capacity
        events = [int(r.event[1:]) for r in log]
        assert events == sorted(events)
        assert [r.seq for r in log] == list(range(log.first_seq, log.end_seq))
    log.resume()
    if sent:
        assert log[-1].event == f"e{sent - 1}"
