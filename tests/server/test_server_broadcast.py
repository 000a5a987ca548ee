"""Broadcast over the websocket: self, ack, formats per receiver, isolation, limits (§2.5, §5)."""

from __future__ import annotations

import json

from server_helpers import field, token

from inspector.protocol.frames import UserBroadcast, UserBroadcastPush
from inspector.protocol.serializer import Role, decode, encode_binary
from inspector.server import RealtimeServer, Rules, ServerConfig
from inspector.server.rules import Rule

OK = {"status": "ok", "response": {}}


def kind3(
    topic: str,
    event: str,
    payload: bytes,
    encoding: int = 1,
    join_ref: str = "1",
    ref: str = "2",
    meta: bytes = b"",
) -> bytes:
    return encode_binary(UserBroadcastPush(join_ref, ref, topic, event, meta, encoding, payload))


async def test_self_false_skips_the_sender(connect_client) -> None:
    a, b = await connect_client(), await connect_client()
    await a.join("room-1")
    await b.join("room-1")
    await a.broadcast("room-1", "test", {"x": 1})
    assert await a.barrier() == []  # no ack without ack:true, no echo with self:false
    assert await b.recv() == [
        None,
        None,
        "realtime:room-1",
        "broadcast",
        {"type": "broadcast", "event": "test", "payload": {"x": 1}},
    ]


async def test_self_true_echoes_once(connect_client) -> None:
    a, b = await connect_client(), await connect_client()
    await a.join("room-1", {"broadcast": {"self": True}})
    await b.join("room-1")
    await a.broadcast("room-1", "test", {"x": 1})
    got_a = await a.barrier()
    got_b = await b.barrier()
    assert len(got_a) == 1
    assert len(got_b) == 1
    assert got_a == got_b


async def test_ack_only_when_asked(connect_client) -> None:
    a = await connect_client()
    await a.join("acked", {"broadcast": {"ack": True}})
    ref = await a.broadcast("acked", "e", {})
    assert await a.recv() == [a.join_refs["realtime:acked"], ref, "realtime:acked", "phx_reply", OK]
    await a.join("quiet", {"broadcast": {"ack": False}})
    await a.broadcast("quiet", "e", {})
    assert await a.barrier() == []


async def test_muted_acks(server: RealtimeServer, connect_client) -> None:
    server.faults.mute_acks = True
    a = await connect_client()
    await a.join("acked", {"broadcast": {"ack": True}})
    await a.broadcast("acked", "e", {})
    assert await a.barrier() == []


async def test_kind3_becomes_kind4_for_v2_and_converted_json_for_v1(connect_client) -> None:
    a, v2, v1 = await connect_client(), await connect_client(), await connect_client("1.0.0")
    for c in (a, v2, v1):
        await c.join("room-1")
    jr = a.join_refs["realtime:room-1"]
    await a.ws.send(
        kind3("realtime:room-1", "ping", b'{"n":1}', join_ref=jr, meta=b'{"persist":true}')
    )
    frame = await v2.recv()
    assert isinstance(frame, bytes)
    # kind 4, encoding 1, metadata dropped (§2.3)
    assert decode(frame, "2.0.0", Role.CLIENT) == UserBroadcast(
        "realtime:room-1", "ping", b"", 1, b'{"n":1}'
    )
    assert await v1.recv() == {
        "topic": "realtime:room-1",
        "event": "broadcast",
        "payload": {"event": "ping", "payload": {"n": 1}, "type": "broadcast"},
        "ref": None,
    }


async def test_raw_binary_never_reaches_v1(connect_client) -> None:
    a, v2, v1 = await connect_client(), await connect_client(), await connect_client("1.0.0")
    for c in (a, v2, v1):
        await c.join("bin")
    await a.ws.send(
        kind3("realtime:bin", "blob", b"\xde\xad", encoding=0, join_ref=a.join_refs["realtime:bin"])
    )
    frame = await v2.recv()
    assert decode(frame, "2.0.0", Role.CLIENT) == UserBroadcast(
        "realtime:bin", "blob", b"", 0, b"\xde\xad"
    )
    assert await v1.barrier() == []


async def test_v1_sender_reaches_v2_as_text(connect_client) -> None:
    p, a = await connect_client("1.0.0"), await connect_client()
    await p.join("mixed")
    await a.join("mixed")
    await p.broadcast("mixed", "test", {"y": 2})
    assert await a.recv() == [
        None,
        None,
        "realtime:mixed",
        "broadcast",
        {"type": "broadcast", "event": "test", "payload": {"y": 2}},
    ]


async def test_extra_keys_of_a_json_push_are_kept(connect_client) -> None:
    a, b = await connect_client(), await connect_client()
    await a.join("k")
    await b.join("k")
    payload = {"type": "broadcast", "event": "e", "payload": {"a": [1, 2]}, "extra": "kept"}
    await a.push("k", "broadcast", payload)
    assert field(await b.recv(), "payload") == payload


