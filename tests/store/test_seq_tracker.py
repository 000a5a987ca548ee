"""SeqTracker (issue #11 §5): gaps, late fills, duplicates, restarts, values without a counter,
and memory that stays bounded under a flood of random numbers."""

from __future__ import annotations

import json
import random
import tracemalloc

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inspector.store.messages.seq_tracker import (
    Gap,
    SeqCounts,
    SeqPathError,
    SeqTracker,
    compile_path,
)


def feed(tracker: SeqTracker, *numbers: int, start: float = 100.0) -> None:
    for i, n in enumerate(numbers):
        tracker.feed_value({"seq": n}, start + i)


def spans(tracker: SeqTracker) -> list[tuple[int, int, int]]:
    return [(g.run, g.first, g.last) for g in tracker.gaps()]


def test_in_order_run_has_no_gap() -> None:
    t = SeqTracker("$.seq")
    feed(t, *range(1, 101))
    c = t.counts()
    assert (c.received, c.missing, c.duplicates, c.out_of_order, c.runs) == (100, 0, 0, 0, 1)
    assert t.gaps() == []
    assert t.memory_items() == 3  # one interval


def test_gap_says_from_to_and_when_first_seen() -> None:
    t = SeqTracker("$.seq")
    t.feed_value({"seq": 1}, 10.0)
    t.feed_value({"seq": 2}, 11.0)
    t.feed_value({"seq": 5}, 12.0)  # 3-4 missing, seen now
    t.feed_value({"seq": 6}, 13.0)
    assert "missing 2 (gap 3-4)," in t.summary_text()
    t.feed_value({"seq": 9}, 14.0)  # 7-8
    assert t.gaps() == [Gap(1, 3, 4, 12.0), Gap(1, 7, 8, 14.0)]
    assert t.gaps()[0].text() == "3-4"
    assert t.gaps()[0].size == 2
    c = t.counts()
    assert (c.received, c.missing, c.gaps) == (5, 4, 2)
    assert (c.first, c.highest) == (1, 9)
    assert t.summary_text() == (
        "received 5, missing 4 (gaps 3-4, 7-8), duplicates 0, out of order 0, no counter 0"
    )


def test_late_arrival_fills_its_gap_and_counts_out_of_order() -> None:
    t = SeqTracker("$.seq")
    t.feed_value({"seq": 1}, 1.0)
    t.feed_value({"seq": 10}, 2.0)  # 2-9 missing
    t.feed_value({"seq": 5}, 3.0)  # splits it; both pieces keep the first-seen time
    assert t.gaps() == [Gap(1, 2, 4, 2.0), Gap(1, 6, 9, 2.0)]
    assert (t.counts().missing, t.counts().out_of_order) == (7, 1)
    feed(t, 2, 4, 9, 6)  # shrink from both ends
    assert spans(t) == [(1, 3, 3), (1, 7, 8)]
    feed(t, 3, 7, 8)  # closes both
    c = t.counts()
    assert (c.received, c.missing, c.out_of_order, c.gaps, c.duplicates) == (10, 0, 8, 0, 0)
    assert t.memory_items() == 3


def test_duplicates_are_not_out_of_order() -> None:
    t = SeqTracker("$.seq")
    feed(t, 1, 2, 3, 3, 2, 4, 4)
    c = t.counts()
    assert (c.received, c.duplicates, c.out_of_order, c.missing) == (7, 3, 0, 0)


def test_tracking_from_the_middle_of_a_run_misses_nothing_before_it() -> None:
    t = SeqTracker("$.seq")
    feed(t, 57, 58, 55, 59)  # 55 is from before tracking started: late, but no gap
    c = t.counts()
    assert (c.received, c.missing, c.out_of_order, c.gaps) == (4, 0, 1, 0)


def test_a_drop_to_one_starts_a_new_run_with_its_own_counts() -> None:
    t = SeqTracker("$.seq")
    feed(t, 1, 2, 3, 5)  # run 1: 4 missing
    feed(t, 1, 2, 3)  # run 2 back to back: no duplicates
    feed(t, 1, 3)  # run 3: 2 missing
    c = t.counts()
    assert (c.received, c.missing, c.duplicates, c.out_of_order, c.runs) == (9, 2, 0, 0, 3)
    assert spans(t) == [(1, 4, 4), (3, 2, 2)]
    assert [(r.received, r.missing, r.first, r.highest) for r in t.runs()] == [
        (4, 1, 1, 5),
        (3, 0, 1, 3),
        (2, 1, 1, 3),
    ]
    assert "missing 2 (gaps run 1: 4, run 3: 2)" in t.summary_text()
    assert t.summary_text().endswith("runs 3")


