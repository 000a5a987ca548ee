"""Mixed sessions: our client with realtime-js and realtime-py as peers on the local server.

Payloads must arrive exactly in both directions, acks and REST must work alongside the
official clients, and self/private must behave the same for everyone (§2.5, §5, §6, §9.3).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from client_helpers import EventLog
from interop_helpers import js_client, py_client, subscribe
from peers import Peer, PeerPool

from inspector.client import (
    BroadcastReceived,
    ChannelConfig,
    JoinRefused,
    PresenceChanged,
    PushStatus,
    RealtimeClient,
)
from inspector.protocol.presence import js_view
from inspector.server import RealtimeServer, Rules, ServerConfig

pytestmark = pytest.mark.interop

PAYLOAD: dict[str, Any] = {"text": "héllo ✓", "n": [1, 2.5, None, True], "o": {"deep": {"x": "y"}}}
BYTES = bytes([0, 1, 2, 254, 255]) * 10


@pytest.fixture
def server_config() -> ServerConfig:
    rules = Rules.from_data({"allow": [{"channels": ["vip"], "roles": ["anon"], "can": ["all"]}]})
    return ServerConfig(port=0, frame_log_size=2000, rules=rules)


async def ours(
    make_client: Callable[..., RealtimeClient], cfg: ChannelConfig, **settings: Any
) -> tuple[RealtimeClient, EventLog]:
    log = EventLog()
    client = make_client(on_event=log, **settings)
    await client.connect()
    await client.join(cfg)
    return client, log


async def js_listener(
    peers: PeerPool, server: RealtimeServer, name: str = "room-1", **config: Any
) -> Peer:
    js = await js_client(peers, server)
    await subscribe(js, server, "a", name, config=config, listen={"broadcast": ["*"]})
    return js


async def test_realtime_js_receives_our_json_and_binary_exactly(
    server: RealtimeServer, peers: PeerPool, make_client: Callable[..., RealtimeClient]
) -> None:
    js = await js_listener(peers, server)
    client, _ = await ours(make_client, ChannelConfig("room-1"))
    await client.send("room-1", "json", PAYLOAD)
    await client.send("room-1", "bin", BYTES, binary=True)
    got_json = await js.expect(ev="broadcast", channel="a")
    assert got_json["payload"] == {"type": "broadcast", "event": "json", "payload": PAYLOAD}
    got_bin = await js.expect(ev="broadcast", channel="a")
    assert got_bin["payload"]["event"] == "bin"
    assert got_bin["payload"]["payload"] == {"__bytes__": list(BYTES)}


@pytest.mark.parametrize("vsn", ["2", "1"])
async def test_we_receive_exactly_what_realtime_js_and_realtime_py_send(
    server: RealtimeServer, peers: PeerPool, make_client: Callable[..., RealtimeClient], vsn: str
) -> None:
    _, log = await ours(make_client, ChannelConfig("room-1"), vsn=vsn)
    js = await js_listener(peers, server)
    py = await py_client(peers, server)
    await subscribe(py, server, "p", "room-1")
    assert await js.call("send", channel="a", event="from-js", payload=PAYLOAD) == "ok"
    await js.call("send", channel="a", event="js-bytes", payload={"__bytes__": list(BYTES)})
    await py.call("send", channel="p", event="from-py", payload=PAYLOAD)
    expected = 3 if vsn == "2" else 2  # binary never reaches a v1 socket (§2.5)
    got = {e.event: e for e in await log.wait_count(BroadcastReceived, expected)}
    assert got["from-js"].json_payload() == PAYLOAD
    assert got["from-py"].json_payload() == PAYLOAD
    if vsn == "2":
        assert got["js-bytes"].binary
        assert got["js-bytes"].payload_bytes() == BYTES
    else:
        assert "js-bytes" not in got


async def test_ack_round_trip_with_peers_listening(
    server: RealtimeServer, peers: PeerPool, make_client: Callable[..., RealtimeClient]
) -> None:
    js = await js_listener(peers, server)
    client, _ = await ours(make_client, ChannelConfig("room-1", broadcast_ack=True))
    result = await client.send("room-1", "acked", {"a": 1})
    assert result.status is PushStatus.OK
    assert result.rtt is not None
    assert result.rtt > 0
    assert (await js.expect(ev="broadcast", channel="a"))["payload"]["payload"] == {"a": 1}


async def test_our_rest_sends_reach_realtime_js(
    server: RealtimeServer, peers: PeerPool, make_client: Callable[..., RealtimeClient]
) -> None:
    js = await js_listener(peers, server)
    client = make_client()
    assert (await client.rest_send("room-1", "single", PAYLOAD)).status == 202
    assert (await client.rest_send("room-1", "single-bin", BYTES, binary=True)).status == 202
    assert (await client.rest_send("room-1", "batch", {"b": 2}, batch=True)).status == 202
    got = [await js.expect(ev="broadcast", channel="a") for _ in range(3)]
    by_event = {g["payload"]["event"]: g["payload"]["payload"] for g in got}
    assert by_event == {
        "single": PAYLOAD,
        "single-bin": {"__bytes__": list(BYTES)},
        "batch": {"b": 2},
    }


async def test_self_on_and_off_across_clients(
    server: RealtimeServer, peers: PeerPool, make_client: Callable[..., RealtimeClient]
) -> None:
    js = await js_listener(peers, server, broadcast={"self": False})
    client, log = await ours(make_client, ChannelConfig("room-1", broadcast_self=True))
    await client.send("room-1", "mine", {"n": 1})
    assert (await log.wait_for(BroadcastReceived)).event == "mine"  # self on: our own echo
    assert (await js.expect(ev="broadcast", channel="a"))["payload"]["event"] == "mine"
    await js.call("send", channel="a", event="theirs", payload={"n": 2})
    await log.wait_for(BroadcastReceived, lambda e: e.event == "theirs")
    await client.send("room-1", "mine-again", {})
    await js.expect(
        ev="broadcast", channel="a", predicate=lambda e: e["payload"]["event"] == "mine-again"
    )
    # realtime-js has self off: it never heard "theirs".
    assert [e["payload"]["event"] for e in js.seen(ev="broadcast")] == ["mine", "mine-again"]
    assert [e.event for e in log.of(BroadcastReceived)] == ["mine", "theirs", "mine-again"]


async def test_private_allowed_and_refused_like_realtime_js(
    server: RealtimeServer, peers: PeerPool, make_client: Callable[..., RealtimeClient]
) -> None:
    js = await js_client(peers, server)
    await subscribe(js, server, "vip", "vip", config={"private": True}, listen={"broadcast": ["*"]})
    client, log = await ours(make_client, ChannelConfig("vip", private=True, broadcast_ack=True))
    assert (await client.send("vip", "p", {"s": 1})).status is PushStatus.OK
    assert (await js.expect(ev="broadcast", channel="vip"))["payload"]["payload"] == {"s": 1}
    await js.call("send", channel="vip", event="back", payload={"s": 2})
    assert (await log.wait_for(BroadcastReceived)).json_payload() == {"s": 2}
    # Refused: the same reason for realtime-js and for us.
    with pytest.raises(JoinRefused) as info:
        await client.join(ChannelConfig("closed", private=True))
    status = await subscribe(
        js, server, "closed", "closed", config={"private": True}, status="CHANNEL_ERROR"
    )
    assert info.value.reason == status["error"]
    assert info.value.reason.startswith("Unauthorized: You do not have permissions")


async def test_presence_with_realtime_js(
    server: RealtimeServer, peers: PeerPool, make_client: Callable[..., RealtimeClient]
) -> None:
    js = await js_client(peers, server)
    await subscribe(
        js, server, "lobby", "lobby", config={"presence": {"key": "js"}}, listen={"presence": True}
    )
    client, log = await ours(
        make_client, ChannelConfig("lobby", presence_key="us", presence_enabled=True)
    )
    assert (await client.track("lobby", {"online": True})).status is PushStatus.OK
    await js.call("track", channel="lobby", meta={"from": "js"})
    synced = await log.wait_for(PresenceChanged, lambda e: {"us", "js"} <= set(e.state))
    await js.expect(ev="presence", channel="lobby", kind="join", key="us")
    theirs = await js.call("presenceState", channel="lobby")
    assert theirs == js_view(synced.state)
