"""§13 scenarios 9-12, 14 and 15 against the official clients: REST, heartbeats, join errors,
token expiry, server closes, stale join_refs.

Long client timers are shortened so the suite stays fast: realtime-js ``heartbeatIntervalMs``
500 ms (default 25 s) for scenario 10. realtime-py cannot go below a 15 s heartbeat; it sends its
first one right after connecting, which is what scenario 10 checks for it. Rejoin and reconnect
delays (1 s) are the clients' own and are not shortened.
"""

from __future__ import annotations

import pytest
from interop_helpers import joined_socket, js_client, messages, py_client, subscribe, user_token
from peers import PeerPool

from inspector.protocol.frames import Message
from inspector.protocol.server_events import AccessTokenPushed, JoinRequested
from inspector.server import CURRENT, RealtimeServer
from inspector.server.notes import ChannelJoined, RestBroadcast, SocketClosed, SocketOpened

UNAUTHORIZED = "Unauthorized: You do not have permissions to read from this Channel topic: room-1"


def _joins(server: RealtimeServer, topic: str, after: int) -> list[int | None]:
    return [
        r.socket_id
        for r in server.events.items(after)
        if isinstance(r.event, JoinRequested) and r.event.topic == topic
    ]


async def _second_join(server: RealtimeServer, topic: str, after: int) -> None:
    """Wait (10 s at most) until ``topic`` was joined twice after the events cursor."""
    await server.events.wait_for(
        lambda r: len(_joins(server, topic, after)) >= 2 and isinstance(r.event, JoinRequested),
        after=after,
        timeout=10,
    )


async def test_09_rest_fallback_and_http_send(server: RealtimeServer, peers: PeerPool) -> None:
    js = await js_client(peers, server, "sub")
    await subscribe(js, server, "s", "room-1", client="sub", listen={"broadcast": ["*"]})
    py = await py_client(peers, server)
    await subscribe(py, server, "p", "room-1", listen={"broadcast": ["*"]})
    await js_client(js, server, "rest")
    await js.call("channel", id="r", client="rest", name="room-1", listen={})  # never subscribed
    mark = server.events.mark()
    assert await js.call("send", channel="r", event="ev", payload={"a": 1}) == "ok"
    note = (
        await server.events.wait_for(lambda r: isinstance(r.event, RestBroadcast), after=mark)
    ).event
    assert (note.path, note.query_keys, note.status) == (
        "/realtime/v1/api/broadcast",
        ("apikey", "vsn"),
        202,
    )
    assert await js.call("httpSend", channel="r", event="ev2", payload={"b": 2}) == {
        "success": True
    }
    note = (
        await server.events.wait_for(
            lambda r: isinstance(r.event, RestBroadcast) and r.event.path.endswith("/events/ev2"),
            after=mark,
        )
    ).event
    assert (note.path, note.status) == ("/realtime/v1/api/broadcast/room-1/events/ev2", 202)
    for peer, channel in ((js, "s"), (py, "p")):
        first = await peer.expect(ev="broadcast", channel=channel)
        second = await peer.expect(ev="broadcast", channel=channel)
        assert first["payload"]["event"] == "ev"
        assert first["payload"]["payload"] == {"a": 1}
        assert second["payload"]["event"] == "ev2"
        assert second["payload"]["payload"] == {"b": 2}
    # A bad key: httpSend rejects with the server's message; the fallback resolves "error".
    await js_client(js, server, "bad", key="not-a-valid-key")
    await js.call("channel", id="b", client="bad", name="room-1", listen={})
    assert await js.call("httpSend", channel="b", event="x", payload={}) == {
        "rejected": "Unauthorized"
    }
    assert await js.call("send", channel="b", event="x", payload={}) == "error"
    # realtime-py's http_send: 202 gives None; a bad key raises with the status.
    assert await py.call("httpSend", channel="p", event="py", payload={"c": 3}) is None
    assert (await js.expect(ev="broadcast", channel="s"))["payload"]["payload"] == {"c": 3}
    await py_client(py, server, "bad", key=server.anon_key)
    await py.call("channel", id="pb", client="bad", name="room-1")
    await py.call("setAuth", client="bad", token="not-a-valid-key")
    assert await py.call("httpSend", channel="pb", event="x", payload={}) == {
        "rejected": "Unauthorized",
        "status": 401,
    }