def test_a_tracker_started_mid_run_sees_the_next_run_start() -> None:
    t = SeqTracker("$.seq")
    feed(t, 57, 58, 1, 2)
    assert (t.counts().runs, t.counts().missing, t.counts().out_of_order) == (2, 0, 0)


def test_counter_from_zero_is_one_run() -> None:
    t = SeqTracker("$.n")
    for n in range(5):
        t.feed_value({"n": n}, 0.0)
    assert (t.counts().runs, t.counts().received, t.counts().missing) == (1, 5, 0)


@pytest.mark.parametrize(
    "payload",
    [
        {"seq": "3"},
        {"seq": 3.5},
        {"seq": 3.0},
        {"seq": True},
        {"seq": None},
        {"seq": [3]},
        {"other": 3},
        [1, 2],
        "text",
        7,
    ],
)
def test_values_without_an_integer_count_as_no_counter(payload: object) -> None:
    t = SeqTracker("$.seq")
    assert t.feed_value(payload, 0.0) is None
    assert t.counts() == SeqCounts(no_counter=1)


def test_bytes_that_are_not_json_count_as_no_counter() -> None:
    t = SeqTracker("$.seq")
    assert t.feed_bytes(b"\x00\xff binary", 0.0) is None
    assert t.feed_bytes(b'{"seq": NaN}', 0.0) is None
    assert t.feed_bytes(b"[" * 100_000, 0.0) is None  # too deep: no RecursionError escapes
    assert t.feed_bytes(b'{"seq": 12}', 0.0) == 12
    assert (t.counts().no_counter, t.counts().received) == (3, 1)


def test_paths_nested_first_match_and_shorthand() -> None:
    assert SeqTracker("$.data.n").read({"data": {"n": 4}}) == 4
    assert SeqTracker("seq").read({"seq": 2}) == 2  # the library's shorthand for $.seq
    assert SeqTracker("$..seq").read({"a": {"seq": 8}, "b": {"seq": 9}}) == 8
    assert SeqTracker("$.items[0].id").read({"items": [{"id": 3}]}) == 3
    assert SeqTracker("$[?@.k == 1].n").read([{"k": 2, "n": 1}, {"k": 1, "n": 6}]) == 6
    assert SeqTracker(" $.seq ").path == "$.seq"
    big = 2**70
    assert SeqTracker("$.seq").read(json.loads(f'{{"seq": {big}}}')) == big


@pytest.mark.parametrize("text", ["", "   ", "$.[", "$.a b", "$.seq["])
def test_bad_paths_say_why(text: str) -> None:
    with pytest.raises(SeqPathError) as info:
        compile_path(text)
    message = str(info.value)
    assert message
    assert "\n" not in message
    if text.strip():
        assert f"“{text}” is not a JSON path: " in message
    if text == "$.a b":
        assert message.endswith("unexpected token 'b' at character 5")


def test_reset_starts_over() -> None:
    t = SeqTracker("$.seq")
    feed(t, 1, 3)
    before = t.version
    t.reset()
    assert t.counts() == SeqCounts()
    assert t.gaps() == []
    assert t.version > before


def test_gap_list_is_capped_with_a_count_of_the_dropped() -> None:
    t = SeqTracker("$.seq", max_gaps=3)
    feed(t, 1, 3, 5, 7, 9, 11)  # five gaps: 2, 4, 6, 8, 10
    c = t.counts()
    assert spans(t) == [(1, 6, 6), (1, 8, 8), (1, 10, 10)]
    assert (c.gaps, c.gaps_dropped, c.missing) == (3, 2, 5)
    feed(t, 2)  # inside a forgotten gap: cannot be told from a duplicate any more
    assert (t.counts().missing, t.counts().out_of_order, t.counts().duplicates) == (5, 1, 0)
    feed(t, 8)  # a remembered gap still fills
    assert (t.counts().missing, t.counts().gaps) == (4, 2)
    assert "missing 4 (gaps 6, 10 and 2 more)," in t.summary_text(gap_limit=5)  # 2 forgotten
    assert t.summary_text(gap_limit=1).startswith("received 8, missing 4 (gaps 6 and 3 more)")


def test_earlier_runs_gaps_go_first_when_the_cap_is_reached() -> None:
    t = SeqTracker("$.seq", max_gaps=2, max_runs=1)
    feed(t, 1, 3, 5)  # run 1: gaps 2, 4
    feed(t, 1, 3)  # run 2: gap 2 -> run 1's gap 2 is dropped
    assert spans(t) == [(1, 4, 4), (2, 2, 2)]
    assert t.counts().gaps_dropped == 1
    feed(t, 1)  # run 3
    assert len(t.runs()) == 2
    assert t.runs_dropped == 1
    assert t.counts().runs == 3


