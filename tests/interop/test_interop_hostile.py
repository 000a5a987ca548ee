"""Broadcasts whose payload is not an object, against the official clients (QA finding 12).

The real server fans a JSON broadcast's payload out as it came: a v1 receiver gets a string
payload as is, and the v2 serializer raises at the first v2 receiver, which crashes the
sender's channel (inspector.server.crashes, hub.publish_non_object). Neither may take an
official client down: realtime-py logs "Unrecognized message format" and drops what its strict
parser refuses (§11); a sender whose channel crashed gets ``phx_error`` and rejoins (§4.6).
"""

from __future__ import annotations

import pytest
from interop_helpers import js_client, py_client, subscribe
from peers import PeerPool

from inspector.server import RealtimeServer
from inspector.server.notes import ChannelCrashed


@pytest.mark.expect_peer_errors(
    r"Unrecognized message format .*x1", r"Unrecognized message format .*not-an-object", kind="py"
)
async def test_realtime_py_drops_non_object_payloads_and_keeps_receiving(
    server: RealtimeServer, peers: PeerPool
) -> None:
    py = await py_client(peers, server)
    await subscribe(py, server, "p", "odd", listen={"broadcast": ["*"]})
    js = await js_client(peers, server)  # the sender; v2, self:false, so only py receives
    await subscribe(js, server, "a", "odd")
    await js.call("socketPush", client="c", topic="realtime:odd", event="broadcast", payload="x1")
    # a broadcast object whose inner payload is not an object: realtime-js sends it as kind 3
    await js.call("send", channel="a", event="inner", payload="not-an-object")
    await js.call("send", channel="a", event="fine", payload={"n": 1})
    got = await py.expect(ev="broadcast", channel="p")
    assert got["payload"] == {"event": "fine", "payload": {"n": 1}}
    assert "Unrecognized message format" in await py.expect_stderr('"payload":"x1"')
    await py.expect_stderr('"payload":"not-an-object"')
    assert py.seen(ev="status", channel="p", status="CHANNEL_ERROR") == []
    assert [e["payload"]["event"] for e in py.seen(ev="broadcast")] == ["fine"]


async def test_a_v2_receiver_makes_the_senders_channel_crash_and_rejoin(
    server: RealtimeServer, peers: PeerPool
) -> None:
    js = await js_client(peers, server)  # the sender, client "c"
    await js_client(js, server, "r")  # a v2 receiver on another socket
    await subscribe(js, server, "rx", "odd", client="r", listen={"broadcast": ["*"]})
    await subscribe(js, server, "a", "odd")
    mark = server.events.mark()
    await js.call("socketPush", client="c", topic="realtime:odd", event="broadcast", payload="x2")
    crashed = await server.events.wait_for(
        lambda r: isinstance(r.event, ChannelCrashed), after=mark
    )
    assert crashed.event.topic == "realtime:odd"
    # phx_error: realtime-js reports a channel error and rejoins (§4.6)
    assert (await js.expect(ev="status", channel="a", status="CHANNEL_ERROR"))["error"]
    await js.expect(ev="status", channel="a", status="SUBSCRIBED")
    await js.call("send", channel="a", event="after", payload={"n": 2})
    got = await js.expect(ev="broadcast", channel="rx")
    assert got["payload"]["event"] == "after"
    assert js.seen(ev="status", channel="rx", status="CHANNEL_ERROR") == []