async def test_10_heartbeat(server: RealtimeServer, peers: PeerPool) -> None:
    fmark, emark = server.frames.mark(), server.events.mark()
    js = await js_client(peers, server, heartbeatIntervalMs=500)
    await subscribe(js, server, "a", "room-1", listen={"broadcast": ["*"]})
    sid = await joined_socket(server, "room-1", emark)
    await js.expect(ev="heartbeat", status="ok")
    (hb,) = messages(server, sid, "in", fmark, "heartbeat")[:1]
    assert (hb.join_ref, hb.topic, hb.payload) == (None, "phoenix", {})
    assert isinstance(hb.ref, str)
    replies = [m for m in messages(server, sid, "out", fmark, "phx_reply") if m.ref == hb.ref]
    assert replies == [
        Message(None, hb.ref, "phoenix", "phx_reply", {"status": "ok", "response": {}})
    ]
    # Suppressed replies: the client times out, closes with 1000 "heartbeat timeout", reconnects
    # and rejoins.
    emark = server.events.mark()
    server.faults.mute_heartbeat_replies = True
    await js.expect(ev="heartbeat", status="timeout")
    closed = await server.events.wait_for(
        lambda r: isinstance(r.event, SocketClosed) and r.socket_id == sid, after=emark
    )
    assert (closed.event.code, closed.event.reason) == (1000, "heartbeat timeout")  # type: ignore[attr-defined]
    server.faults.mute_heartbeat_replies = False
    status = await js.expect(ev="status", channel="a", status="CHANNEL_ERROR")
    assert status["error"] == "heartbeat timeout"
    new_sid = await joined_socket(server, "room-1", emark)
    assert new_sid != sid
    await js.expect(ev="status", channel="a", status="SUBSCRIBED")

    # realtime-py sends its first heartbeat at once, with ref null, and gets ref null back.
    fmark, emark = server.frames.mark(), server.events.mark()
    await py_client(peers, server)
    opened = await server.events.wait_for(lambda r: isinstance(r.event, SocketOpened), after=emark)
    assert opened.socket_id is not None
    reply = await server.frames.wait_for(
        lambda r: r.socket_id == opened.socket_id and r.direction == "out", after=fmark
    )
    (hb,) = messages(server, opened.socket_id, "in", fmark, "heartbeat")
    assert hb.ref is None
    assert reply.decoded() == Message(
        None, None, "phoenix", "phx_reply", {"status": "ok", "response": {}}
    )
    assert '"ref":null' in reply.data  # type: ignore[operator]


@pytest.mark.expect_peer_errors(r"join push error .*Unauthorized", kind="py")
async def test_11_join_error_and_rejoin(server: RealtimeServer, peers: PeerPool) -> None:
    """A private channel the rules do not grant: exact reason, then the clients rejoin 1 s later."""
    emark = server.events.mark()
    js = await js_client(peers, server)
    await subscribe(js, server, "a", "room-1", config={"private": True}, status="CHANNEL_ERROR")
    first = await js.expect(ev="status", channel="a", status="CHANNEL_ERROR")
    assert first["error"] == UNAUTHORIZED
    await _second_join(server, "realtime:room-1", emark)
    joins = _joins(server, "realtime:room-1", emark)
    assert joins[0] == joins[1]  # the same socket rejoined
    await js.call("unsubscribe", channel="a")

    emark = server.events.mark()
    py = await py_client(peers, server)
    await subscribe(py, server, "p", "room-1", config={"private": True}, status="CHANNEL_ERROR")
    status = py.seen(ev="status", channel="p", status="CHANNEL_ERROR")[0]
    assert status["error"] == '{"reason": "' + UNAUTHORIZED + '"}'
    await _second_join(server, "realtime:room-1", emark)