async def test_unicode_topic_and_payload(connect_client) -> None:
    a, b, p = await connect_client(), await connect_client(), await connect_client("1.0.0")
    name = "salon-café-🎉"
    for c in (a, b, p):
        await c.join(name)
    await a.broadcast(name, "üñí", {"text": "héllo 世界 🎉"})
    assert await b.recv() == [
        None,
        None,
        "realtime:" + name,
        "broadcast",
        {"type": "broadcast", "event": "üñí", "payload": {"text": "héllo 世界 🎉"}},
    ]
    assert field(await p.recv(), "topic") == "realtime:" + name
    await a.ws.send(
        kind3(
            "realtime:" + name,
            "ü",
            "ñ".encode(),
            encoding=0,
            join_ref=a.join_refs["realtime:" + name],
        )
    )
    frame = decode(await b.recv(), "2.0.0", Role.CLIENT)
    assert isinstance(frame, UserBroadcast)
    assert frame.topic == "realtime:" + name


async def test_public_and_private_are_isolated(server: RealtimeServer, connect_client) -> None:
    pub = await connect_client()
    priv = await connect_client(apikey=server.service_role_key)
    await pub.join("room-1")
    await priv.join("room-1", {"private": True})
    await pub.broadcast("room-1", "a", {})
    await priv.broadcast("room-1", "b", {})
    assert await pub.barrier() == []
    assert await priv.barrier() == []


async def test_stale_join_ref_push_is_ignored(server: RealtimeServer, connect_client) -> None:
    a, b = await connect_client(), await connect_client()
    await a.join("s")
    await b.join("s")
    await a.send(
        "999", "5", "realtime:s", "broadcast", {"type": "broadcast", "event": "e", "payload": {}}
    )
    await a.send(
        None,
        "6",
        "realtime:s",
        "broadcast",
        {"type": "broadcast", "event": "e", "payload": {"n": 1}},
    )
    assert await a.barrier() == []
    got = await b.barrier()
    assert [field(f, "payload")["payload"] for f in got] == [{"n": 1}]  # null join_ref accepted


async def test_payload_size_limit() -> None:
    """§10: over the limit, ack error "payload_size_exceeded"; without ack dropped silently."""
    from server_helpers import Client
    from websockets.asyncio.client import connect

    async with RealtimeServer(ServerConfig(port=0, max_payload_kb=1)) as server:
        url = f"{server.ws_url}?apikey={server.anon_key}&vsn=2.0.0"
        async with connect(url) as wa, connect(url) as wb:
            a, b = Client(wa, "2.0.0"), Client(wb, "2.0.0")
            await a.join("big", {"broadcast": {"ack": True}})
            await b.join("big")
            ref = await a.broadcast("big", "e", {"blob": "x" * 1600})
            assert await a.recv() == [
                a.join_refs["realtime:big"],
                ref,
                "realtime:big",
                "phx_reply",
                {"status": "error", "response": "payload_size_exceeded"},
            ]
            await b.broadcast("big", "e", {"blob": "x" * 1600})
            assert await b.barrier() == []
            assert await a.barrier() == []
            ref = await a.broadcast("big", "e", {"blob": "x" * 100})
            assert await a.recv() == [
                a.join_refs["realtime:big"],
                ref,
                "realtime:big",
                "phx_reply",
                OK,
            ]
            assert len(await b.barrier()) == 1


async def test_private_write_denied_is_dropped_silently_even_with_ack() -> None:
    rules = Rules([Rule(("room-*",), ("authenticated",), frozenset({"read"}))])
    async with RealtimeServer(ServerConfig(port=0, rules=rules)) as server:
        from server_helpers import Client
        from websockets.asyncio.client import connect

        user = token(server, "authenticated")
        url = f"{server.ws_url}?apikey={server.anon_key}&vsn=2.0.0"
        async with connect(url) as wa, connect(url) as wb:
            a, b = Client(wa, "2.0.0"), Client(wb, "2.0.0")
            assert (
                field(
                    await a.join(
                        "room-1", {"private": True, "broadcast": {"ack": True}}, access_token=user
                    ),
                    "payload",
                )["status"]
                == "ok"
            )
            assert (
                field(
                    await b.join("room-1", {"private": True}, access_token=server.service_role_key),
                    "payload",
                )["status"]
                == "ok"
            )
            await a.broadcast("room-1", "e", {})
            assert await a.barrier() == []  # no ack, no fan-out
            assert await b.barrier() == []
            await b.broadcast("room-1", "e", {"from": "service"})  # a may read
            assert len(await a.barrier()) == 1


async def test_dropped_broadcasts_fault(server: RealtimeServer, connect_client) -> None:
    server.faults.drop_broadcasts = True
    a, b = await connect_client(), await connect_client()
    await a.join("d")
    await b.join("d")
    await a.broadcast("d", "e", {})
    assert await b.barrier() == []


async def test_frames_are_recorded(server: RealtimeServer, connect_client) -> None:
    a = await connect_client()
    mark = server.frames.mark()
    await a.join("rec")
    rec = await server.frames.wait_for(lambda r: r.direction == "out", after=mark)
    assert json.loads(rec.data)[3] == "phx_reply"
    assert "bytes" in repr(rec)
    assert "phx" not in repr(rec)
