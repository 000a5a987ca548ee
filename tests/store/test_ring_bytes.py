"""Byte budgets on ring logs (issue #10 item 11): evict by bytes as well as rows, and say so."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from inspector.store import Direction, MessageLog, MessageRecord
from inspector.store.frames.frames import FRAME_KEEP_BYTES, IN, TEXT, FrameLog, FrameRow
from inspector.store.ring import ByteBudget, _droppable_bytes


def rec(n: int, size: int) -> MessageRecord:
    return MessageRecord(time=float(n), direction=Direction.IN, event=f"e{n}", payload=b"x" * size)


class Recorder:
    def __init__(self) -> None:
        self.changes: list[tuple[int, int]] = []

    def log_changed(self, inserted: int, evicted: int) -> None:
        self.changes.append((inserted, evicted))

    def log_reset(self) -> None:
        pass

    def log_updated(self, record: MessageRecord) -> None:
        pass


def test_byte_cap_evicts_oldest_rows_and_counts_them() -> None:
    log = MessageLog(capacity=10_000, budget=ByteBudget(10_000))
    recorder = Recorder()
    log.add_listener(recorder)
    for n in range(25):
        log.append(rec(n, 1_000))
    assert len(log) == 10
    assert log.retained_bytes == 10_000
    assert next(r.event for r in log) == "e15"
    assert log.evicted_count == 15
    assert log.evicted_by_size == 15
    assert log.received_count == len(log) + log.evicted_count + log.pending_count
    assert recorder.changes[-1] == (1, 1)
    assert log.budget.used == 10_000


def test_one_message_larger_than_the_budget_is_kept_alone() -> None:
    log = MessageLog(capacity=100, budget=ByteBudget(1_000))
    log.append(rec(0, 10))
    log.append(rec(1, 5_000))
    assert [r.event for r in log] == ["e1"]
    assert log.evicted_by_size == 1


def test_shared_budget_takes_from_the_heaviest_tab() -> None:
    budget = ByteBudget(10_000)
    quiet, busy = MessageLog(100, budget), MessageLog(100, budget)
    quiet_recorder = Recorder()
    quiet.add_listener(quiet_recorder)
    for n in range(3):
        quiet.append(rec(n, 1_000))
    for n in range(50):
        busy.append(rec(n, 1_000))
    assert len(quiet) == 3  # the flood evicted its own rows, not the quiet tab's
    assert quiet.evicted_count == 0
    assert busy.retained_bytes == 7_000
    assert budget.used == 10_000
    # Lowering the limit trims the heaviest first; the quiet tab's listener hears of its own.
    budget.set_limit(2_000)
    assert budget.used <= 2_000
    assert quiet.retained_bytes + busy.retained_bytes == budget.used
    assert quiet_recorder.changes
    assert quiet_recorder.changes[-1][0] == 0


def test_paused_log_drops_held_rows_first_and_counts_what_arrived() -> None:
    log = MessageLog(capacity=1_000, budget=ByteBudget(10_000))
    for n in range(5):
        log.append(rec(n, 1_000))
    log.pause()
    for n in range(5, 150):
        log.append(rec(n, 1_000))
    assert [r.event for r in log] == [f"e{n}" for n in range(5)]  # the table holds still
    assert log.arrived_while_paused == 145
    assert log.pending_count == 5
    assert log.retained_bytes <= 10_000
    assert log.received_count == len(log) + log.evicted_count + log.pending_count
    log.resume()
    assert log.arrived_while_paused == 0
    assert [r.event for r in log][-1] == "e149"


def test_row_cap_pause_counts_every_arrival() -> None:
    """The badge said "10,000 new" when 150,000 arrived (item 19): count what arrived."""
    log = MessageLog(capacity=100)
    log.pause()
    log.extend(rec(n, 1) for n in range(1_500))
    assert log.pending_count == 100
    assert log.arrived_while_paused == 1_500


def test_clear_and_set_capacity_give_bytes_back() -> None:
    budget = ByteBudget(100_000)
    log = MessageLog(capacity=10, budget=budget)
    log.extend(rec(n, 100) for n in range(20))
    assert log.retained_bytes == budget.used == 1_000
    log.set_capacity(4)
    assert log.retained_bytes == budget.used == 400
    log.clear()
    assert log.retained_bytes == budget.used == 0


def test_frame_log_keeps_the_head_of_large_frames_within_its_budget() -> None:
    log = FrameLog(capacity=1_000, max_bytes=1_000_000)
    big = '[null,null,"realtime:room","broadcast",{"event":"e","payload":{"x":"' + "y" * 3_000_000
    big += '"},"type":"broadcast"}]'
    for n in range(50):
        row = FrameRow(float(n), IN, TEXT, len(big), big, "2.0.0")
        row.keep_head()
        log.append(row)
    assert log.retained_bytes <= 1_000_000
    last = log[-1]
    assert last.cut
    assert len(last.data) == FRAME_KEEP_BYTES
    assert last.summary().topic == "realtime:room"
    assert last.summary().event == "broadcast"
    assert last.decoded() is None
    assert "kept" in last.shown_text()
    assert log.evicted_by_size > 0


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 2), st.integers(0, 3_000), st.booleans()),
        max_size=80,
    ),
    st.integers(500, 8_000),
)
def test_budget_invariants_hold(ops: list[tuple[int, int, bool]], limit: int) -> None:
    budget = ByteBudget(limit)
    logs = [MessageLog(20, budget) for _ in range(3)]
    for n, (which, size, toggle) in enumerate(ops):
        log = logs[which]
        if toggle:
            if log.paused:
                log.resume()
            else:
                log.pause()
        log.append(rec(n, size))
        total = 0
        for one in logs:
            held = sum(r.size for r in one) + sum(r.size for r in one._pending)
            assert one.retained_bytes == held
            assert one.received_count == len(one) + one.evicted_count + one.pending_count
            total += held
        assert budget.used == total
        # Over the limit only when no log has anything left to give up (each keeps its newest).
        assert total <= limit or all(_droppable_bytes(one) == 0 for one in logs)
