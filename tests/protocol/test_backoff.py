"""The reconnect and rejoin schedules of realtime-js (docs/realtime-protocol.md §7.2)."""

from __future__ import annotations

import itertools

import pytest

from inspector.protocol.backoff import (
    RECONNECT_SCHEDULE,
    delay_for,
    delays,
    reconnect_after,
    rejoin_after,
)


def test_reconnect_schedule_is_1_2_5_10_then_10_forever() -> None:
    assert [reconnect_after(n) for n in range(1, 8)] == [1.0, 2.0, 5.0, 10.0, 10.0, 10.0, 10.0]


def test_rejoin_schedule_matches_phoenix_default() -> None:
    assert [rejoin_after(n) for n in range(1, 6)] == [1.0, 2.0, 5.0, 10.0, 10.0]


def test_generator_yields_the_same_sequence() -> None:
    assert list(itertools.islice(delays(), 6)) == [1.0, 2.0, 5.0, 10.0, 10.0, 10.0]
    assert list(itertools.islice(delays((0.1, 0.3)), 4)) == [0.1, 0.3, 0.3, 0.3]


def test_custom_schedule_and_edge_cases() -> None:
    assert delay_for(0, RECONNECT_SCHEDULE) == 1.0  # tries below 1 count as the first retry
    assert delay_for(3, (0.5,)) == 0.5
    with pytest.raises(ValueError, match="at least one"):
        delay_for(1, ())
