"""§13 scenarios 1-8 against the official clients: connect, join, broadcast, ack, formats.

Each scenario checks both the client's API results (what the peer reports) and the frames the
server captured on the wire (``server.frames``).
"""

from __future__ import annotations

import pytest
from interop_helpers import frames, joined_socket, js_client, messages, opened, py_client, subscribe
from peers import PeerPool
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from inspector.protocol.frames import Message, UserBroadcast, UserBroadcastPush
from inspector.server import RealtimeServer
from inspector.server.notes import fingerprint

DEFAULT_CONFIG = {
    "broadcast": {"ack": False, "self": False},
    "presence": {"key": "", "enabled": False},
    "postgres_changes": [],
    "private": False,
}


async def test_01_connect_url_and_vsn(server: RealtimeServer, peers: PeerPool) -> None:
    """JS opens …/websocket?apikey=K&vsn=2.0.0, PY …?apikey=K&vsn=1.0.0; vsn=3.0.0 gets 403."""
    mark = server.events.mark()
    js = await js_client(peers, server)
    await subscribe(js, server, "a", "room-1")
    js_open = await opened(server, mark)
    assert js_open.path == "/realtime/v1/websocket"
    assert js_open.query_keys == ("apikey", "vsn")
    assert js_open.vsn_param == "2.0.0"
    assert js_open.apikey_fingerprint == fingerprint(server.anon_key)

    mark = server.events.mark()
    await py_client(peers, server)
    py_open = await opened(server, mark)
    assert (py_open.path, py_open.query_keys, py_open.vsn_param) == (
        "/realtime/v1/websocket",
        ("apikey", "vsn"),
        "1.0.0",
    )
    assert py_open.apikey_fingerprint == fingerprint(server.anon_key)

    # realtime-js in v1 mode is accepted too
    mark = server.events.mark()
    await js_client(js, server, "v1", vsn="1.0.0")
    await subscribe(js, server, "b", "room-1", client="v1")
    assert (await opened(server, mark)).vsn == "1.0.0"

    with pytest.raises(InvalidStatus) as info:
        async with connect(f"{server.ws_url}?apikey={server.anon_key}&vsn=3.0.0"):
            pass
    assert (info.value.response.status_code, info.value.response.body) == (403, b"")


async def test_02_join_defaults(server: RealtimeServer, peers: PeerPool) -> None:
    fmark, emark = server.frames.mark(), server.events.mark()
    js = await js_client(peers, server)
    await subscribe(js, server, "a", "room-1")
    sid = await joined_socket(server, "room-1", emark)
    (join,) = messages(server, sid, "in", fmark, "phx_join")
    assert join.topic == "realtime:room-1"
    assert join.ref == join.join_ref
    assert join.payload["config"] == DEFAULT_CONFIG
    (reply,) = messages(server, sid, "out", fmark, "phx_reply")
    assert reply == Message(
        join.ref,
        join.ref,
        "realtime:room-1",
        "phx_reply",
        {"status": "ok", "response": {"postgres_changes": []}},
    )


async def _pair(
    server: RealtimeServer, peers: PeerPool, a_config: dict, b_config: dict | None = None
):
    js = await js_client(peers, server, "ca")
    await js_client(js, server, "cb")
    emark = server.events.mark()
    await subscribe(
        js, server, "a", "room-1", client="ca", config=a_config, listen={"broadcast": ["*"]}
    )
    sid_a = await joined_socket(server, "room-1", emark)
    emark = server.events.mark()
    await subscribe(
        js,
        server,
        "b",
        "room-1",
        client="cb",
        config=b_config or {},
        listen={"broadcast": ["test", "after"]},
    )
    sid_b = await joined_socket(server, "room-1", emark)
    return js, sid_a, sid_b


async def test_03_broadcast_to_others_only(server: RealtimeServer, peers: PeerPool) -> None:
    js, sid_a, sid_b = await _pair(server, peers, {"broadcast": {"self": False}})
    fmark = server.frames.mark()
    assert await js.call("send", channel="a", event="test", payload={"x": 1}) == "ok"
    got = await js.expect(ev="broadcast", channel="b")
    assert got["payload"] == {"type": "broadcast", "event": "test", "payload": {"x": 1}}
    (push,) = frames(server, sid_a, "in", fmark)
    assert isinstance(push, UserBroadcastPush)  # binary kind 3, encoding 1
    assert (push.encoding, push.user_event, push.json_payload()) == (1, "test", {"x": 1})
    assert frames(server, sid_b, "out", fmark) == [
        UserBroadcast("realtime:room-1", "test", b"", 1, b'{"x":1}')
    ]
    assert (
        frames(server, sid_a, "out", fmark) == []
    )  # no echo, and no reply: send() said ok at once
    # A hears B's later message and nothing before it.
    await js.call("send", channel="b", event="after", payload={})
    await js.expect(ev="broadcast", channel="a", predicate=None)
    assert [e["payload"]["event"] for e in js.seen(ev="broadcast", channel="a")] == ["after"]


async def test_04_self(server: RealtimeServer, peers: PeerPool) -> None:
    js, _sid_a, _sid_b = await _pair(server, peers, {"broadcast": {"self": True}})
    await js.call("send", channel="a", event="test", payload={"x": 1})
    mine = await js.expect(ev="broadcast", channel="a")
    assert mine["payload"] == {"type": "broadcast", "event": "test", "payload": {"x": 1}}
    await js.expect(ev="broadcast", channel="b")
    await js.call("send", channel="a", event="after", payload={})
    await js.expect(lambda e: e["payload"]["event"] == "after", ev="broadcast", channel="b")
    assert [e["payload"]["event"] for e in js.seen(ev="broadcast", channel="b")] == [
        "test",
        "after",
    ]


