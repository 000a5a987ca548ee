"""The server's pieces built from their collaborators, without a socket (issue #9, section 1).

The hub gets fake frame sinks, the channel logic fake peers that hold a real pure
``ServerConnection``, REST mocked aiohttp requests. Every piece shares one ``TenantLimits`` and
one ``Journal``, as the server wires them.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Callable
from typing import Any
from unittest import mock

import pytest
from aiohttp import streams
from aiohttp.test_utils import make_mocked_request
from aiohttp.web import Response

from inspector.protocol.frames import BROADCAST
from inspector.protocol.jwt import demo_key
from inspector.protocol.serializer import VSN1, VSN2
from inspector.protocol.server_conn import ServerConnection
from inspector.protocol.server_events import JoinRequested, ServerChannel, parse_join_payload
from inspector.protocol.server_fanout import Fanout
from inspector.server.auth import Authenticator, Identity
from inspector.server.channel_logic import ChannelLogic, Peer, unauthorized
from inspector.server.client_socket import unframe
from inspector.server.config import ServerConfig
from inspector.server.faults import Faults
from inspector.server.hub import Hub, Sub
from inspector.server.limits import (
    PAYLOAD_SIZE_EXCEEDED,
    TOO_MANY_MESSAGES,
    CallWindow,
    TenantLimits,
)
from inspector.server.notes import (
    BroadcastDropped,
    ChannelJoined,
    JoinRefused,
    RestBroadcast,
)
from inspector.server.recorder import Journal
from inspector.server.rest import SIZE_EXCEEDED, RestApi
from inspector.server.rules import ALL, Permissions
from inspector.server.wsframe import ws_frame

NOW = 1_700_000_000.0
SECRET = ServerConfig().jwt_secret
_ids = itertools.count(1000)


def anon() -> Identity:
    identity = Authenticator(SECRET).authenticate(demo_key("anon", SECRET), time.time())
    assert isinstance(identity, Identity)
    return identity


class FakePeer:
    """A client socket without a socket: a real pure connection and a list of what was sent."""

    def __init__(self, vsn: str = VSN2, identity: Identity | None = None) -> None:
        self.id = next(_ids)
        self.vsn = vsn
        self.identity = identity or anon()
        self.conn = ServerConnection(vsn, now=NOW, idle_timeout=None)
        self.sent: list[str | bytes] = []
        self.delayed: list[tuple[float, Callable[[], None]]] = []
        self.close_requested: tuple[int, str] | None = None

    def write(self, frame: bytes) -> None:
        self.flush()
        self.sent.append(unframe(frame))

    def flush(self) -> None:
        self.sent.extend(self.conn.data_to_send())

    def later(self, delay: float, action: Callable[[], None]) -> None:
        self.delayed.append((delay, action))

    def close_soon(self, code: int = 1000, reason: str = "") -> None:
        self.close_requested = (code, reason)

    # test helpers

    def push(self, logic: ChannelLogic, topic: str, event: str, payload: Any, ref: str) -> None:
        """A v2 text push from the client, handled as the socket handles it."""
        join_ref = "j-" + topic
        for ev in self.conn.receive(json.dumps([join_ref, ref, topic, event, payload]), NOW):
            logic.handle(self, ev, NOW)
        self.flush()

    def take(self) -> list[list[Any]]:
        """The text messages sent since the last take, decoded (v2 arrays)."""
        out = [json.loads(m) for m in self.sent if isinstance(m, str)]
        self.sent.clear()
        return out


def channel(topic: str, join: dict[str, Any] | None = None) -> ServerChannel:
    name = topic.removeprefix("realtime:")
    return ServerChannel(topic, name, "1", parse_join_payload(join or {"config": {}}), NOW)


def sub(sink: FakePeer, topic: str, join: dict[str, Any] | None = None, **kw: Any) -> Sub[Peer]:
    perms = kw.pop("perms", ALL)
    return Sub(
        sink, channel(topic, join), sink.identity, perms, kw.pop("key", "k"), CallWindow(5, 30)
    )


# ---------------------------------------------------------------------------------------- hub


def test_hub_fans_out_per_channel_key_and_per_receiver_format() -> None:
    hub: Hub[Peer] = Hub()
    a, b, v1, other = FakePeer(), FakePeer(), FakePeer(VSN1), FakePeer()
    sa, sb, sv1 = sub(a, "realtime:room"), sub(b, "realtime:room"), sub(v1, "realtime:room")
    private = sub(other, "realtime:room", {"config": {"private": True}})
    for s in (sa, sb, sv1, private):
        hub.add(s)
    body = {"type": BROADCAST, "event": "e", "payload": {"n": 1}}
    # self:false skips the sender; the private channel of the same name sees nothing (§3).
    assert hub.publish((False, "room"), Fanout.text(BROADCAST, body, ws_frame), sender=sa) == 2
    assert a.sent == []
    assert other.sent == []
    assert json.loads(b.sent[0]) == [None, None, "realtime:room", BROADCAST, body]
    assert json.loads(sv1.sink.sent[0])["payload"] == body  # v1: an object frame
    # Raw binary reaches v2 receivers only (§2.5).
    binary = Fanout.user_broadcast("e", b"\x01\x02", 0, wrap=ws_frame)
    assert hub.publish((False, "room"), binary) == 2
    assert isinstance(a.sent[-1], bytes)
    assert isinstance(b.sent[-1], bytes)
    assert len(v1.sent) == 1


def test_hub_skips_receivers_without_read_and_stops_non_objects_at_the_first_v2() -> None:
    hub: Hub[Peer] = Hub()
    reader, no_read = FakePeer(), FakePeer()
    private = {"config": {"private": True}}
    hub.add(sub(reader, "realtime:r", private, perms=Permissions(read=True)))
    hub.add(sub(no_read, "realtime:r", private, perms=Permissions(write=True)))
    fanout = Fanout.text(BROADCAST, {"type": BROADCAST, "event": "e", "payload": {}}, ws_frame)
    assert hub.publish((True, "r"), fanout) == 1
    assert no_read.sent == []
    sender, first_v1, v2, last_v1 = FakePeer(), FakePeer(VSN1), FakePeer(), FakePeer(VSN1)
    sender_sub = sub(sender, "realtime:n")
    for s in (
        sender_sub,
        sub(first_v1, "realtime:n"),
        sub(v2, "realtime:n"),
        sub(last_v1, "realtime:n"),
    ):
        hub.add(s)
    text = Fanout.text(BROADCAST, {"type": BROADCAST, "event": "e", "payload": 5}, ws_frame)
    assert hub.publish_non_object((False, "n"), text, sender=sender_sub) == (1, True)
    assert len(first_v1.sent) == 1
    assert v2.sent == []
    assert last_v1.sent == []


def test_hub_owns_subscriptions_by_socket_and_topic() -> None:
    hub: Hub[Peer] = Hub()
    a, b = FakePeer(), FakePeer()
    a1, a2, b1 = sub(a, "realtime:one"), sub(a, "realtime:two"), sub(b, "realtime:one")
    for s in (a1, a2, b1):
        hub.add(s)
    assert hub.get(a.id, "realtime:two") is a2
    assert hub.get(b.id, "realtime:two") is None
    assert hub.topics(a.id) == ["realtime:one", "realtime:two"]
    assert hub.channels() == {(False, "one"): 2, (False, "two"): 1}
    assert hub.remove(a.id, "realtime:one") is a1
    assert hub.remove(a.id, "realtime:one") is None
    assert hub.subscribers((False, "one")) == [b1]
    hub.remove_socket(a.id)
    assert hub.topics(a.id) == []
    assert hub.channels() == {(False, "one"): 1}


def test_hub_presence_diffs_go_to_readers_and_leave_with_the_subscription() -> None:
    hub: Hub[Peer] = Hub()
    presence = {"config": {"private": True, "presence": {"enabled": True}}}
    tracker, watcher, blind = FakePeer(), FakePeer(), FakePeer()
    st = sub(tracker, "realtime:lobby", presence, key="me")
    hub.add(st)
    hub.add(sub(watcher, "realtime:lobby", presence))
    hub.add(sub(blind, "realtime:lobby", presence, perms=Permissions(read=True)))
    assert hub.track((True, "lobby"), st, "me", {"status": "here"})
    assert not hub.track((True, "lobby"), st, "me", {"status": "here"})  # no change
    joins = json.loads(watcher.sent[-1])
    assert joins[3] == "presence_diff"
    assert list(joins[4]["joins"]) == ["me"]
    assert len(tracker.sent) == 1  # the tracker gets it too (§8.3)
    assert blind.sent == []  # read, but no presence read (§9.3)
    assert list(hub.presence_state((True, "lobby"))) == ["me"]
    hub.remove_socket(tracker.id)
    leaves = json.loads(watcher.sent[-1])
    assert leaves[3] == "presence_diff"
    assert list(leaves[4]["leaves"]) == ["me"]
    assert hub.presence_state((True, "lobby")) == {}


# ------------------------------------------------------------------------------ channel logic


class Pieces:
    """The collaborators of the channel logic and REST, wired as the server wires them."""

    def __init__(self, config: ServerConfig | None = None, **limits: Any) -> None:
        self.config = config or ServerConfig(port=0)
        self.hub: Hub[Peer] = Hub()
        self.auth = Authenticator(SECRET)
        self.rules = self.config.load_rules()
        self.limits = TenantLimits(**{"max_payload_kb": 3000, **limits})
        self.journal = Journal(event_log_size=100)
        self.faults = Faults()
        self.logic = ChannelLogic(
            self.config,
            hub=self.hub,
            auth=self.auth,
            rules=self.rules,
            limits=self.limits,
            journal=self.journal,
            faults=self.faults,
        )
        self.rest = RestApi(
            hub=self.hub,
            auth=self.auth,
            rules=self.rules,
            limits=self.limits,
            journal=self.journal,
        )

    def notes(self, kind: type) -> list[Any]:
        return [r.event for r in self.journal.events if isinstance(r.event, kind)]

    def join(self, peer: FakePeer, topic: str, config: dict[str, Any] | None = None) -> list[Any]:
        peer.push(self.logic, topic, "phx_join", {"config": config or {}}, "j-" + topic)
        return peer.take()


def test_logic_join_then_broadcast_with_ack() -> None:
    p = Pieces()
    a, b = FakePeer(), FakePeer()
    [reply] = p.join(a, "realtime:room", {"broadcast": {"ack": True}})
    assert reply[3:] == ["phx_reply", {"status": "ok", "response": mock.ANY}]
    p.join(b, "realtime:room")
    assert [n.socket_id for n in p.notes(ChannelJoined)] == [a.id, b.id]
    assert p.hub.topics(a.id) == ["realtime:room"]
    assert isinstance(p.journal.events.items()[0].event, JoinRequested)  # events recorded too
    a.push(
        p.logic,
        "realtime:room",
        BROADCAST,
        {"type": BROADCAST, "event": "e", "payload": {"x": 1}},
        "2",
    )
    assert a.take() == [
        ["j-realtime:room", "2", "realtime:room", "phx_reply", {"status": "ok", "response": {}}]
    ]
    [got] = b.take()
    assert got[3] == BROADCAST
    assert got[4]["payload"] == {"x": 1}


def test_logic_drops_a_broadcast_over_the_shared_payload_limit() -> None:
    p = Pieces(max_payload_kb=0)  # 500 bytes
    a, b = FakePeer(), FakePeer()
    p.join(a, "realtime:room", {"broadcast": {"ack": True}})
    p.join(b, "realtime:room")
    big = {"type": BROADCAST, "event": "e", "payload": {"x": "y" * 600}}
    a.push(p.logic, "realtime:room", BROADCAST, big, "2")
    [ack] = a.take()
    assert ack[4] == {"status": "error", "response": PAYLOAD_SIZE_EXCEEDED}
    assert b.take() == []
    assert p.notes(BroadcastDropped) == [
        BroadcastDropped(a.id, "realtime:room", PAYLOAD_SIZE_EXCEEDED)
    ]


def test_logic_rate_limit_counts_rest_traffic_too() -> None:
    p = Pieces(events_per_second=10)
    a = FakePeer()
    p.join(a, "realtime:room")
    p.limits.count(10, NOW)  # what REST publishing counted
    a.push(
        p.logic, "realtime:room", BROADCAST, {"type": BROADCAST, "event": "e", "payload": {}}, "2"
    )
    sent = a.take()
    assert [m[3] for m in sent] == ["system", "phx_close"]
    assert sent[0][4]["message"] == TOO_MANY_MESSAGES
    assert p.hub.get(a.id, "realtime:room") is None


def test_logic_refuses_a_private_join_without_rules_and_leaves_the_hub_alone() -> None:
    p = Pieces()
    a = FakePeer()
    [reply] = p.join(a, "realtime:secret", {"private": True})
    assert reply[4] == {"status": "error", "response": {"reason": unauthorized("secret")}}
    assert p.notes(JoinRefused) == [JoinRefused(a.id, "realtime:secret", unauthorized("secret"))]
    assert p.hub.channels() == {}


def test_logic_delays_join_errors_through_the_peer() -> None:
    p = Pieces(ServerConfig(port=0, channel_error_delay_ms=250))
    p.faults.reject_joins["no-*"] = "nope"
    a = FakePeer()
    assert p.join(a, "realtime:no-go") == []
    [(delay, action)] = a.delayed
    assert delay == 0.25
    action()
    a.flush()
    assert a.take()[0][4] == {"status": "error", "response": {"reason": "nope"}}


def test_logic_leave_and_forget_drop_subscriptions_from_the_hub() -> None:
    p = Pieces()
    a = FakePeer()
    p.join(a, "realtime:one")
    p.join(a, "realtime:two")
    a.push(p.logic, "realtime:one", "phx_leave", {}, "3")
    assert p.hub.topics(a.id) == ["realtime:two"]
    p.logic.forget(a)
    assert p.hub.channels() == {}


# --------------------------------------------------------------------------------------- REST


def request(
    path: str,
    body: bytes,
    headers: dict[str, str] | None = None,
    match_info: dict[str, str] | None = None,
) -> Any:
    """A mocked aiohttp request whose body reads as ``body``."""
    payload = streams.StreamReader(mock.Mock(), 2**16, loop=asyncio.get_running_loop())
    payload.feed_data(body)
    payload.feed_eof()
    return make_mocked_request(
        "POST", path, headers=headers or {}, payload=payload, match_info=match_info or {}
    )


def bearer() -> dict[str, str]:
    return {"Authorization": "Bearer " + demo_key("anon", SECRET)}


def batch_body(payload: dict[str, Any], topic: str = "room") -> bytes:
    return json.dumps({"messages": [{"topic": topic, "event": "e", "payload": payload}]}).encode()


def status(response: Any) -> tuple[int, Any]:
    assert isinstance(response, Response)
    return response.status, json.loads(response.text) if response.text else None


async def test_rest_batch_publishes_to_the_hub_and_notes_it() -> None:
    p = Pieces(events_per_second=1000)
    b = FakePeer()
    p.hub.add(sub(b, "realtime:room"))
    response = await p.rest.batch(request("/api/broadcast", batch_body({"x": 1}), bearer()))
    assert status(response) == (202, None)
    assert response.headers["x-rate-limit"] == "1000"
    [got] = b.take()
    assert got[3] == BROADCAST
    assert got[4] == {"type": BROADCAST, "event": "e", "payload": {"x": 1}}
    assert p.notes(RestBroadcast) == [RestBroadcast("/api/broadcast", (), 202, 1, 1)]
    assert p.limits.rate is not None
    assert p.limits.rate.rate(time.time()) == 2  # 1 message + 1 delivery


async def test_rest_refuses_without_a_token_over_the_limit_and_over_the_rate() -> None:
    p = Pieces(max_payload_kb=0, events_per_second=5)
    assert status(await p.rest.batch(request("/api/broadcast", batch_body({})))) == (
        401,
        {"message": "Unauthorized"},
    )
    big = batch_body({"x": "y" * 600})
    assert status(await p.rest.batch(request("/api/broadcast", big, bearer()))) == (
        422,
        {"errors": {"messages": [{"payload": [SIZE_EXCEEDED]}]}},
    )
    p.limits.count(5, time.time())  # what websocket traffic counted
    code, _ = status(await p.rest.batch(request("/api/broadcast", batch_body({}), bearer())))
    assert code == 429
    assert [n.status for n in p.notes(RestBroadcast)] == [401, 422, 429]


async def test_rest_single_sends_kind_4_and_refuses_private_without_rules() -> None:
    p = Pieces()
    b = FakePeer()
    p.hub.add(sub(b, "realtime:room"))
    path = "/api/broadcast/room/events/e"
    match = {"topic": "room", "event": "e"}
    ok = await p.rest.single(request(path, b'{"a":1}', bearer(), match))
    assert status(ok) == (202, None)
    assert isinstance(b.sent[0], bytes)
    assert b.sent[0][0] == 4  # a user broadcast (§2.5)
    private = request(path + "?private=true", b"{}", bearer(), match)
    assert status(await p.rest.single(private)) == (403, {"message": "Unauthorized"})
    assert len(b.sent) == 1


def test_rest_and_logic_share_one_limits_object() -> None:
    p = Pieces()
    assert p.rest.limits is p.logic.limits
    assert not hasattr(p.rest, "server")
    assert not hasattr(p.logic, "server")


@pytest.mark.parametrize("kb", [0, 2])
def test_tenant_limits(kb: int) -> None:
    limits = TenantLimits(kb)
    assert limits.max_payload == kb * 1000 + 500
    limits.count(10**6, NOW)  # no rate: nothing counted, never over
    assert limits.rate is None
    assert not limits.over(NOW)
    rated = TenantLimits(kb, events_per_second=3, window_s=1.0)
    rated.count(2, NOW)
    assert not rated.over(NOW)
    rated.count(1, NOW)
    assert rated.over(NOW)
