"""The load engine's pure parts (issue #14 §1-§3): channel plans, presets, the payload header,
sequence accounting, the exact HDR merge across processes, thresholds."""

from __future__ import annotations

import json
import random

import pytest
from hdrh.histogram import HdrHistogram

from inspector.client.load import PRESETS, LoadStats, channel_plan, preset
from inspector.client.load.payload import make_payload, read_header
from inspector.client.load.recorder import new_histogram
from inspector.client.load.report import ThresholdError, check, parse_threshold
from inspector.client.load.workloads import ChannelSlot


def _all_slots(workload, indexes):
    return {i: channel_plan(workload, i) for i in indexes}


def test_broadcast_plan_gives_each_vu_an_echo_channel_and_a_group_of_six() -> None:
    w = preset("broadcast", vus=14, run_id="r1")
    plans = _all_slots(w, range(14))
    echoes = [p[0] for p in plans.values()]
    assert len({s.name for s in echoes}) == 14
    assert all(s.members == 1 and s.receivers == 1 for s in echoes)
    groups: dict[str, list[int]] = {}
    for i, plan in plans.items():
        groups.setdefault(plan[1].name, []).append(i)
    assert sorted(groups.values()) == [[0, 1, 2, 3, 4, 5], [6, 7, 8, 9, 10, 11], [12, 13]]
    last = plans[13][1]
    assert (last.members, last.receivers) == (2, 2)  # the group's last channel holds what is left
    assert plans[0][1].name == "load-r1-group6-0"


def test_plans_agree_across_disjoint_ranges_and_runs_do_not_mix() -> None:
    w = preset("broadcast", vus=100, run_id="abc")
    whole = _all_slots(w, range(100))
    halves = {**_all_slots(w, range(0, 37)), **_all_slots(w, range(37, 100))}
    assert whole == halves
    other = preset("broadcast", vus=100, run_id="xyz")
    assert not {s.name for s in channel_plan(other, 0)} & {s.name for s in whole[0]}
    with pytest.raises(ValueError, match="outside"):
        channel_plan(w, 100)


def test_receivers_per_send_follow_self_and_rest() -> None:
    ws_no_self = preset("custom", vus=4, users_per_channel=4, broadcast_self=False)
    assert channel_plan(ws_no_self, 0)[0].receivers == 3
    rest = preset("rest", vus=6)
    assert channel_plan(rest, 0)[0].receivers == 6  # a REST sender is not a member: all receive


def test_preset_overrides_and_errors() -> None:
    w = preset("custom", channels=3, users_per_channel=5, vus=10, send_rate=4)
    assert [g.users for g in w.layout] == [5, 5, 5]
    assert len({g.label for g in w.layout}) == 3
    assert preset("broadcast", users_per_channel=3).layout[1].users == 3
    assert preset("payload-size", payload_bytes=50_000).payload_bytes == 50_000
    with pytest.raises(KeyError, match="unknown workload"):
        preset("nope")
    with pytest.raises(ValueError, match="unknown workload field"):
        preset("broadcast", colour="red")
    with pytest.raises(ValueError, match="duration"):
        preset("broadcast", duration_s=0)
    for name in ("broadcast", "payload-size", "large-fanout", "auth", "rest", "custom"):
        assert name in PRESETS
    assert {PRESETS[n].payload_bytes for n in ("payload-1kb", "payload-10kb", "payload-50kb")} == {
        1_000,
        10_000,
        50_000,
    }


@pytest.mark.parametrize("size", [0, 10, 100, 1_000, 50_000])
def test_generated_payload_has_the_size_and_the_header_reads_back(size: int) -> None:
    payload, length = make_payload("17", 42, 1764912345678.123, size)
    text = json.dumps(payload, separators=(",", ":")).encode()
    assert len(text) == length
    if size > 80:
        assert length == size
    else:
        assert set(payload) == {"load"}  # the header alone is longer than asked
    assert read_header(text, None) == ("17", 42, 1764912345678.123)
    assert read_header(None, json.loads(text)) == ("17", 42, 1764912345678.123)


def test_read_header_never_raises_for_peer_bytes() -> None:
    rng = random.Random(7)
    samples = [b"", b"{", b'{"load":{"from":"\xff","seq":1,"ts":1}}', b'{"load":[]}', b"null"]
    samples += [bytes(rng.randrange(256) for _ in range(rng.randrange(60))) for _ in range(300)]
    for raw in samples:
        read_header(raw, None)
    assert read_header(None, {"load": {"from": "a", "seq": True, "ts": 1}}) is None
    assert read_header(b'{"other":1}', None) is None


def _slot(name: str, receivers: int) -> ChannelSlot:
    return ChannelSlot(name, "g", 0, receivers, receivers, True, False)


