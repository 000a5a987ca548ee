"""Every workload run by the engine in this process against the real local server over real
sockets (issue #14 §1-§2): plausible non-zero figures and nothing lost. Small runs (12-20
VUs, under 2 s of sending); no timing in the assertions."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from inspector.client import ClientSettings
from inspector.client.load import PRESETS, LoadStats, Snapshot, preset, run_load
from inspector.protocol import jwt
from inspector.server import RealtimeServer, ServerConfig
from inspector.server.config import CLI_DEV_SECRET

RULES = """
[[allow]]
channels = ["load-*"]
roles = ["authenticated"]
can = ["all"]
"""


@pytest.fixture
def server_config(tmp_path: Path) -> ServerConfig:
    rules = tmp_path / "rules.toml"
    rules.write_text(RULES)
    return ServerConfig(port=0, rules=rules)


def _settings(server: RealtimeServer) -> ClientSettings:
    return ClientSettings(server.url, server.anon_key)


def _check_plausible(stats: LoadStats, vus: int, channels: int) -> dict[str, float | int | None]:
    s = stats.summary()
    assert stats.errors == {}, stats.errors
    assert (s["connections"], s["concurrent_users"], s["connection_success"]) == (vus, vus, 100.0)
    assert (s["joins"], s["join_success"]) == (vus * channels, 100.0)
    assert s["sent"]
    assert s["sent"] > 0
    assert s["delivered"] == s["expected"]
    assert s["delivered"] > 0
    assert (s["lost"], s["duplicated"], s["out_of_order"]) == (0, 0, 0)
    for name in ("p50", "p95", "p99", "max", "connect_p50", "join_p50", "sent_rate"):
        value = s[name]
        assert value is not None, name
        assert value > 0, name
    assert s["p50"] <= s["p95"] <= s["p99"] <= s["max"]  # type: ignore[operator]
    assert s["tx_bytes"]
    assert s["rx_bytes"]
    assert s["rx_bytes"] > s["tx_bytes"]
    return s


@pytest.mark.parametrize("name", [n for n in PRESETS if n not in ("auth", "large-fanout")])
async def test_each_workload_runs_and_loses_nothing(server: RealtimeServer, name: str) -> None:
    w = preset(name, vus=12, duration_s=1.5, ramp_up_s=0.2, drain_s=5, run_id=name)
    snaps: list[Snapshot] = []
    stats = await run_load(w, _settings(server), on_progress=snaps.append, progress_interval=0.2)
    s = _check_plausible(stats, 12, len(w.layout))
    if w.via != "ws":
        assert s["ack_p50"] is not None  # the REST answer's round trip
    if w.payload_bytes:
        assert s["tx_bytes"] == s["sent"] * w.payload_bytes
    assert snaps[-1].phase == "done"
    assert snaps[-1].delivered == s["delivered"]
    assert "sending" in {snap.phase for snap in snaps}


async def test_large_fanout_delivers_each_send_to_every_member(server: RealtimeServer) -> None:
    # 1 message/minute: in 1.5 s only VU 0 (phase 0 of its interval) sends, once per channel
    w = preset("large-fanout", vus=20, duration_s=1.5, ramp_up_s=0.2, drain_s=5, run_id="lf")
    stats = await run_load(w, _settings(server))
    s = _check_plausible(stats, 20, 2)
    assert (s["sent"], s["delivered"]) == (2, 2 * 20)  # channels of 100 hold all 20 VUs


async def test_auth_workload_joins_private_channels_with_a_token_per_vu(
    server: RealtimeServer,
) -> None:
    exp = int(time.time()) + 600
    tokens: dict[int, str] = {}

    def token_for(i: int) -> str:
        tokens[i] = jwt.sign({"role": "authenticated", "sub": f"u{i}", "exp": exp}, CLI_DEV_SECRET)
        return tokens[i]

    w = preset("auth", vus=12, connect_rate=40, duration_s=1.0, drain_s=5, run_id="auth")
    stats = await run_load(w, _settings(server), token_for=token_for)
    s = _check_plausible(stats, 12, 2)
    assert len(set(tokens.values())) == 12
    assert s["connect_rate"] is not None
    # without a user token the anon role has no grant: every private join is refused
    refused = await run_load(
        preset("auth", vus=3, duration_s=0.5, drain_s=0.5, run_id="anon"), _settings(server)
    )
    assert refused.joins_ok == 0
    assert refused.joins_failed == 6
    assert any("join:" in reason for reason in refused.errors)


async def test_ack_presence_and_a_saved_template(server: RealtimeServer) -> None:
    w = preset(
        "custom",
        vus=8,
        users_per_channel=4,
        ack=True,
        presence=True,
        template='{"n": "{{seq}}", "at": "{{now}}", "r": "{{random_int:1:6}}"}',
        duration_s=1.0,
        drain_s=5,
        run_id="tpl",
    )
    stats = await run_load(w, _settings(server))
    s = _check_plausible(stats, 8, 1)
    assert s["ack_p50"] is not None
    assert s["ack_max"] is not None
    assert stats.ack.get_total_count() == s["sent"]


async def test_stop_cuts_a_run_short_and_it_still_drains(server: RealtimeServer) -> None:
    stop = asyncio.Event()

    def on_progress(snap: Snapshot) -> None:
        if snap.phase == "sending" and snap.sent > 0:
            stop.set()

    w = preset("broadcast", vus=6, duration_s=600, drain_s=5, run_id="stop")
    stats = await asyncio.wait_for(
        run_load(w, _settings(server), stop=stop, on_progress=on_progress, progress_interval=0.1),
        60,
    )
    s = stats.summary()
    assert s["sent"]
    assert s["lost"] == 0
    assert s["delivered"] == s["expected"]


async def test_a_saved_template_reads_the_claims_of_the_one_token(server: RealtimeServer) -> None:
    token = jwt.sign(
        {"role": "anon", "sub": "user-7", "exp": int(time.time()) + 600}, CLI_DEV_SECRET
    )
    w = preset(
        "custom",
        vus=4,
        users_per_channel=4,
        template='{"who": "{{claims.sub}}", "role": "{{claims.role}}"}',
        duration_s=0.6,
        drain_s=5,
        run_id="claims",
    )
    settings = ClientSettings(server.url, server.anon_key, access_token=token)
    stats = await run_load(w, settings)
    _check_plausible(stats, 4, 1)  # no "needs an identity with a user token" send failures


async def test_rates_of_a_simultaneous_ramp_are_bounded_by_the_slowest_attempt(
    server: RealtimeServer,
) -> None:
    # Every VU connects and joins at once (ramp-up 0): the rates are counted from the start of
    # the first attempt to the end of the last, so N connections cannot have come faster than
    # N per slowest connect. Before, the span ran from the first *completion* to the last, a
    # millisecond or less here, and read tens of thousands of connections per second.
    w = preset("broadcast", vus=12, duration_s=0.5, ramp_up_s=0, drain_s=5, run_id="ramp0")
    s = _check_plausible(await run_load(w, _settings(server)), 12, 2)
    # HDR keeps 3 significant digits: allow its rounding of the max
    assert s["connect_rate"] <= 1.01 * s["connections"] / (s["connect_max"] / 1000)  # type: ignore[operator]
    assert s["join_rate"] <= 1.01 * s["joins"] / (s["join_max"] / 1000)  # type: ignore[operator]


async def test_a_refusal_is_one_reason_whatever_the_channel(server: RealtimeServer) -> None:
    # Private channels with the anon role: every join is refused for the same reason. The
    # reason named each channel before, so 5,000 VUs made 5,000 "errors by reason" lines.
    w = preset("broadcast", vus=12, duration_s=0.5, ramp_up_s=0, private=True, run_id="deny")
    stats = await run_load(w, _settings(server))
    joins = {k: n for k, n in stats.errors.items() if k.startswith("join:")}
    assert list(joins.values()) == [24], joins
    (reason,) = joins
    assert "Unauthorized" in reason
    assert "load-deny" not in reason
