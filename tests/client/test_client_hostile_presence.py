"""A hostile server's presence diff with a list or object ``phx_ref`` (issue #10 item 10):
the real client reports a rejected frame and stays connected, no exception, no reconnect."""

from __future__ import annotations

from collections.abc import Callable

from client_helpers import EventLog

from inspector.client import (
    BroadcastReceived,
    ChannelConfig,
    ConnectionState,
    ConnectionStateChanged,
    FrameRejected,
    PresenceChanged,
    RealtimeClient,
)
from inspector.server import RealtimeServer

TOPIC = "realtime:room-1"


async def test_list_or_object_phx_ref_is_a_rejected_frame_not_a_reconnect(
    server: RealtimeServer, make_client: Callable[..., RealtimeClient]
) -> None:
    log = EventLog()
    client = make_client(on_event=log)
    await client.connect()
    await client.join(ChannelConfig("room-1", presence_enabled=True, presence_key="me"))
    await log.wait_for(PresenceChanged, lambda e: e.kind == "state")
    mark = log.mark()
    hostile = [
        {"joins": {"mallory": {"metas": [{"phx_ref": ["x"], "name": "m"}]}}, "leaves": {}},
        {"joins": {"mallory": {"metas": [{"phx_ref": "ok-1"}]}}, "leaves": {}},
        {"joins": {"mallory": {"metas": [{"phx_ref": {"a": 1}}]}}, "leaves": {}},
        {"joins": {}, "leaves": {"mallory": {"metas": [{"phx_ref": [1, 2]}]}}},
        {"joins": {"eve": {"metas": [{"phx_ref": "e1", "phx_ref_prev": ["p"]}]}}, "leaves": {}},
    ]
    for payload in hostile:
        assert server.inject(TOPIC, payload, event="presence_diff") == 1
    server.publish("room-1", "after", {"ok": True})
    got = await log.wait_for(BroadcastReceived, after=mark)
    assert got.event == "after"
    rejected = log.of(FrameRejected, mark)
    assert len(rejected) == 4
    assert all("presence_diff on realtime:room-1" in r.reason for r in rejected)
    assert "phx_ref must be a string, got a list" in rejected[0].reason
    assert "phx_ref_prev must be a string" in rejected[3].reason
    last = log.of(PresenceChanged, mark)[-1]
    assert [m["phx_ref"] for m in last.state["mallory"]] == ["ok-1"]
    assert "eve" not in last.state
    assert client.state is ConnectionState.OPEN
    assert log.of(ConnectionStateChanged, mark) == []
