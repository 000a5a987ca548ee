"""Channels against the local server: configs, join errors and rejoin, timeouts, leave, private
channels, presence and tokens (docs/realtime-protocol.md §4, §7.2, §7.4, §8, §9.3)."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from client_helpers import EventLog

from inspector.client import (
    BroadcastReceived,
    ChannelCause,
    ChannelClosed,
    ChannelConfig,
    ChannelState,
    ChannelStateChanged,
    ClientStateError,
    ErrorOccurred,
    JoinRefused,
    JoinTimedOut,
    PresenceChanged,
    PushStatus,
    RealtimeClient,
    SystemMessage,
)
from inspector.protocol.jwt import CLI_DEV_SECRET, sign
from inspector.protocol.server_events import AccessTokenPushed
from inspector.server import RealtimeServer, Rules, ServerConfig

DENIED = "Unauthorized: You do not have permissions to read from this Channel topic: denied"


@pytest.fixture
def server_config() -> ServerConfig:
    rules = Rules.from_data(
        {"allow": [{"channels": ["allowed", "shared"], "roles": ["anon"], "can": ["all"]}]}
    )
    return ServerConfig(port=0, frame_log_size=2000, rules=rules)


async def test_many_channels_with_their_own_config_on_one_socket(
    server: RealtimeServer, make_client: Callable[..., RealtimeClient]
) -> None:
    log = EventLog()
    client = make_client(on_event=log)
    await client.connect()
    await client.join(ChannelConfig("a", broadcast_self=True))
    await client.join(
        ChannelConfig("b", broadcast_ack=True, presence_key="me", presence_enabled=True)
    )
    await client.join(ChannelConfig("c", events=("Ping",)))
    [sock] = server.sockets
    configs = {t: ch.config for t, ch in sock.conn.channels.items()}
    assert configs["realtime:a"].self_broadcast is True
    assert configs["realtime:b"].ack is True
    assert configs["realtime:b"].presence_key == "me"
    assert configs["realtime:c"].self_broadcast is False
    # The event filter of "c" is matched without regard to case (§5.3).
    for name, event in (("a", "x"), ("c", "PING"), ("c", "pong"), ("b", "y")):
        server.publish(name, event, {"to": name})
    got = await log.wait_count(BroadcastReceived, 3)
    assert sorted((e.topic, e.event) for e in got) == [
        ("realtime:a", "x"),
        ("realtime:b", "y"),
        ("realtime:c", "PING"),
    ]


async def test_join_refused_reports_the_reason_then_rejoins(
    server: RealtimeServer, make_client: Callable[..., RealtimeClient]
) -> None:
    log = EventLog()
    client = make_client(on_event=log, rejoin_schedule=(0.2,))
    await client.connect()
    reason = "Unauthorized: You do not have permissions to read from this Channel topic: x"
    server.faults.reject_joins = {"x": reason}
    with pytest.raises(JoinRefused) as info:
        await client.join("x")
    assert info.value.reason == reason
    err = log.of(ChannelStateChanged)[-1]
    assert (err.state, err.cause, err.reason, err.retry_in) == (
        ChannelState.ERRORED,
        ChannelCause.JOIN_ERROR,
        reason,
        0.2,
    )
    assert isinstance(log.of(ErrorOccurred)[-1].error, JoinRefused)
    mark = log.mark()
    server.faults.reject_joins = {}
    await log.wait_for(ChannelStateChanged, lambda e: e.state is ChannelState.JOINED, after=mark)
    assert client.channels["realtime:x"].state is ChannelState.JOINED


async def test_join_timeout_sends_leave_and_rejoins(
    server: RealtimeServer, make_client: Callable[..., RealtimeClient]
) -> None:
    log = EventLog()
    client = make_client(on_event=log, join_timeout=0.3, rejoin_schedule=(0.2,))
    await client.connect()
    server.faults.mute_join_replies = True
    mark = server.frames.mark()
    with pytest.raises(JoinTimedOut, match="timed out"):
        await client.join("slow")
    # phoenix sends phx_leave after a join timeout (§7.2); the server saw it.
    await server.frames.wait_for(
        lambda r: r.direction == "in" and getattr(r.decoded(), "event", "") == "phx_leave",
        after=mark,
    )
    server.faults.mute_join_replies = False
    await log.wait_for(ChannelStateChanged, lambda e: e.state is ChannelState.JOINED)


async def test_leave_closes_and_removes_the_channel(
    server: RealtimeServer, make_client: Callable[..., RealtimeClient]
) -> None:
    client = make_client()
    await client.connect()
    await client.join("room-1")
    await client.leave("room-1")
    assert "realtime:room-1" not in client.channels
    assert "realtime:room-1" not in server.sockets[0].conn.channels
    with pytest.raises(ClientStateError, match="not joined"):
        await client.send("room-1", "e", {})
    await client.join("x", wait=False)
    with pytest.raises(ClientStateError, match="already"):
        await client.join("x", wait=False)


async def test_private_allowed_refused_and_isolated_from_public(
    server: RealtimeServer, make_client: Callable[..., RealtimeClient]
) -> None:
    public_log, private_log = EventLog(), EventLog()
    public = make_client(on_event=public_log)
    private = make_client(on_event=private_log)
    await public.connect()
    await private.connect()
    with pytest.raises(JoinRefused) as info:
        await private.join(ChannelConfig("denied", private=True))
    assert info.value.reason == DENIED
    await public.join(ChannelConfig("shared"))
    await private.join(ChannelConfig("shared", private=True, broadcast_ack=True))
    ack = await private.send("shared", "secret", {"p": 1})
    assert ack.status is PushStatus.OK
    assert (await public.send("shared", "open", {"q": 1})).status is PushStatus.SENT
    rest = await public.rest_send("shared", "rest-private", {"r": 1}, private=True)
    assert rest.status == 202
    server.publish("shared", "public-marker", {})
    server.publish("shared", "private-marker", {}, private=True)
    await public_log.wait_for(BroadcastReceived, lambda e: e.event == "public-marker")
    await private_log.wait_for(BroadcastReceived, lambda e: e.event == "private-marker")
    assert [e.event for e in public_log.of(BroadcastReceived)] == ["public-marker"]
    assert [e.event for e in private_log.of(BroadcastReceived)] == [
        "rest-private",
        "private-marker",
    ]


async def test_presence_track_and_untrack_between_two_clients(
    make_client: Callable[..., RealtimeClient],
) -> None:
    log_a, log_b = EventLog(), EventLog()
    a, b = make_client(on_event=log_a), make_client(on_event=log_b, vsn="1")
    for client, key in ((a, "alice"), (b, "bob")):
        await client.connect()
        await client.join(ChannelConfig("lobby", presence_key=key, presence_enabled=True))
    assert (await a.track("lobby", {"online": True})).status is PushStatus.OK
    joined = await log_b.wait_for(PresenceChanged, lambda e: "alice" in e.state)
    [meta] = joined.state["alice"]
    assert meta["online"] is True
    assert "phx_ref" in meta
    await a.untrack("lobby")
    await log_b.wait_for(PresenceChanged, lambda e: "alice" in e.leaves and "alice" not in e.state)
    assert b.channels["realtime:lobby"].presence.state.get("alice") is None


async def test_token_refresh_is_pushed_and_expiry_closes_for_good(
    server: RealtimeServer, make_client: Callable[..., RealtimeClient]
) -> None:
    log = EventLog()
    soon = int(time.time()) + 2
    token = sign({"role": "anon", "exp": soon}, CLI_DEV_SECRET)
    client = make_client(on_event=log, access_token=token)
    await client.connect()
    await client.join("room-1")
    fresh = sign({"role": "anon", "exp": soon, "sub": "refreshed"}, CLI_DEV_SECRET)
    mark = server.events.mark()
    await client.set_access_token(fresh)
    pushed = await server.events.wait_for(
        lambda r: isinstance(r.event, AccessTokenPushed), after=mark
    )
    assert pushed.event.token == fresh
    # The server's watchdog: system error, then phx_close; no rejoin follows (§7.4).
    system = await log.wait_for(SystemMessage, lambda e: e.status == "error", timeout=10)
    assert system.message.startswith("Token has expired")
    closed = await log.wait_for(ErrorOccurred, lambda e: isinstance(e.error, ChannelClosed))
    assert closed.error.message.endswith(system.message)
    assert client.channels["realtime:room-1"].state is ChannelState.CLOSED
