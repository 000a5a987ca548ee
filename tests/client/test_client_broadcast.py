"""Broadcast over the websocket and over REST against the local server (§2.3-§2.5, §5, §6)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

import pytest
from client_helpers import EventLog

from inspector.client import (
    BroadcastReceived,
    ChannelConfig,
    ClientSettings,
    InvalidPayload,
    PushStatus,
    RealtimeClient,
)
from inspector.protocol.jwt import CLI_DEMO_EXP, sign
from inspector.server import RealtimeServer, ServerConfig

PAYLOAD = {"text": "héllo ✓", "n": [1, 2.5, None, True], "nested": {"a": {"b": "c"}}}


async def pair(
    make_client: Callable[..., RealtimeClient],
    sender_vsn: str = "2",
    receiver_vsn: str = "2",
    **sender_cfg: object,
) -> tuple[RealtimeClient, RealtimeClient, EventLog, EventLog]:
    slog, rlog = EventLog(), EventLog()
    sender = make_client(on_event=slog, vsn=sender_vsn)
    receiver = make_client(on_event=rlog, vsn=receiver_vsn)
    await sender.connect()
    await receiver.connect()
    await sender.join(ChannelConfig("room-1", **sender_cfg))  # type: ignore[arg-type]
    await receiver.join("room-1")
    return sender, receiver, slog, rlog


@pytest.mark.parametrize(("sv", "rv"), [("2", "2"), ("2", "1"), ("1", "2"), ("1", "1")])
async def test_json_payload_arrives_exactly_in_every_version_pair(
    make_client: Callable[..., RealtimeClient], sv: str, rv: str
) -> None:
    sender, _, slog, rlog = await pair(make_client, sv, rv)
    result = await sender.send("room-1", "test", PAYLOAD)
    assert result.status is PushStatus.SENT
    assert result.rtt is None
    got = await rlog.wait_for(BroadcastReceived)
    assert (got.event, got.json_payload(), got.binary) == ("test", PAYLOAD, False)
    assert slog.of(BroadcastReceived) == []  # self is off


async def test_binary_reaches_v2_exactly_and_never_v1(
    make_client: Callable[..., RealtimeClient],
) -> None:
    sender, _, _, rlog = await pair(make_client)
    v1_log = EventLog()
    v1 = make_client(on_event=v1_log, vsn="1")
    await v1.connect()
    await v1.join("room-1")
    data = bytes(range(256)) * 3
    await sender.send("room-1", "blob", data, binary=True)
    await sender.send("room-1", "after", {"ok": True})
    got = await rlog.wait_for(BroadcastReceived)
    assert got.binary
    assert got.payload_bytes() == data
    assert got.display_payload()["$binary"]
    await v1_log.wait_for(BroadcastReceived, lambda e: e.event == "after")
    assert [e.event for e in v1_log.of(BroadcastReceived)] == ["after"]


async def test_binary_on_v1_and_bad_json_are_refused_before_sending(
    make_client: Callable[..., RealtimeClient],
) -> None:
    sender, _, _, _ = await pair(make_client, "1")
    with pytest.raises(InvalidPayload, match=r"2\.0\.0"):
        await sender.send("room-1", "b", b"\x00", binary=True)
    with pytest.raises(InvalidPayload):
        await sender.send("room-1", "b", {"x": float("nan")})
    with pytest.raises(InvalidPayload):
        await sender.send("room-1", "b", {"x": object()})


async def test_self_delivers_our_own_broadcast_once(
    make_client: Callable[..., RealtimeClient],
) -> None:
    sender, _, slog, rlog = await pair(make_client, broadcast_self=True)
    await sender.send("room-1", "echo", {"n": 1})
    assert (await slog.wait_for(BroadcastReceived)).json_payload() == {"n": 1}
    await rlog.wait_for(BroadcastReceived)
    await sender.send("room-1", "second", {})
    await slog.wait_for(BroadcastReceived, lambda e: e.event == "second")
    assert [e.event for e in slog.of(BroadcastReceived)] == ["echo", "second"]


async def test_ack_round_trip_and_time_out(
    server: RealtimeServer, make_client: Callable[..., RealtimeClient]
) -> None:
    sender, _, _, _ = await pair(make_client, broadcast_ack=True)
    ok = await sender.send("room-1", "acked", {"a": 1})
    assert ok.status is PushStatus.OK
    assert ok.rtt is not None
    assert ok.rtt > 0
    server.faults.mute_acks = True
    late = await sender.send("room-1", "muted", {}, timeout=0.3)
    assert late.status is PushStatus.TIMED_OUT
    assert late.error_text() == "no reply from the server in time"


async def test_oversize_payload_gets_the_servers_error() -> None:
    async with RealtimeServer(ServerConfig(port=0, max_payload_kb=1)) as server:
        client = RealtimeClient(ClientSettings(server.url, server.anon_key))
        try:
            await client.connect()
            await client.join(ChannelConfig("room-1", broadcast_ack=True))
            result = await client.send("room-1", "big", {"x": "y" * 5000})
            assert result.status is PushStatus.ERROR
            assert result.error_text() == "payload_size_exceeded"
        finally:
            await client.close()


async def test_pushes_before_the_join_wait_and_the_buffer_is_bounded(
    make_client: Callable[..., RealtimeClient],
) -> None:
    rlog = EventLog()
    receiver = make_client(on_event=rlog)
    await receiver.connect()
    await receiver.join("room-1")
    sender = make_client(buffer_size=2)
    await sender.join("room-1", wait=False)  # not connected yet: the join waits too
    sends = [asyncio.ensure_future(sender.send("room-1", f"e{i}", {"i": i})) for i in range(3)]
    first = await sends[0]
    assert first.status is PushStatus.DROPPED
    assert sender.channels["realtime:room-1"].dropped == 1
    await sender.connect()
    results = await asyncio.gather(*sends[1:])
    assert [r.status for r in results] == [PushStatus.SENT, PushStatus.SENT]
    got = await rlog.wait_count(BroadcastReceived, 2)
    assert [e.event for e in got] == ["e1", "e2"]


async def test_rest_single_json_binary_and_batch_reach_subscribers(
    make_client: Callable[..., RealtimeClient],
) -> None:
    _, receiver, _, rlog = await pair(make_client)
    single = await receiver.rest_send("room-1", "rest-json", PAYLOAD)
    assert (single.ok, single.status, single.error) == (True, 202, None)
    assert single.latency > 0
    binary = await receiver.rest_send("room-1", "rest-bin", b"\x00\xff", binary=True)
    assert binary.status == 202
    batch = await receiver.rest_send("room-1", "rest-batch", {"b": 1}, batch=True)
    assert (batch.endpoint, batch.status) == ("batch", 202)
    got = await rlog.wait_count(BroadcastReceived, 3)
    by_event = {e.event: e for e in got}
    assert by_event["rest-json"].json_payload() == PAYLOAD
    assert by_event["rest-bin"].payload_bytes() == b"\x00\xff"
    assert by_event["rest-batch"].json_payload() == {"b": 1}
    with pytest.raises(InvalidPayload, match="batch"):
        await receiver.rest_send("room-1", "x", b"\x00", binary=True, batch=True)


async def test_rest_errors_surface_the_servers_message(
    server: RealtimeServer, make_client: Callable[..., RealtimeClient]
) -> None:
    forged = sign({"role": "anon", "exp": CLI_DEMO_EXP}, "wrong-secret-" * 4)
    client = make_client(api_key=forged)
    result = await client.rest_send("room-1", "e", {"a": 1})
    assert (result.ok, result.status) == (False, 401)
    assert result.error == "HTTP 401: Unauthorized"
    private_denied = await make_client().rest_send("room-1", "e", {}, private=True)
    assert private_denied.status == 403
    assert private_denied.error == "HTTP 403: Unauthorized"
    await server.stop()
    down = await make_client().rest_send("room-1", "e", {})
    assert down.status is None
    assert down.error is not None
    assert "refused" in down.error or "cannot reach" in down.error


async def test_rest_single_names_are_path_segments_and_never_empty(
    make_client: Callable[..., RealtimeClient],
) -> None:
    """Dot segments reach their channel (URL libraries would resolve them away); an empty name
    is refused before sending, not reported as a missing endpoint (QA finding 6)."""
    log = EventLog()
    client = make_client(on_event=log)
    await client.connect()
    for name in ("..", "."):
        await client.join(name)
        mark = log.mark()
        result = await client.rest_send(name, "ev/..", {"x": name})
        assert (result.status, result.error) == (202, None)
        got = await log.wait_for(BroadcastReceived, after=mark)
        assert (got.topic, got.event, got.json_payload()) == (
            f"realtime:{name}",
            "ev/..",
            {"x": name},
        )
    with pytest.raises(InvalidPayload, match="a channel needs a name"):
        await client.rest_send("", "e", {})
    with pytest.raises(InvalidPayload, match="needs an event name"):
        await client.rest_send("room-1", "", {})


async def test_lone_surrogates_travel_as_escapes(
    make_client: Callable[..., RealtimeClient],
) -> None:
    """A payload parsed from ``"\\ud800"`` (legal JSON) can be sent on as kind 3, whose bytes
    the server passes unchecked (§2.3), and the one received gives the GUI its row bytes (QA
    finding 4). (The local server drops such text frames, as Jason would; see docs/server.md.)"""
    sender, _, _, rlog = await pair(make_client)
    payload = {"s": "x\ud800y", "k\udfff": 1}
    assert (await sender.send("room-1", "sur", payload)).status is PushStatus.SENT
    got = await rlog.wait_for(BroadcastReceived)
    assert got.json_payload() == payload
    assert json.loads(got.payload_bytes().decode("utf-8")) == payload
