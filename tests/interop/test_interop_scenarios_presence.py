"""§13 scenario 13: presence with realtime-js, and realtime-py seeing the same roster."""

from __future__ import annotations

from interop_helpers import joined_socket, js_client, messages, py_client, subscribe
from peers import PeerPool

from inspector.server import RealtimeServer


async def test_13_presence(server: RealtimeServer, peers: PeerPool) -> None:
    js = await js_client(peers, server, "ca")
    await js_client(js, server, "cb")
    fmark, emark = server.frames.mark(), server.events.mark()
    listen = {"presence": True, "system": True}
    await subscribe(
        js, server, "a", "room-1", client="ca", config={"presence": {"key": "a"}}, listen=listen
    )
    sid_a = await joined_socket(server, "room-1", emark)
    emark = server.events.mark()
    await subscribe(
        js, server, "b", "room-1", client="cb", config={"presence": {"key": "b"}}, listen=listen
    )
    sid_b = await joined_socket(server, "room-1", emark)
    # Both got presence_state after the join (and a sync).
    for sid in (sid_a, sid_b):
        assert [m.event for m in messages(server, sid, "out", fmark)][:2] == [
            "phx_reply",
            "presence_state",
        ]
    await js.expect(ev="presence", channel="a", kind="sync")
    await js.expect(ev="presence", channel="b", kind="sync")

    fmark = server.frames.mark()
    assert await js.call("track", channel="a", meta={"online": True}) == "ok"
    joined = await js.expect(ev="presence", channel="b", kind="join", key="a")
    assert [{k: v for k, v in p.items() if k != "presence_ref"} for p in joined["presences"]] == [
        {"online": True}
    ]
    for sid in (sid_a, sid_b):
        (diff,) = messages(server, sid, "out", fmark, "presence_diff")
        assert diff.join_ref is None
        assert diff.payload["leaves"] == {}
        (meta,) = diff.payload["joins"]["a"]["metas"]
        assert meta["online"] is True
        assert isinstance(meta["phx_ref"], str)
    state = await js.call("presenceState", channel="b")
    assert list(state) == ["a"]
    (entry,) = state["a"]
    assert entry["online"] is True
    assert entry["presence_ref"] == meta["phx_ref"]

    # realtime-py joining later sees A in its state.
    py = await py_client(peers, server)
    await subscribe(
        py,
        server,
        "p",
        "room-1",
        config={"presence": {"key": "p", "enabled": True}},
        listen={"presence": True},
    )
    sync = await py.expect(ev="presence", channel="p", kind="sync")
    assert [{k: v for k, v in m.items() if k != "presence_ref"} for m in sync["state"]["a"]] == [
        {"online": True}
    ]

    # A leaves: B (and P) see A leave.
    assert await js.call("unsubscribe", channel="a") == "ok"
    left = await js.expect(ev="presence", channel="b", kind="leave", key="a")
    assert left["presences"][0]["online"] is True
    await py.expect(ev="presence", channel="p", kind="leave", key="a")

    # A sixth presence call within 30 s closes the channel.
    await js_client(js, server, "cc")
    await subscribe(
        js, server, "c", "room-1", client="cc", config={"presence": {"key": "c"}}, listen=listen
    )
    for i in range(5):
        assert await js.call("track", channel="c", meta={"i": i}) == "ok"
    await js.send("track", channel="c", meta={"i": 5})
    system = await js.expect(ev="system", channel="c")
    assert system["payload"] == {
        "extension": "system",
        "status": "error",
        "message": "Client presence rate limit exceeded",
        "channel": "room-1",
    }
    await js.expect(ev="status", channel="c", status="CLOSED")
