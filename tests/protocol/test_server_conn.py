"""The pure server-role connection: routing, protocol-level answers, timers (no sockets)."""

from __future__ import annotations

import json

import pytest

from inspector.protocol.frames import FrameRejected, UserBroadcastPush
from inspector.protocol.serializer import VSN1, VSN2, encode_binary
from inspector.protocol.server_conn import ServerConnection
from inspector.protocol.server_events import (
    AccessTokenPushed,
    BroadcastPushed,
    ChannelClosed,
    HeartbeatReceived,
    IdleTimeout,
    JoinRequested,
    LeaveRequested,
    OtherPushed,
    PresencePushed,
    StalePushIgnored,
    UnmatchedTopic,
    binding_id,
    join_ok_response,
    parse_join_payload,
)
from inspector.protocol.server_fanout import Fanout


def arr(*fields: object) -> str:
    return json.dumps(list(fields))


def wire(conn: ServerConnection) -> list[object]:
    return [d if isinstance(d, bytes) else json.loads(d) for d in conn.data_to_send()]


def joined(
    vsn: str = VSN2, topic: str = "realtime:room", jr: str = "1", config: object = None
) -> ServerConnection:
    conn = ServerConnection(vsn, now=0.0)
    if vsn == VSN2:
        data = arr(jr, jr, topic, "phx_join", {"config": config or {}})
    else:
        data = json.dumps(
            {
                "topic": topic,
                "event": "phx_join",
                "payload": {"config": config or {}},
                "ref": jr,
                "join_ref": jr,
            }
        )
    (event,) = conn.receive(data, 0.0)
    assert isinstance(event, JoinRequested)
    conn.accept_join(event, 0.0)
    conn.data_to_send()
    return conn


def test_heartbeat_reply_and_mute() -> None:
    conn = ServerConnection(VSN2)
    assert conn.receive(arr(None, "5", "phoenix", "heartbeat", {}), 1.0) == [HeartbeatReceived("5")]
    assert wire(conn) == [[None, "5", "phoenix", "phx_reply", {"status": "ok", "response": {}}]]
    conn.reply_to_heartbeats = False
    assert conn.receive(arr(None, "6", "phoenix", "heartbeat", {}), 1.0) == [
        HeartbeatReceived("6", False)
    ]
    assert not conn.has_data


def test_join_accept_and_v1_has_no_join_ref() -> None:
    conn = ServerConnection(VSN1)
    (event,) = conn.receive(
        json.dumps(
            {
                "topic": "realtime:a",
                "event": "phx_join",
                "payload": {"config": {}},
                "ref": "1",
                "join_ref": "1",
            }
        ),
        0.0,
    )
    assert isinstance(event, JoinRequested)
    assert event.name == "a"
    channel = conn.accept_join(event, 0.0, token_exp=100.0)
    assert channel.join_ref == "1"
    assert wire(conn) == [
        {
            "topic": "realtime:a",
            "event": "phx_reply",
            "payload": {"status": "ok", "response": {"postgres_changes": []}},
            "ref": "1",
        }
    ]
    assert conn.push("realtime:a", "presence_state", {})
    assert wire(conn) == [
        {"topic": "realtime:a", "event": "presence_state", "payload": {}, "ref": None}
    ]


def test_duplicate_join_closes_old_first() -> None:
    conn = joined()
    events = conn.receive(arr("2", "2", "realtime:room", "phx_join", {"config": {}}), 0.0)
    assert [type(e) for e in events] == [ChannelClosed, JoinRequested]
    assert events[0].reason == "duplicate join"
    assert events[1].duplicate
    assert wire(conn) == [["1", "1", "realtime:room", "phx_close", {}]]


def test_routing_of_pushes() -> None:
    conn = joined()
    bc = {"type": "broadcast", "event": "e", "payload": {"a": 1}}
    (b,) = conn.receive(arr("1", "2", "realtime:room", "broadcast", bc), 0.0)
    assert isinstance(b, BroadcastPushed)
    assert (b.user_event, b.payload, b.binary) == ("e", bc, False)
    (p,) = conn.receive(
        arr("1", "3", "realtime:room", "presence", {"event": "TRACK", "payload": {"x": 1}}), 0.0
    )
    assert isinstance(p, PresencePushed)
    assert (p.event, p.meta) == ("track", {"x": 1})
    (t,) = conn.receive(
        arr("1", "4", "realtime:room", "access_token", {"access_token": "tok"}), 0.0
    )
    assert isinstance(t, AccessTokenPushed)
    assert t.token == "tok"
    assert "tok" not in repr(t)
    (o,) = conn.receive(arr("1", "5", "realtime:room", "custom", [1]), 0.0)
    assert isinstance(o, OtherPushed)
    (s,) = conn.receive(arr("0", "6", "realtime:room", "broadcast", bc), 0.0)
    assert s == StalePushIgnored("realtime:room", "broadcast", "0", "1")
    assert not conn.has_data


def test_kind3_push() -> None:
    conn = joined()
    data = encode_binary(
        UserBroadcastPush("1", "2", "realtime:room", "ping", b'{"p":1}', 0, b"\x01\x02")
    )
    (event,) = conn.receive(data, 0.0)
    assert isinstance(event, BroadcastPushed)
    assert (event.binary, event.data, event.encoding, event.metadata) == (
        True,
        b"\x01\x02",
        0,
        b'{"p":1}',
    )
    fan = event.fanout()
    assert fan.for_receiver(VSN1, "realtime:room") is None
    assert (
        fan.for_receiver(VSN2, "realtime:room") == b"\x04\x0d\x04\x00\x00realtime:roomping\x01\x02"
    )