async def test_12_token_expiry(server: RealtimeServer, peers: PeerPool) -> None:
    js = await js_client(peers, server)
    # Valid for 4 to 5 s: the join is never refused for it on a loaded machine.
    short = user_token(server, "authenticated", exp_in=5)
    await js.call("setAuth", client="c", token=short)
    await subscribe(js, server, "a", "room-1", listen={"system": True})
    system = await js.expect(ev="system", channel="a", timeout=30)
    payload = system["payload"]
    assert (payload["extension"], payload["status"], payload["channel"]) == (
        "system",
        "error",
        "room-1",
    )
    assert payload["message"].startswith("Token has expired ")
    assert payload["message"].endswith(" seconds ago")
    await js.expect(ev="status", channel="a", status="CLOSED")
    assert await js.call("state", channel="a", client="c") == {"state": "closed", "listed": False}

    # Refreshes that are ignored, then an empty one that closes.
    good = user_token(server, "authenticated")
    await js.call("setAuth", client="c", token=good)
    emark = server.events.mark()
    await subscribe(js, server, "b", "room-2", listen={"system": True})
    sid = await joined_socket(server, "room-2", emark)
    fmark = server.frames.mark()
    for value in (good, None, "sb_publishable_abc"):
        await js.call("push", channel="b", event="access_token", payload={"access_token": value})
    pushes = [r for r in server.events.items(emark) if isinstance(r.event, AccessTokenPushed)]
    while len(pushes) < 3:
        await server.events.wait_for(lambda r: isinstance(r.event, AccessTokenPushed), after=emark)
        pushes = [r for r in server.events.items(emark) if isinstance(r.event, AccessTokenPushed)]
    assert messages(server, sid, "out", fmark) == []  # never a reply, no effect
    assert "realtime:room-2" in server.topics(sid)
    await js.call("push", channel="b", event="access_token", payload={"access_token": ""})
    system = await js.expect(ev="system", channel="b")
    assert system["payload"]["message"] == "The token provided is not a valid JWT"
    await js.expect(ev="status", channel="b", status="CLOSED")


async def test_14_server_closes(server: RealtimeServer, peers: PeerPool) -> None:
    js = await js_client(peers, server)
    await subscribe(js, server, "a", "room-1")
    py = await py_client(peers, server)
    await subscribe(py, server, "p", "room-1")
    emark = server.events.mark()
    await server.close_all(1001, "going away")
    status = await js.expect(ev="status", channel="a", status="CHANNEL_ERROR")
    assert status["error"] == "socket closed: 1001 (going away)"
    await js.expect(ev="status", channel="a", status="SUBSCRIBED")
    await py.expect(ev="status", channel="p", status="CHANNEL_ERROR")
    joined = [r.event for r in server.events.items(emark) if isinstance(r.event, ChannelJoined)]
    while len(joined) < 2:
        await server.events.wait_for(lambda r: isinstance(r.event, ChannelJoined), after=emark)
        joined = [r.event for r in server.events.items(emark) if isinstance(r.event, ChannelJoined)]
    assert {j.topic for j in joined} == {"realtime:room-1"}
    assert len({j.socket_id for j in joined}) == 2  # both reconnected on new sockets


async def test_15_stale_join_ref_and_unmatched_topic(
    server: RealtimeServer, peers: PeerPool
) -> None:
    emark = server.events.mark()
    js = await js_client(peers, server)
    await subscribe(js, server, "a", "room-1", listen={"broadcast": ["*"]})
    sid = await joined_socket(server, "room-1", emark)
    old = server.socket(sid).conn.channels["realtime:room-1"].join_ref
    # Crash the channel: realtime-js rejoins with a new join_ref, so the old one is stale.
    emark = server.events.mark()
    assert server.error_channel("realtime:room-1") == 1
    await js.expect(ev="status", channel="a", status="SUBSCRIBED")
    await joined_socket(server, "room-1", emark)
    new = server.socket(sid).conn.channels["realtime:room-1"].join_ref
    assert new != old

    def msg(event: str) -> dict[str, object]:
        return {"type": "broadcast", "event": event, "payload": {}}

    assert server.inject("realtime:room-1", msg("stale"), join_ref=old) == 1
    assert server.inject("realtime:room-1", msg("null"), join_ref=None) == 1
    assert server.inject("realtime:room-1", msg("current"), join_ref=CURRENT) == 1
    await js.expect(lambda e: e["payload"]["event"] == "current", ev="broadcast", channel="a")
    assert [e["payload"]["event"] for e in js.seen(ev="broadcast", channel="a")] == [
        "null",
        "current",
    ]

    fmark = server.frames.mark()
    await js.call(
        "socketPush", client="c", topic="realtime:never", event="broadcast", payload={}, ref="u1"
    )
    reply = await server.frames.wait_for(
        lambda r: r.socket_id == sid and r.direction == "out", after=fmark
    )
    assert reply.decoded() == Message(
        None,
        "u1",
        "realtime:never",
        "phx_reply",
        {"status": "error", "response": {"reason": "unmatched topic"}},
    )
