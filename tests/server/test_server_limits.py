"""Limits and hostile input: oversize frames, malformed frames, rates, idle and slow sockets (§10)."""

from __future__ import annotations

import asyncio
import collections
import json
import random

import httpx
from server_helpers import TIMEOUT, Client, field, url_for
from websockets.asyncio.client import connect

from inspector.protocol.frames import FrameRejected, UserBroadcast
from inspector.protocol.serializer import encode_binary
from inspector.server import RealtimeServer, ServerConfig
from inspector.server.notes import HandlerError, SocketClosed


async def test_default_limits_are_the_real_ones() -> None:
    config = ServerConfig()
    assert config.max_frame_bytes == 5_000_000
    assert config.max_channels_per_socket == 100
    assert config.max_payload_kb == 3000
    assert config.max_events_per_second is None
    assert (config.presence_max_calls, config.presence_window_ms) == (5, 30_000)


async def test_oversize_frame_closes_with_1009() -> None:
    async with RealtimeServer(ServerConfig(port=0, max_frame_bytes=2000)) as server:
        url = url_for(server)
        async with connect(url) as ws:
            await ws.send(json.dumps([None, "1", "phoenix", "heartbeat", {"pad": "x" * 3000}]))
            await asyncio.wait_for(ws.wait_closed(), TIMEOUT)
            assert ws.close_code == 1009


async def test_malformed_frames_are_dropped_and_the_socket_lives(
    server: RealtimeServer, connect_client
) -> None:
    v2, v1 = await connect_client(), await connect_client("1.0.0")
    await v2.join("m")
    mark = server.events.mark()
    garbage: list[str | bytes] = [
        "not json",
        "{}",
        "[1,2,3]",
        '[null,"1",5,"heartbeat",{}]',
        "[" * 100_000,  # deep nesting
        b"",
        b"\x09",
        b"\x03\x01",
        encode_binary(UserBroadcast("realtime:m", "e", b"", 1, b"{}")),  # kind 4 from a client
        b"\x03\x01\x01\x0f\x04\x00\x07" + b"12realtime:room-1ping",  # unknown encoding
        b"\x03\x01\x01\xff\x04\x00\x01" + b"12",  # truncated topic
        "\udcff".encode("utf-8", "surrogatepass"),
    ]
    for data in garbage:
        await v2.ws.send(data)
    await v2.ws.send(b'["\xff\xfe"]', text=True)  # invalid UTF-8 in a text frame (§1.5)
    assert await v2.barrier() == []
    assert field(await v2.join("still-works"), "payload")["status"] == "ok"
    for data in ("[]", '"x"', b"\x03binary on v1"):
        await v1.ws.send(data)
    assert await v1.barrier() == []
    rejected = [r for r in server.events.items(mark) if isinstance(r.event, FrameRejected)]
    assert len(rejected) == len(garbage) + 1 + 3
    assert all(r.event.reason for r in rejected)


async def test_events_per_second_limit_closes_channels_and_rest_gets_429() -> None:
    config = ServerConfig(port=0, max_events_per_second=3, events_window_s=30)
    async with RealtimeServer(config) as server:
        url = f"{server.ws_url}?apikey={server.anon_key}&vsn=2.0.0"
        async with connect(url) as wa, connect(url) as wb:
            a, b = Client(wa, "2.0.0"), Client(wb, "2.0.0")
            await a.join("busy")
            await b.join("busy")
            for _ in range(60):  # 3/s over 30 s = 90 events
                await a.broadcast("busy", "e", {})
            system = await b.recv_until(lambda f: field(f, "event") == "system")
            assert field(system, "payload")["message"] == "Too many messages per second"
            assert field(await b.recv(), "event") == "phx_close"
            system = await a.recv_until(lambda f: field(f, "event") == "system")
            assert field(system, "payload")["message"] == "Too many messages per second"
        async with httpx.AsyncClient() as http:
            r = await http.post(
                server.rest_url, json={"messages": []}, headers={"apikey": server.anon_key}
            )
            assert (r.status_code, r.json()) == (
                429,
                {"message": "You have exceeded your rate limit"},
            )
            assert r.headers["x-rate-limit"] == "3"


