"""Our client session against the pure server connection, wired in memory (architecture habit 11).

Each client has its own :class:`ServerConnection`; a few lines of hub logic below fan
broadcasts out between them the way the real server does (self, ack, §5.2). Time is simulated
and both sides get the same ``now``.
"""

from __future__ import annotations

from typing import Any

import pytest

from inspector.protocol.channel import ChannelConfig
from inspector.protocol.events import (
    BroadcastReceived,
    ChannelCause,
    ChannelState,
    ChannelStateChanged,
    HeartbeatEvent,
    MessageIgnored,
    PresenceChanged,
    PushResult,
    PushStatus,
    SystemMessage,
)
from inspector.protocol.frames import Message
from inspector.protocol.serializer import VSN1, VSN2
from inspector.protocol.server_conn import ServerConnection
from inspector.protocol.server_events import BroadcastPushed, JoinRequested, PresencePushed
from inspector.protocol.session import ClientSession, SessionConfig

TOPIC = "realtime:room-1"


class Pair:
    """N clients, each wired to its own server connection, plus a tiny fan-out hub."""

    def __init__(self, *vsns: str, **cfg: Any) -> None:
        self.now = 0.0
        self.clients = [ClientSession(SessionConfig(vsn=v, **cfg)) for v in vsns]
        self.servers = [ServerConnection(v, now=0.0, idle_timeout=None) for v in vsns]
        self.events: list[list[Any]] = [[] for _ in vsns]
        self.mute_heartbeats = False
        for c in self.clients:
            c.connect(0.0)
            c.connection_made(0.0)

    def pump(self) -> None:
        moved = True
        while moved:
            moved = False
            for i, (client, server) in enumerate(zip(self.clients, self.servers, strict=True)):
                server.reply_to_heartbeats = not self.mute_heartbeats
                for data in client.data_to_send():
                    moved = True
                    for event in server.receive(data, self.now):
                        self._serve(i, event)
                for data in server.data_to_send():
                    moved = True
                    client.receive(data, self.now)
                self.events[i].extend(client.take_events())

    def _serve(self, i: int, event: Any) -> None:
        server = self.servers[i]
        if isinstance(event, JoinRequested):
            server.accept_join(event, self.now)
        elif isinstance(event, BroadcastPushed):
            channel = server.channels[event.topic]
            fan = event.fanout()
            for j, other in enumerate(self.servers):
                if event.topic in other.channels and (j != i or channel.config.self_broadcast):
                    other.deliver(fan, event.topic)
            if channel.config.ack:
                server.reply(event.topic, event.join_ref, event.ref, "ok", {})
        elif isinstance(event, PresencePushed):
            server.reply(event.topic, event.join_ref, event.ref, "ok", {})
            diff = {
                "joins": {"k": {"metas": [{"phx_ref": "r1", **(event.meta or {})}]}},
                "leaves": {},
            }
            for other in self.servers:
                if event.topic in other.channels:
                    other.push(event.topic, "presence_diff", diff)

    def advance(self, seconds: float) -> None:
        end = self.now + seconds
        while True:
            deadlines = [d for c in self.clients if (d := c.next_deadline()) is not None]
            if not deadlines or min(deadlines) > end:
                break
            self.now = min(deadlines)
            for c in self.clients:
                c.handle_timer(self.now)
            self.pump()
        self.now = end

    def take(self, i: int, kind: type) -> list[Any]:
        found = [e for e in self.events[i] if isinstance(e, kind)]
        self.events[i] = [e for e in self.events[i] if not isinstance(e, kind)]
        return found

    def join_all(self, **cfg: Any) -> None:
        for c in self.clients:
            c.join(ChannelConfig("room-1", **cfg), self.now)
        self.pump()
        assert all(c.channels[TOPIC].state is ChannelState.JOINED for c in self.clients)


@pytest.mark.parametrize("vsns", [(VSN2, VSN2), (VSN1, VSN1), (VSN2, VSN1), (VSN1, VSN2)])
def test_json_broadcast_reaches_the_other_client_only(vsns: tuple[str, str]) -> None:
    pair = Pair(*vsns)
    pair.join_all()
    pair.clients[0].push_broadcast(TOPIC, "test", {"x": 1}, pair.now)
    pair.pump()
    [got] = pair.take(1, BroadcastReceived)
    assert (got.event, got.json_payload()) == ("test", {"x": 1})
    assert pair.take(0, BroadcastReceived) == []  # self is false by default (§13 scenario 3)
    [sent] = pair.take(0, PushResult)
    assert sent.status is PushStatus.SENT


