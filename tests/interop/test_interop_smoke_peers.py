"""Smoke: both peers start, connect, subscribe and exchange one broadcast."""

from __future__ import annotations

from peers import PeerPool

from inspector.server import RealtimeServer


async def test_js_and_py_exchange(server: RealtimeServer, peers: PeerPool) -> None:
    js, py = await peers.js(), await peers.py()
    await js.call("client", id="c", url=server.realtime_url, key=server.anon_key)
    await js.call("channel", id="a", client="c", name="room-1", listen={"broadcast": ["*"]})
    await js.call("subscribe", channel="a")
    await js.expect(ev="status", channel="a", status="SUBSCRIBED")
    await py.call("client", id="c", url=server.realtime_url, key=server.anon_key)
    await py.call("channel", id="p", client="c", name="room-1", listen={"broadcast": ["*"]})
    await py.call("subscribe", channel="p")
    await py.expect(ev="status", channel="p", status="SUBSCRIBED")
    await js.call("send", channel="a", event="test", payload={"x": 1})
    got = await py.expect(ev="broadcast", channel="p")
    assert got["payload"] == {"event": "test", "payload": {"x": 1}}
    await py.call("send", channel="p", event="back", payload={"y": 2})
    got = await js.expect(ev="broadcast", channel="a")
    assert got["payload"] == {"type": "broadcast", "event": "back", "payload": {"y": 2}}