def test_unmatched_and_leave() -> None:
    conn = joined()
    assert conn.receive(arr("9", "7", "realtime:other", "broadcast", {}), 0.0) == [
        UnmatchedTopic("realtime:other", "broadcast", "7")
    ]
    assert conn.receive(arr("9", "8", "realtime:other", "phx_leave", {}), 0.0) == []
    (leave,) = conn.receive(arr("1", "9", "realtime:room", "phx_leave", {}), 0.0)
    assert isinstance(leave, LeaveRequested)
    assert conn.channels == {}
    assert wire(conn) == [
        [
            None,
            "7",
            "realtime:other",
            "phx_reply",
            {"status": "error", "response": {"reason": "unmatched topic"}},
        ],
        ["9", "8", "realtime:other", "phx_reply", {"status": "ok", "response": {}}],
        ["1", "9", "realtime:room", "phx_reply", {"status": "ok", "response": {}}],
        ["1", "1", "realtime:room", "phx_close", {}],
    ]


def test_bad_frames_never_raise() -> None:
    conn = ServerConnection(VSN2)
    for data in ("", "[", "{}", b"\x04", b"\xff" * 3, "[1,2,3,4,5]"):
        (event,) = conn.receive(data, 0.0)
        assert isinstance(event, FrameRejected)


def test_token_watchdog_and_idle_timeout() -> None:
    conn = ServerConnection(VSN2, now=0.0, idle_timeout=60.0)
    (join,) = conn.receive(arr("1", "1", "realtime:t", "phx_join", {"config": {}}), 0.0)
    conn.accept_join(join, 0.0, token_exp=500.0, token_check_max=300.0)
    conn.data_to_send()
    assert conn.next_deadline() == 60.0
    conn.receive(arr(None, "2", "phoenix", "heartbeat", {}), 250.0)
    conn.data_to_send()
    assert conn.next_deadline() == 300.0  # the 5-minute check comes before the idle deadline
    assert conn.handle_timer(300.0) == []
    assert conn.channels["realtime:t"].token_check_at == 500.0  # min(300 + 300, exp)
    events = conn.handle_timer(503.0)
    assert [type(e) for e in events] == [ChannelClosed, IdleTimeout]
    assert events[0].reason == "Token has expired 3 seconds ago"
    assert wire(conn) == [
        [
            "1",
            None,
            "realtime:t",
            "system",
            {
                "extension": "system",
                "status": "error",
                "message": "Token has expired 3 seconds ago",
                "channel": "t",
            },
        ],
        ["1", "1", "realtime:t", "phx_close", {}],
    ]
    assert conn.next_deadline() is None


def test_parse_join_payload() -> None:
    cfg = parse_join_payload(
        {
            "config": {
                "broadcast": {"ack": "True", "self": "nope"},
                "presence": {"key": 5, "enabled": True},
                "private": True,
                "postgres_changes": [None, {"event": "*", "schema": "public"}, 3],
            },
            "access_token": "a",
            "user_token": "u",
        }
    )
    assert (cfg.ack, cfg.self_broadcast, cfg.presence_key, cfg.presence_enabled, cfg.private) == (
        True,
        False,
        "5",
        True,
        True,
    )
    assert cfg.access_token == "u"
    assert cfg.postgres_changes == ({"event": "*", "schema": "public"},)
    assert set(cfg.invalid_fields) == {"config.broadcast.self", "config.postgres_changes"}
    assert not parse_join_payload({}).has_config
    response = join_ok_response(cfg)
    assert response == {
        "postgres_changes": [
            {"event": "*", "schema": "public", "id": binding_id({"event": "*", "schema": "public"})}
        ]
    }


@pytest.mark.parametrize("vsn", [VSN1, VSN2])
def test_fanout_caches_and_wraps(vsn: str) -> None:
    calls = []

    def wrap(data: str | bytes) -> tuple[str, str | bytes]:
        calls.append(data)
        return ("framed", data)

    fan = Fanout.text("broadcast", {"a": 1}, wrap=wrap)
    first = fan.for_receiver(vsn, "realtime:x")
    assert fan.for_receiver(vsn, "realtime:x") is first
    assert len(calls) == 1
    user = Fanout.user_broadcast("e", b'{"a":1}', 1, b'{"id":"m"}')
    expected_v1 = {
        "topic": "realtime:x",
        "event": "broadcast",
        "payload": {"event": "e", "meta": {"id": "m"}, "payload": {"a": 1}, "type": "broadcast"},
        "ref": None,
    }
    out = user.for_receiver(vsn, "realtime:x")
    if vsn == VSN1:
        assert json.loads(out) == expected_v1
    else:
        assert out == b'\x04\x0a\x01\x0a\x01realtime:xe{"id":"m"}{"a":1}'


def test_fanout_long_topic_falls_back_to_text() -> None:
    topic = "realtime:" + "x" * 300
    fan = Fanout.user_broadcast("e", b'{"a":1}', 1)
    assert json.loads(fan.for_receiver(VSN2, topic)) == [
        None,
        None,
        topic,
        "broadcast",
        {"event": "e", "payload": {"a": 1}, "type": "broadcast"},
    ]
    assert Fanout.user_broadcast("e", b"\x00", 0).for_receiver(VSN2, topic) is None


def test_deliver_and_error_channel() -> None:
    conn = joined(VSN1)
    assert not conn.deliver(Fanout.user_broadcast("e", b"\x00", 0), "realtime:room")
    assert conn.deliver(Fanout.text("broadcast", {}), "realtime:room")
    assert conn.error_channel("realtime:room") is not None
    assert wire(conn)[1] == {
        "topic": "realtime:room",
        "event": "phx_error",
        "payload": {},
        "ref": "1",
    }