def test_self_and_ack_round_trip_in_v2() -> None:
    pair = Pair(VSN2, VSN2)
    pair.join_all(broadcast_self=True, broadcast_ack=True)
    pid = pair.clients[0].push_broadcast(TOPIC, "test", {"x": 2}, pair.now)
    pair.pump()
    assert [e.json_payload() for e in pair.take(0, BroadcastReceived)] == [{"x": 2}]
    assert [e.json_payload() for e in pair.take(1, BroadcastReceived)] == [{"x": 2}]
    [ack] = pair.take(0, PushResult)
    assert (ack.push_id, ack.status) == (pid, PushStatus.OK)


def test_binary_reaches_v2_but_not_v1_scenario_6() -> None:
    pair = Pair(VSN2, VSN2, VSN1)
    pair.join_all()
    pair.clients[0].push_broadcast(TOPIC, "bin", b"\x01\x02\x03", pair.now, binary=True)
    pair.pump()
    [got] = pair.take(1, BroadcastReceived)
    assert got.binary
    assert got.payload_bytes() == b"\x01\x02\x03"
    assert pair.take(2, BroadcastReceived) == []


def test_heartbeats_round_trip_and_timeout_without_replies() -> None:
    pair = Pair(VSN2, heartbeat_interval=1.0)
    pair.join_all()
    pair.advance(1.0)
    assert [e.status for e in pair.take(0, HeartbeatEvent)] == ["sent", "ok"]
    pair.mute_heartbeats = True
    pair.advance(2.0)
    assert [e.status for e in pair.take(0, HeartbeatEvent)] == ["sent", "timeout"]
    assert pair.clients[0].channels[TOPIC].state is ChannelState.ERRORED


def test_leave_gets_ok_then_close_and_the_channel_is_gone() -> None:
    pair = Pair(VSN2)
    pair.join_all()
    pair.clients[0].leave(TOPIC, pair.now)
    pair.pump()
    changes = pair.take(0, ChannelStateChanged)
    assert [(c.state, c.cause) for c in changes][-1] == (ChannelState.CLOSED, ChannelCause.LEFT)
    assert TOPIC not in pair.clients[0].channels
    assert TOPIC not in pair.servers[0].channels
    assert pair.take(0, MessageIgnored) != []  # the phx_close after the reply finds no channel


def test_phx_error_rejoins_and_the_old_join_ref_goes_stale_scenario_15() -> None:
    pair = Pair(VSN2)
    pair.join_all()
    old_ref = pair.clients[0].channels[TOPIC].join_ref
    pair.servers[0].error_channel(TOPIC)
    pair.pump()
    pair.advance(1.0)
    ch = pair.clients[0].channels[TOPIC]
    assert ch.state is ChannelState.JOINED
    assert ch.join_ref != old_ref
    pair.take(0, ChannelStateChanged)
    # A message still carrying the old join_ref is dropped; the current one is delivered.
    for jr in (old_ref, ch.join_ref):
        body = {"type": "broadcast", "event": "e", "payload": {}}
        pair.servers[0].send_message(Message(jr, None, TOPIC, "broadcast", body))
    pair.pump()
    assert len(pair.take(0, BroadcastReceived)) == 1
    assert any("stale" in e.reason for e in pair.take(0, MessageIgnored))


def test_system_error_then_close_ends_the_channel_for_good() -> None:
    pair = Pair(VSN2)
    pair.join_all()
    pair.servers[0].system_error_and_close(TOPIC, "Token has expired 0 seconds ago")
    pair.pump()
    [system] = pair.take(0, SystemMessage)
    assert system.status == "error"
    closed = pair.take(0, ChannelStateChanged)[-1]
    assert (closed.state, closed.reason) == (ChannelState.CLOSED, "Token has expired 0 seconds ago")
    pair.advance(30.0)
    assert pair.clients[0].channels[TOPIC].state is ChannelState.CLOSED  # no rejoin


def test_presence_track_reply_and_diff() -> None:
    pair = Pair(VSN2, VSN1)
    pair.join_all(presence_enabled=True)
    for server in pair.servers:
        server.push(TOPIC, "presence_state", {})
    pair.pump()
    pid = pair.clients[0].track(TOPIC, {"online": True}, pair.now)
    pair.pump()
    assert [r.push_id for r in pair.take(0, PushResult)] == [pid]
    for i in (0, 1):
        last = pair.take(i, PresenceChanged)[-1]
        assert last.state == {"k": ({"phx_ref": "r1", "online": True},)}