async def test_05_ack(server: RealtimeServer, peers: PeerPool) -> None:
    """send() waits for the ack; muted, it times out (timeout shortened to 500 ms from 10 s)."""
    js, sid_a, _ = await _pair(server, peers, {"broadcast": {"ack": True}})
    fmark = server.frames.mark()
    assert await js.call("send", channel="a", event="test", payload={"n": 1}) == "ok"
    (push,) = frames(server, sid_a, "in", fmark)
    assert isinstance(push, UserBroadcastPush)
    assert messages(server, sid_a, "out", fmark) == [
        Message(
            push.join_ref,
            push.ref,
            "realtime:room-1",
            "phx_reply",
            {"status": "ok", "response": {}},
        )
    ]
    server.faults.mute_acks = True
    assert (
        await js.call("send", channel="a", event="test", payload={"n": 2}, timeout=500)
        == "timed out"
    )
    server.faults.mute_acks = False
    # With ack false (channel b) there is no reply frame at all.
    js_b_sid = next(s.id for s in server.sockets if s.id != sid_a)
    fmark = server.frames.mark()
    assert await js.call("send", channel="b", event="test", payload={"n": 3}) == "ok"
    await js.expect(lambda e: e["payload"]["payload"] == {"n": 3}, ev="broadcast", channel="a")
    assert messages(server, js_b_sid, "out", fmark, "phx_reply") == []


async def test_06_mixed_versions(server: RealtimeServer, peers: PeerPool) -> None:
    js = await js_client(peers, server)
    await subscribe(js, server, "a", "room-1", listen={"broadcast": ["*"]})
    emark = server.events.mark()
    py = await py_client(peers, server)
    await subscribe(py, server, "p", "room-1", listen={"broadcast": ["test", "after"]})
    sid_p = await joined_socket(server, "room-1", emark)
    fmark = server.frames.mark()
    await js.call("send", channel="a", event="test", payload={"x": 1})
    got = await py.expect(ev="broadcast", channel="p")
    assert got["payload"] == {"event": "test", "payload": {"x": 1}}  # pydantic drops "type"
    (to_p,) = messages(server, sid_p, "out", fmark)
    assert to_p == Message(
        None,
        None,
        "realtime:room-1",
        "broadcast",
        {"event": "test", "payload": {"x": 1}, "type": "broadcast"},
    )
    await py.call("send", channel="p", event="test", payload={"y": 2})
    got = await js.expect(ev="broadcast", channel="a")
    assert got["payload"] == {"type": "broadcast", "event": "test", "payload": {"y": 2}}
    # A raw binary message never reaches the v1 client; a later JSON one does.
    fmark = server.frames.mark()
    await js.call("send", channel="a", event="test", payload={"__bytes__": [1, 2]})
    await js.call("send", channel="a", event="after", payload={"z": 3})
    await py.expect(lambda e: e["payload"]["event"] == "after", ev="broadcast", channel="p")
    assert [e["payload"]["event"] for e in py.seen(ev="broadcast", channel="p")] == [
        "test",
        "after",
    ]
    assert [m.payload["event"] for m in messages(server, sid_p, "out", fmark)] == ["after"]


async def test_07_binary_round_trip(server: RealtimeServer, peers: PeerPool) -> None:
    js, _sid_a, sid_b = await _pair(server, peers, {})
    fmark = server.frames.mark()
    await js.call("send", channel="a", event="test", payload={"__bytes__": [1, 2, 3]})
    got = await js.expect(ev="broadcast", channel="b")
    assert got["payload"]["payload"] == {"__bytes__": [1, 2, 3]}  # an ArrayBuffer of length 3
    assert frames(server, sid_b, "out", fmark) == [
        UserBroadcast("realtime:room-1", "test", b"", 0, b"\x01\x02\x03")
    ]
    await js.call("send", channel="a", event="test", payload={"__uint8__": [1, 2, 3]})
    got = await js.expect(ev="broadcast", channel="b")
    assert got["payload"]["payload"] == {"0": 1, "1": 2, "2": 3}  # the Uint8Array pitfall (§2.4)


async def test_08_public_private_isolation(server: RealtimeServer, peers: PeerPool) -> None:
    js = await js_client(peers, server, "pub")
    await js_client(js, server, "priv", key=server.service_role_key)
    both = {"broadcast": {"self": True}}
    await subscribe(
        js, server, "a", "room-1", client="pub", config=both, listen={"broadcast": ["*"]}
    )
    await subscribe(
        js,
        server,
        "b",
        "room-1",
        client="priv",
        config={**both, "private": True},
        listen={"broadcast": ["*"]},
    )
    await js.call("send", channel="a", event="from-public", payload={})
    await js.call("send", channel="b", event="from-private", payload={})
    await js.expect(ev="broadcast", channel="a")
    await js.expect(ev="broadcast", channel="b")
    await js.call("send", channel="a", event="end", payload={})
    await js.call("send", channel="b", event="end", payload={})
    await js.expect(lambda e: e["payload"]["event"] == "end", ev="broadcast", channel="a")
    await js.expect(lambda e: e["payload"]["event"] == "end", ev="broadcast", channel="b")
    assert [e["payload"]["event"] for e in js.seen(ev="broadcast", channel="a")] == [
        "from-public",
        "end",
    ]
    assert [e["payload"]["event"] for e in js.seen(ev="broadcast", channel="b")] == [
        "from-private",
        "end",
    ]
