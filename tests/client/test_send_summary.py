"""SendSummary (issue #11 §3): counts, rate and HDR-histogram percentiles from a known set."""

from __future__ import annotations

import json

import pytest

from inspector.client.send_summary import SendSummary


def test_percentiles_of_1_to_1000_ms_are_exact_to_a_tenth_of_a_percent() -> None:
    s = SendSummary()
    for ms in range(1, 1001):
        s.sent += 1
        s.record("ok", ms / 1000)
    assert (s.sent, s.ok, s.rtt_count) == (1000, 1000, 1000)
    assert s.p50 == pytest.approx(500, rel=1e-3)
    assert s.p95 == pytest.approx(950, rel=1e-3)
    assert s.p99 == pytest.approx(990, rel=1e-3)
    assert s.max == pytest.approx(1000, rel=1e-3)


def test_microsecond_resolution_and_one_outlier() -> None:
    s = SendSummary()
    for _ in range(99):
        s.record("ok", 0.000_250)  # 250 µs
    s.record("ok", 2.5)
    assert s.p50 == 0.25
    assert s.p99 == 0.25
    assert s.max == pytest.approx(2500, rel=1e-3)


def test_counts_statuses_rate_and_unanswered() -> None:
    s = SendSummary()
    s.sent = 10
    for status in ("ok", "ok", "error", "dropped", "timed_out", "sent"):
        s.record(status)
    s.elapsed = 2.0
    assert (s.ok, s.error, s.timed_out, s.failed, s.unanswered) == (2, 2, 1, 3, 5)
    assert s.rate == 5.0
    assert s.p50 is None
    assert s.max is None


def test_as_dict_is_one_strict_json_object() -> None:
    s = SendSummary()
    s.sent, s.elapsed = 2, 0.5
    s.record("ok", 0.001)
    s.record("timed_out")
    d = s.as_dict()
    assert json.loads(json.dumps(d, allow_nan=False)) == d
    assert {k: d[k] for k in ("sent", "ok", "error", "timed_out", "cancelled")} == {
        "sent": 2,
        "ok": 1,
        "error": 0,
        "timed_out": 1,
        "cancelled": False,
    }
    assert d["rate_per_s"] == 4.0
    assert d["rtt_ms"] == {"count": 1, "p50": 1.0, "p95": 1.0, "p99": 1.0, "max": 1.0}


def test_format_table_lines() -> None:
    s = SendSummary()
    s.sent, s.elapsed, s.cancelled = 1200, 1.5, True
    text = s.format_table()
    assert "sent            " not in text  # no round trips: the short layout
    assert text.splitlines()[0] == "sent        1,200"
    assert "elapsed     1.500 s (cancelled)" in text
    assert "rate        800.0 msg/s" in text
    assert "no acks" in text
    s.record("ok", 0.002)
    assert "round trip p99  2.000 ms" in s.format_table()