def test_sequences_give_lost_duplicated_and_out_of_order_per_channel() -> None:
    stats = LoadStats()
    stats.planned(_slot("c", 2))
    for _ in range(5):
        stats.sent("c", True, None, 10)
    # receiver 1 gets 1 2 4 3 3 5; receiver 2 gets 1 2 5 (3 and 4 lost)
    for seq in (1, 2, 4, 3, 3, 5):
        stats.delivered("c", "7", seq, 1.0, 10, receiver=1)
    for seq in (1, 2, 5):
        stats.delivered("c", "7", seq, 1.0, 10, receiver=2)
    s = stats.summary()
    assert (s["expected"], s["delivered"], s["lost"]) == (10, 8, 2)
    assert (s["duplicated"], s["out_of_order"]) == (1, 1)
    assert stats.channel_problems()[0]["channel"] == "c"
    stats.sent("c", False, None, 10, "refused")
    assert stats.errors["send: refused"] == 1
    assert stats.summary()["expected"] == 10  # a failed send expects nothing


def _filled(rng: random.Random, n: int, values: list[int]) -> LoadStats:
    stats = LoadStats(vus=n)
    stats.planned(_slot(f"c{n}", 1))
    for seq in range(1, n + 1):
        stats.connected(True, rng.uniform(0.5, 30))
        stats.joined(f"c{n}", True, rng.uniform(0.2, 10))
        stats.sent(f"c{n}", True, rng.uniform(0.1, 50), 100)
        v = rng.choice([rng.uniform(0.01, 5), rng.uniform(5, 200), rng.uniform(200, 60_000)])
        values.append(int(v * 1000))
        stats.delivered(f"c{n}", "s", seq, v, 120, receiver=0)
    stats.error("boom")
    return stats


def test_hdr_merge_across_processes_is_exact() -> None:
    rng = random.Random(14)
    values: list[int] = []
    parts = [_filled(rng, n, values) for n in (1_000, 2_500, 7)]
    merged = LoadStats()
    merged.processes = 0
    for part in parts:  # as the CLI does: each worker's result crosses a pipe as JSON
        merged.merge(LoadStats.from_dict(json.loads(json.dumps(part.to_dict()))))
    one = new_histogram()
    for v in values:
        one.record_value(max(v, 1))
    got: HdrHistogram = merged.latency
    assert got.get_total_count() == one.get_total_count() == len(values)
    for p in (0, 1, 10, 25, 50, 75, 90, 95, 99, 99.9, 99.99, 100):
        assert got.get_value_at_percentile(p) == one.get_value_at_percentile(p)
    assert (got.get_min_value(), got.get_max_value()) == (one.get_min_value(), one.get_max_value())
    assert got.get_mean_value() == one.get_mean_value()
    s = merged.summary()
    assert s["delivered"] == s["sent"] == s["connections"] == s["expected"] == 3_507
    assert s["lost"] == 0
    assert merged.processes == 3
    assert merged.errors["boom"] == 3
    assert merged.ack.get_total_count() == merged.connect.get_total_count() == 3_507


def test_from_dict_refuses_what_is_not_a_result() -> None:
    fmt = LoadStats().to_dict()["format"]
    bads = [{}, {"format": "x"}, {"format": fmt, "sends_ok": "1"}, {"format": fmt, "channels": 3}]
    bads.append({"format": fmt, "histograms": {"latency": "not-a-histogram"}})
    bads.append({"format": fmt, "channels": {"c": [1, 2]}})
    for bad in bads:
        with pytest.raises(ValueError):
            LoadStats.from_dict(bad)


def test_thresholds_parse_strictly_and_decide() -> None:
    assert parse_threshold("p99<100ms").value == 100
    assert parse_threshold("p99 < 0.1s").value == 100
    assert parse_threshold("join_success>=99.9%").value == pytest.approx(99.9)
    assert parse_threshold("rx_rate>=2MB/s").value == 2e6
    summary = {"p99": 80.0, "lost": 0, "delivered_rate": 999.0, "ack_p99": None}
    assert check(parse_threshold("p99<100ms"), summary).passed
    assert check(parse_threshold("lost==0"), summary).passed
    assert not check(parse_threshold("delivered_rate>=1000"), summary).passed
    unmeasured = check(parse_threshold("ack_p99<5"), summary)
    assert not unmeasured.passed
    assert "not measured" in unmeasured.message
    for bad, words in (
        ("p99<<1", "cannot read"),
        ("p98<1", "unknown metric 'p98'"),
        ("lost<1ms", "a count"),
        ("p99<1kb", "unit"),
        ("p99<", "cannot read"),
        ("", "cannot read"),
    ):
        with pytest.raises(ThresholdError, match=words) as info:
            parse_threshold(bad)
        if "unit" not in words and "a count" not in words:
            assert "delivered_rate" in str(info.value)  # the metric names are listed


def test_connect_and_join_rates_count_from_the_start_of_the_first_attempt() -> None:
    # Two connections of 50 ms each, completing back to back (as when every VU connects at
    # once): at most 2 / 0.05 s = 40/s, never 2 / (the microseconds between completions).
    stats = LoadStats()
    for _ in range(2):
        stats.connected(True, 50.0)
        stats.joined("c", True, 20.0)
    s = stats.summary()
    assert s["connect_rate"] <= 40.0  # type: ignore[operator]
    assert s["join_rate"] <= 100.0  # type: ignore[operator]
