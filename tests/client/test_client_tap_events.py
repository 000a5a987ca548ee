"""The frame tap (with redaction) and event delivery to slow consumers."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from client_helpers import EventLog, FrameLog

from inspector.client import (
    BroadcastReceived,
    ChannelConfig,
    ChannelStateChanged,
    ConnectionState,
    ConnectionStateChanged,
    EventsDropped,
    FrameRecord,
    RealtimeClient,
)
from inspector.protocol.frames import Message, UserBroadcastPush
from inspector.protocol.jwt import CLI_DEV_SECRET, sign
from inspector.server import RealtimeServer

TOKEN = sign({"role": "authenticated", "exp": int(time.time()) + 3600, "sub": "u1"}, CLI_DEV_SECRET)


async def test_tap_records_every_frame_redacted_and_decodable(
    server: RealtimeServer, make_client: Callable[..., RealtimeClient]
) -> None:
    frames = FrameLog()
    client = make_client(on_frame=frames, access_token=TOKEN)
    await client.connect()
    await client.join(ChannelConfig("room-1", broadcast_ack=True))
    await client.send("room-1", "ping", {"n": 1})
    await client.set_access_token(TOKEN)
    server.publish_user("room-1", "pong", {"m": 2})
    log = EventLog()
    client.on_event = log
    await log.wait_for(BroadcastReceived)
    records = frames.records
    opened = records[0]
    assert (opened.direction, opened.opcode) == ("out", "open")
    assert "apikey=[redacted]" in str(opened.data)
    text = frames.text()
    leaked = server.anon_key in text  # a bool: a failure never prints the secret
    assert not leaked
    leaked = TOKEN in text  # a bool: a failure never prints the secret
    assert not leaked
    assert '"access_token":"[redacted]"' in text
    kinds = [(r.direction, type(r.decoded()).__name__) for r in records[1:]]
    assert ("out", "Message") in kinds  # the join
    assert ("in", "Message") in kinds  # its reply
    assert ("out", "UserBroadcastPush") in kinds  # kind 3
    assert ("in", "UserBroadcast") in kinds  # kind 4
    join = next(
        r for r in records if isinstance(r.decoded(), Message) and r.decoded().event == "phx_join"
    )  # type: ignore[union-attr]
    assert join.decoded().payload["access_token"] == "[redacted]"  # type: ignore[union-attr]
    push = next(r for r in records if isinstance(r.decoded(), UserBroadcastPush))
    assert push.size == len(push.data)
    assert all(r.monotonic > 0 and r.wall > 1e9 for r in records)


async def test_tap_can_reveal_and_can_be_switched_off(
    server: RealtimeServer, make_client: Callable[..., RealtimeClient]
) -> None:
    frames = FrameLog()
    client = make_client(redact_frames=False, access_token=TOKEN)
    await client.connect()
    client.on_frame = frames
    await client.join("room-1")
    joined = [r for r in frames.records if r.direction == "out"]
    assert joined
    assert not joined[0].redacted
    revealed = TOKEN in str(joined[0].data)  # on purpose; a bool, never printed
    assert revealed
    client.on_frame = None
    count = len(frames.records)
    await client.send("room-1", "quiet", {})
    await client.leave("room-1")
    assert len(frames.records) == count


async def test_slow_iterator_consumer_gets_a_drop_count_and_keeps_state_events(
    server: RealtimeServer, make_client: Callable[..., RealtimeClient]
) -> None:
    client = make_client(event_queue_size=5)
    events = client.events()
    await client.connect()
    await client.join("room-1")
    seen = EventLog()
    client.on_event = seen
    for i in range(40):
        server.publish("room-1", "flood", {"i": i})
    server.publish("room-1", "end", {})
    await seen.wait_for(BroadcastReceived, lambda e: e.event == "end")
    await client.leave("room-1")
    got = []
    async for event in events:
        got.append(event)
        if isinstance(event, ChannelStateChanged) and event.state.value == "closed":
            break
    dropped = [e for e in got if isinstance(e, EventsDropped)]
    broadcasts = [e for e in got if isinstance(e, BroadcastReceived)]
    assert len(dropped) == 1
    assert dropped[0].count == dropped[0].total == client.events_dropped
    assert len(broadcasts) + dropped[0].count == 41
    # State changes are never dropped: both connection states and the join are there.
    states = [e.state for e in got if isinstance(e, ConnectionStateChanged)]
    assert states == [ConnectionState.CONNECTING, ConnectionState.OPEN]
    assert isinstance(got[-1], ChannelStateChanged)


async def test_iterator_ends_when_the_client_closes(
    make_client: Callable[..., RealtimeClient],
) -> None:
    client = make_client()
    events = client.events()
    await client.connect()
    await client.close()
    got = [e async for e in events]
    assert [e.state for e in got if isinstance(e, ConnectionStateChanged)][-1] is (
        ConnectionState.CLOSED
    )


@pytest.mark.expect_log_errors(
    r"^the on_event callback failed$", r"^the on_frame callback failed$", logger="inspector.client"
)
async def test_a_failing_callback_does_not_stop_the_client(
    server: RealtimeServer, make_client: Callable[..., RealtimeClient]
) -> None:
    calls: list[object] = []

    def bad(event: object) -> None:
        calls.append(event)
        raise RuntimeError("consumer bug")

    def bad_tap(record: FrameRecord) -> None:
        raise RuntimeError("tap bug")

    client = make_client(on_event=bad, on_frame=bad_tap)
    await client.connect()
    await client.join("room-1")
    server.publish("room-1", "still", {})
    log = EventLog()
    client.on_event = log
    await log.wait_for(BroadcastReceived)
    assert calls
