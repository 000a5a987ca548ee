"""The replay engine's pure parts (issue #11 item 4): the schedule, the selection, options,
and the shared send summary. Timing here is arithmetic, never measured."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import pytest

from inspector.client.replay import ReplayOptions, schedule, select
from inspector.client.send_summary import SendSummary


@dataclass(frozen=True)
class Item:
    offset: float
    event: str = "e"
    payload: Any = None
    binary: bool = False
    direction: str = "in"
    channel: str = "room"


def test_original_timing_and_speed_divide_the_gaps() -> None:
    offsets = [10.0, 10.5, 11.0, 13.0]
    assert list(schedule(offsets)) == [(0, 0.0), (1, 0.5), (2, 1.0), (3, 3.0)]
    assert list(schedule(offsets, speed=2)) == [(0, 0.0), (1, 0.25), (2, 0.5), (3, 1.5)]
    assert list(schedule(offsets, speed=0.5)) == [(0, 0.0), (1, 1.0), (2, 2.0), (3, 6.0)]


def test_loops_restart_one_mean_gap_after_the_last_message() -> None:
    # span 3 s over 3 gaps: mean gap 1 s, so a pass lasts 4 s
    due = list(schedule([0.0, 0.5, 1.0, 3.0], loops=2))
    assert due == [
        (0, 0.0),
        (1, 0.5),
        (2, 1.0),
        (3, 3.0),
        (0, 4.0),
        (1, 4.5),
        (2, 5.0),
        (3, 7.0),
    ]
    assert list(schedule([5.0], loops=3)) == [(0, 0.0), (0, 0.0), (0, 0.0)]


def test_fixed_rate_ignores_the_recorded_gaps_across_loops() -> None:
    due = list(schedule([0.0, 100.0, 100.1], rate=4, loops=2))
    assert [i for i, _ in due] == [0, 1, 2, 0, 1, 2]
    assert [d for _, d in due] == pytest.approx([0, 0.25, 0.5, 0.75, 1.0, 1.25])


def test_deadlines_are_absolute_offsets_not_sums() -> None:
    # 10,000 gaps of 1 ms: the last deadline is exactly 9.999 s, with no float drift of sums
    offsets = [i / 1000 for i in range(10_000)]
    due = list(schedule(offsets))
    assert due[-1] == (9_999, pytest.approx(9.999, abs=1e-12))
    assert all(b[1] >= a[1] for a, b in itertools.pairwise(due))


def test_a_clock_set_back_never_makes_a_negative_gap() -> None:
    assert list(schedule([5.0, 4.0, 6.0])) == [(0, 0.0), (1, 0.0), (2, 1.0)]
    assert list(schedule([])) == []


def test_select_by_direction_channel_and_event_glob() -> None:
    items = [
        Item(0, "cursor-move"),
        Item(1, "chat", direction="out"),
        Item(2, "Cursor-Up", channel="other"),
        Item(3, "chat"),
    ]
    assert [i.offset for i in select(items, ReplayOptions()).items] == [0, 2, 3]
    both = select(items, ReplayOptions(direction="both", events=("cursor*",)))
    assert [i.offset for i in both.items] == [0, 2]
    assert (both.other_direction, both.other_event) == (0, 2)
    one = select(items, ReplayOptions(source_channel="room"))
    assert [i.offset for i in one.items] == [0, 3]
    assert one.other_channel == 1


def test_an_empty_selection_says_what_to_change() -> None:
    sent_only = [Item(0, direction="out"), Item(1, direction="out")]
    chosen = select(sent_only, ReplayOptions())
    assert chosen.items == []
    assert chosen.empty_reason(ReplayOptions()) == (
        "the recording has no received broadcasts, only 2 sent ones: pass --direction out or both"
    )
    none = select([Item(0)], ReplayOptions(events=("zzz",)))
    assert none.empty_reason(ReplayOptions()) == "no broadcast matches the filters (1 left out)"


@pytest.mark.parametrize(
    ("options", "says"),
    [
        (ReplayOptions(speed=0.4), "speed must be between x0.5 and x100"),
        (ReplayOptions(speed=101), "speed must be between"),
        (ReplayOptions(rate=0), "rate must be above 0"),
        (ReplayOptions(direction="up"), "direction must be one of in, out, both"),
        (ReplayOptions(loops=0), "loop must be at least 1"),
        (ReplayOptions(via="smtp"), "via must be websocket or rest"),
    ],
)
def test_bad_options_are_named(options: ReplayOptions, says: str) -> None:
    problem = options.check()
    assert problem is not None
    assert says in problem


def test_send_summary_counts_and_hdr_percentiles() -> None:
    s = SendSummary()
    for ms in range(1, 101):  # 1..100 ms
        s.record_sent()
        s.record("ok", ms / 1000)
    s.record_sent()
    s.record("timed_out")
    s.record_sent()
    s.record("error")
    s.elapsed = 2.0
    d = s.as_dict()
    assert (d["sent"], d["ok"], d["error"], d["timed_out"]) == (102, 100, 1, 1)
    assert d["rate_per_s"] == 51.0
    assert d["rtt_ms"]["count"] == 100
    # HDR histogram with 3 significant digits: within 0.1 % of the exact ranks
    assert d["rtt_ms"]["p50"] == pytest.approx(50, rel=1e-3)
    assert d["rtt_ms"]["p95"] == pytest.approx(95, rel=1e-3)
    assert d["rtt_ms"]["p99"] == pytest.approx(99, rel=1e-3)
    assert d["rtt_ms"]["max"] == pytest.approx(100, rel=1e-3)
    assert s.failed == 2
    table = s.format_table("title", {"extra": "x"})
    assert table.splitlines()[0] == "title"
    assert "round trip p95" in table
    assert "95.0" in table
    assert "extra" in table


def test_send_summary_without_round_trips_and_out_of_range_values() -> None:
    s = SendSummary()
    assert s.as_dict()["rtt_ms"] == {"count": 0, "p50": None, "p95": None, "p99": None, "max": None}
    assert s.rate == 0.0
    assert "no acks" in s.format_table()
    s.record("ok", 0.0)  # below 1 us: counted as 1 us
    s.record("ok", 7200.0)  # above 1 hour: counted as 1 hour, not lost
    assert s.rtt_count == 2
    assert s.max == pytest.approx(3_600_000, rel=1e-3)
