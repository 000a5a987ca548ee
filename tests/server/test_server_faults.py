"""The fault-injection surface: inject, send_raw, close_all, muted heartbeats (docs/server.md)."""

from __future__ import annotations

import asyncio

import pytest
from server_helpers import TIMEOUT, field

from inspector.protocol.frames import UserBroadcast
from inspector.server import CURRENT, RealtimeServer


async def test_inject_with_current_stale_and_null_join_ref(
    server: RealtimeServer, connect_client
) -> None:
    a, v1 = await connect_client(), await connect_client("1.0.0")
    await a.join("inj")
    await v1.join("inj")
    jr = a.join_refs["realtime:inj"]
    payload = {"type": "broadcast", "event": "x", "payload": {}}
    assert server.inject("realtime:inj", payload) == 2
    assert server.inject("realtime:inj", payload, join_ref="stale") == 2
    assert server.inject("realtime:inj", payload, join_ref=None, event="custom") == 2
    assert server.inject("realtime:nobody", payload) == 0
    got = await a.barrier()
    assert [(field(f, "join_ref"), field(f, "event")) for f in got] == [
        (jr, "broadcast"),
        ("stale", "broadcast"),
        (None, "custom"),
    ]
    assert all("join_ref" not in f for f in await v1.barrier())  # v1 never carries join_ref
    assert CURRENT == "__current__"


async def test_inject_frames_and_raw_data(server: RealtimeServer, connect_client) -> None:
    a, v1 = await connect_client(), await connect_client("1.0.0")
    await a.join("f")
    await v1.join("f")
    assert (
        server.inject("realtime:f", UserBroadcast("realtime:f", "e", b'{"id":"m1"}', 1, b"{}")) == 1
    )
    assert server.inject("realtime:f", "[not json") == 2
    assert server.send_raw(b"\x02odd", socket_id=server.sockets[0].id) == 1
    frames = []
    for _ in range(3):
        frames.append(await asyncio.wait_for(a.ws.recv(), TIMEOUT))
    assert frames == [b'\x04\x0a\x01\x0b\x01realtime:fe{"id":"m1"}{}', "[not json", b"\x02odd"]


async def test_close_all_with_a_code(server: RealtimeServer, connect_client) -> None:
    a = await connect_client()
    await a.join("c")
    await server.close_all(1000, "maintenance")
    await asyncio.wait_for(a.ws.wait_closed(), TIMEOUT)
    assert (a.ws.close_code, a.ws.close_reason) == (1000, "maintenance")


async def test_muted_heartbeat_replies(server: RealtimeServer, connect_client) -> None:
    a = await connect_client()
    server.faults.mute_heartbeat_replies = True
    await a.send(None, "hb", "phoenix", "heartbeat", {})
    reply = await a.join("after")  # the join reply comes; the heartbeat reply never did
    assert field(reply, "payload")["status"] == "ok"
    server.faults.reset()
    assert await a.barrier() == []


async def test_error_channel_sends_phx_error(server: RealtimeServer, connect_client) -> None:
    a = await connect_client()
    await a.join("e")
    jr = a.join_refs["realtime:e"]
    assert server.error_channel("realtime:e") == 1
    assert await a.recv() == [jr, jr, "realtime:e", "phx_error", {}]
    assert server.hub.channels() == {}


async def test_a_raising_wait_predicate_fails_the_waiter_not_the_server(
    server: RealtimeServer, connect_client
) -> None:
    waiter = asyncio.ensure_future(server.events.wait_for(lambda r: r.event.no_such_field))
    a = await connect_client()
    with pytest.raises(AttributeError):
        await waiter
    assert field(await a.join("fine"), "payload")["status"] == "ok"