async def test_idle_socket_is_closed() -> None:
    async with RealtimeServer(ServerConfig(port=0, idle_timeout_s=0.3)) as server:
        url = url_for(server)
        async with connect(url) as ws:
            await asyncio.wait_for(ws.wait_closed(), TIMEOUT)
            assert ws.close_code == 1000
            assert ws.close_reason == "idle timeout"


async def test_slow_consumer_is_dropped_and_others_keep_receiving() -> None:
    config = ServerConfig(port=0, max_write_buffer_bytes=64 * 1024, frame_log_size=0)
    async with RealtimeServer(config) as server:
        url = f"{server.ws_url}?apikey={server.anon_key}&vsn=2.0.0"
        async with (
            connect(url, max_queue=1, close_timeout=0.2) as slow_ws,
            connect(url, max_size=None) as fast_ws,
        ):
            slow, fast = Client(slow_ws, "2.0.0"), Client(fast_ws, "2.0.0")
            await slow.join("firehose")
            await fast.join("firehose")
            mark = server.events.mark()
            blob = "x" * 200_000
            dropped = False
            for i in range(400):  # up to 80 MB; the kernel buffers fill long before
                server.publish("firehose", "blob", {"i": i, "blob": blob})
                got = await fast.recv()  # the fast one keeps up
                assert field(got, "payload")["payload"]["i"] == i
                if len(server.sockets) < 2:
                    dropped = True
                    break
            assert dropped
            closed = await server.events.wait_for(
                lambda r: isinstance(r.event, SocketClosed), after=mark
            )
            assert closed.socket_id != server.sockets[0].id
            assert await fast.barrier() == []


async def test_random_frames_never_break_the_server(server: RealtimeServer, connect_client) -> None:
    """A seeded storm of odd but well-formed frames: no handler error, the socket still works."""
    rng = random.Random(1234)
    values = [None, True, 0, -1, 1.5, "", "x", "sb_x", [], [1], {}, {"a": None}, "🎉" * 3]

    def value(depth: int = 0) -> object:
        if depth < 3 and rng.random() < 0.3:
            keys = ["event", "payload", "type", "key", "config", "access_token"]
            return {rng.choice(keys): value(depth + 1) for _ in range(rng.randint(0, 3))}
        return rng.choice(values)

    events = [
        "phx_join",
        "phx_leave",
        "broadcast",
        "presence",
        "presence",
        "access_token",
        "heartbeat",
        "x",
    ]
    topics = [
        "realtime:f1",
        "realtime:f2",
        "realtime:f1",
        "realtime:f2",
        "realtime:",
        "phoenix",
        "other",
    ]
    server.config.presence_max_calls = 10_000  # keep channels open so presence paths run
    mark = server.events.mark()
    for vsn in ("2.0.0", "1.0.0"):
        c = await connect_client(vsn)
        current: dict[str, str] = {}
        for i in range(400):
            event, topic, ref = rng.choice(events), rng.choice(topics), str(i)
            payload = value()
            join_ref = current.get(topic) if rng.random() < 0.8 else rng.choice([None, "stale"])
            if event in ("broadcast", "presence") and rng.random() < 0.7:
                payload = {
                    "event": rng.choice(["track", "untrack", "TRACK", "x", 5, None]),
                    "payload": value(),
                }
            if event == "phx_join":
                join_ref = current[topic] = ref
                if rng.random() < 0.7:
                    config = {
                        "broadcast": value(),
                        "presence": value(),
                        "private": rng.random() < 0.1,
                        # entries other than objects and null make the real server's join
                        # raise (crashes.py, tested in test_server_hostile.py); keep joins
                        # succeeding here so the storm reaches every handler
                        "postgres_changes": [rng.choice([{}, {"event": "*"}]), None],
                    }
                    payload = {
                        "config": config,
                        "access_token": rng.choice([None, "bad", server.anon_key, 7]),
                    }
            await c.send(join_ref, ref, topic, event, payload)
        assert isinstance(await c.barrier(), list)
        assert field(await c.join("after-the-storm"), "payload")["status"] == "ok"
    assert [r for r in server.events.items(mark) if isinstance(r.event, HandlerError)] == []
    counts = collections.Counter(type(r.event).__name__ for r in server.events.items(mark))
    for kind in (
        "BroadcastPushed",
        "PresencePushed",
        "AccessTokenPushed",
        "LeaveRequested",
        "ChannelJoined",
    ):
        assert counts[kind] >= 10, counts