def test_a_flood_of_random_numbers_stays_bounded() -> None:
    """The issue's flood: random numbers must not grow memory without bound."""
    rng = random.Random(11)
    t = SeqTracker("$.seq")
    tracemalloc.start()
    try:
        for _ in range(50_000):
            t.feed_number(rng.randrange(2, 2**40), 0.0)
        _, first_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        for _ in range(150_000):
            t.feed_number(rng.randrange(2, 2**40), 0.0)
        now, later_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert t.memory_items() <= 3 * 1001 + 1000 + 100
    assert len(t.gaps()) <= 1000
    c = t.counts()
    assert c.received == 200_000
    assert c.gaps + c.gaps_dropped >= c.gaps
    # Three times the numbers, no more memory than after the first 50,000 (plus slack).
    assert later_peak < first_peak + 64 * 1024, (first_peak, later_peak, now)


def _reference(numbers: list[int]) -> tuple[int, int, int, list[tuple[int, int]]]:
    """The rules with plain sets (one run, nothing forgotten): missing, dup, ooo, gaps."""
    start, top = numbers[0], numbers[0]
    seen = {start}
    missing = dup = ooo = 0
    for n in numbers[1:]:
        if n > top:
            missing += n - top - 1
            top = n
        elif n < start:
            ooo += 1
            continue
        elif n in seen:
            dup += 1
        else:
            missing -= 1
            ooo += 1
        seen.add(n)
    gaps: list[tuple[int, int]] = []
    n = start
    while n <= top:
        if n not in seen:
            first = n
            while n + 1 <= top and n + 1 not in seen:
                n += 1
            gaps.append((first, n))
        n += 1
    return missing, dup, ooo, gaps


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(min_value=2, max_value=60), min_size=1, max_size=80))
def test_intervals_agree_with_a_set_model(numbers: list[int]) -> None:
    t = SeqTracker("$.seq", max_gaps=10_000)
    for n in numbers:
        t.feed_number(n, 0.0)
    missing, dup, ooo, gaps = _reference(numbers)
    c = t.counts()
    assert (c.received, c.missing, c.duplicates, c.out_of_order) == (
        len(numbers),
        missing,
        dup,
        ooo,
    )
    assert [(g.first, g.last) for g in t.gaps()] == gaps
    assert c.missing == sum(g.size for g in t.gaps())


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.integers(min_value=1, max_value=200), min_size=1, max_size=300),
    st.integers(min_value=1, max_value=6),
)
def test_bounded_whatever_arrives(numbers: list[int], cap: int) -> None:
    t = SeqTracker("$.seq", max_gaps=cap, max_runs=3)
    for n in numbers:
        t.feed_number(n, 0.0)
        c = t.counts()
        assert len(t.gaps()) <= cap
        assert c.gaps == len(t.gaps())
        assert t.memory_items() <= 3 * (cap + 1) + cap + 3
        assert c.missing >= sum(g.size for g in t.gaps())
        assert c.received == sum(r.received for r in t.runs()) or t.runs_dropped
    assert t.counts().received == len(numbers)


def test_a_far_jump_starts_a_new_run_instead_of_a_huge_gap() -> None:
    """QA: one ``{"seq": 99999999999999999999}`` made "missing 99,999,999,999,999,999,998".
    A number more than MAX_JUMP away from the run starts a new run; the old numbers that
    follow make one more run; nothing is missing."""
    from inspector.store.messages.seq_tracker import MAX_JUMP

    t = SeqTracker("$.seq")
    feed(t, 1, 2, 3, 99999999999999999999, 4, 5, 7)
    c = t.counts()
    assert (c.received, c.missing, c.runs) == (7, 1, 3)
    assert spans(t) == [(3, 6, 6)]
    # a jump of exactly MAX_JUMP is still a gap of the run
    t = SeqTracker("$.seq")
    feed(t, 10, 11 + MAX_JUMP)
    assert (t.counts().missing, t.counts().runs) == (MAX_JUMP, 1)
    feed(t, 12 + 2 * MAX_JUMP)
    assert (t.counts().missing, t.counts().runs) == (2 * MAX_JUMP, 1)


def test_an_invalid_regex_literal_is_a_path_error_not_a_crash() -> None:
    """QA: ``$[?@.a =~ /(/]`` raised re.error out of the Sequence box (the JSONPath library
    hands the literal to ``re`` unchecked)."""
    with pytest.raises(SeqPathError) as info:
        compile_path("$[?@.a =~ /(/]")
    assert "invalid regular expression" in str(info.value)
