"""Times as text never raise, whatever an imported file or a token says (QA 5)."""

from __future__ import annotations

import math
from datetime import UTC

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inspector.store.timefmt import (
    MAX_EPOCH,
    NO_TIME,
    checked_epoch,
    clock_ms,
    clock_s,
    finite_number,
    local_iso,
    local_stamp,
    to_datetime,
    utc_iso,
)

FORMATTERS = (clock_ms, clock_s, local_stamp, local_iso, utc_iso)


@pytest.mark.parametrize("value", [1e308, -1e20, math.nan, math.inf, -math.inf, 1e18, -1e18])
def test_values_that_are_not_times_read_as_no_time(value: float) -> None:
    assert [f(value) for f in FORMATTERS] == [NO_TIME] * len(FORMATTERS)
    assert to_datetime(value) is None


def test_times_are_formatted() -> None:
    assert utc_iso(1767225600.125) == "2026-01-01T00:00:00.125Z"
    assert len(clock_ms(1767225600.125)) == len("00:00:00.125")
    assert len(clock_s(1767225600.0)) == len("00:00:00")
    assert local_stamp(1767225600.125).endswith(".125")
    assert local_iso(1767225600.125)[:4] in ("2025", "2026")
    assert to_datetime(0.0, UTC) is not None


@settings(max_examples=300, deadline=None)
@given(st.floats(allow_nan=True, allow_infinity=True) | st.integers(-(10**30), 10**30))
def test_no_formatter_raises(value: float) -> None:
    for f in FORMATTERS:
        assert isinstance(f(value), str)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (1e308, "between 1970 and 3000"),
        (-1e20, "between 1970 and 3000"),
        (-1, "between 1970 and 3000"),
        (math.nan, "between 1970 and 3000"),
        (math.inf, "between 1970 and 3000"),
        (10**400, "a huge number"),
        (MAX_EPOCH + 1, "between 1970 and 3000"),
        (True, "must be a number"),
        ("1", "must be a number"),
        (None, "must be a number"),
    ],
)
def test_checked_epoch_refuses_what_cannot_be_shown(value: object, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        checked_epoch(value)


def test_checked_epoch_and_finite_number_accept_numbers() -> None:
    assert checked_epoch(0) == 0.0
    assert checked_epoch(MAX_EPOCH) == MAX_EPOCH
    assert checked_epoch(1767225600.125) == 1767225600.125
    assert finite_number(3) == 3.0
    assert [finite_number(v) for v in (math.nan, math.inf, 10**400, True, "2")] == [None] * 5
