"""Broadcast Replay with realtime-js 2.119 against ``serve`` (issue #15 item 2): realtime-js sends
``config.broadcast.replay`` on private channels (supabase-js packages/core/realtime-js
src/RealtimeChannel.ts) and gets the same acceptance or refusal as our client; a replayed
message (the frame the real server pushes, realtime_channel.ex ``replay/3``) reaches both with
``meta.replayed`` and ``meta.id``."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from interop_helpers import js_client, subscribe
from peers import PeerError, PeerPool

from inspector.client import BroadcastReceived, ChannelConfig, ClientSettings, RealtimeClient
from inspector.client.errors import JoinRefused
from inspector.server import RealtimeServer, ServerConfig
from inspector.server.rules import Rules

pytestmark = pytest.mark.interop

INVALID = "UnableToReplayMessages: Replay params are not valid"
PUBLIC = "UnableToReplayMessages: Replay is not allowed for public channels"
SINCE = 1767225600000
REPLAYED_ID = "0f7d3c1e-2b4a-4e8f-9d6c-5a1b2c3d4e5f"


@pytest.fixture
def server_config() -> ServerConfig:
    rules = Rules.from_data({"allow": [{"channels": ["ok-*"], "roles": ["anon"], "can": ["all"]}]})
    return ServerConfig(port=0, frame_log_size=2000, rules=rules)


class Ours:
    """Our client on the server; ``broadcast`` is set when a broadcast arrived."""

    def __init__(self, server: RealtimeServer) -> None:
        self.events: list[BroadcastReceived] = []
        self.broadcast = asyncio.Event()
        self.client = RealtimeClient(
            ClientSettings(server.url, server.anon_key), on_event=self._on_event
        )

    def _on_event(self, event: Any) -> None:
        if isinstance(event, BroadcastReceived):
            self.events.append(event)
            self.broadcast.set()

    async def join(self, config: ChannelConfig) -> str | None:
        """None when joined, else the server's reason."""
        await self.client.connect()
        try:
            await self.client.join(config, timeout=10)
        except JoinRefused as exc:
            return exc.reason
        return None


@pytest.fixture
async def ours(server: RealtimeServer) -> AsyncIterator[Ours]:
    mine = Ours(server)
    try:
        yield mine
    finally:
        await mine.client.close()


def replay_config(since: Any, limit: Any = None) -> dict[str, Any]:
    replay = {"since": since} if limit is None else {"since": since, "limit": limit}
    return {"private": True, "broadcast": {"replay": replay}}


async def test_valid_replay_is_accepted_for_both(
    server: RealtimeServer, peers: PeerPool, ours: Ours
) -> None:
    js = await js_client(peers, server)
    status = await subscribe(js, server, "a", "ok-room", config=replay_config(SINCE, 5))
    assert status["error"] is None
    config = ChannelConfig("ok-room", private=True, replay_since=SINCE, replay_limit=5)
    assert await ours.join(config) is None
    # what both sent, as the server read it
    joins = [
        f.decoded() for f in server.frames if f.direction == "in" and '"phx_join"' in str(f.data)
    ]
    replays = [j.payload["config"]["broadcast"]["replay"] for j in joins]  # type: ignore[union-attr]
    assert replays == [{"since": SINCE, "limit": 5}] * 2


async def test_bad_since_is_refused_for_both(
    server: RealtimeServer, peers: PeerPool, ours: Ours
) -> None:
    """A since past year 9999 (Elixir's DateTime cannot hold it)."""
    far = 10**16
    js = await js_client(peers, server)
    status = await subscribe(
        js, server, "a", "ok-room", config=replay_config(far), status="CHANNEL_ERROR"
    )
    assert INVALID in (status["error"] or "")
    peers.expect_errors("Replay params are not valid", kind="js", optional=True)
    reason = await ours.join(ChannelConfig("ok-room", private=True, replay_since=far))
    assert reason == INVALID


async def test_public_channel_is_refused_by_both(
    server: RealtimeServer, peers: PeerPool, ours: Ours
) -> None:
    """realtime-js refuses before sending (it throws in the channel's constructor); our client
    sends it and the server refuses with the real text. listen refuses it like realtime-js."""
    js = await js_client(peers, server)
    with pytest.raises(PeerError, match="tried to use replay on public channel"):
        await js.call(
            "channel",
            id="p",
            client="c",
            name="room",
            config={"broadcast": {"replay": {"since": SINCE}}},
        )
    reason = await ours.join(ChannelConfig("room", replay_since=SINCE))
    assert reason == PUBLIC


async def test_a_replayed_message_reaches_both_with_its_meta(
    server: RealtimeServer, peers: PeerPool, ours: Ours
) -> None:
    js = await js_client(peers, server)
    await subscribe(
        js, server, "a", "ok-room", config=replay_config(SINCE), listen={"broadcast": ["*"]}
    )
    assert await ours.join(ChannelConfig("ok-room", private=True, replay_since=SINCE)) is None
    meta = {"replayed": True, "id": REPLAYED_ID}
    # the real server's replay push: [join_ref, null, topic, "broadcast", {..., "meta"}]
    server.inject(
        "realtime:ok-room",
        {"type": "broadcast", "event": "db-insert", "payload": {"n": 1}, "meta": meta},
    )
    got = await js.expect(ev="broadcast", channel="a")
    assert got["payload"]["meta"] == meta
    assert got["payload"]["payload"] == {"n": 1}
    await asyncio.wait_for(ours.broadcast.wait(), 10)
    assert [(e.event, e.meta()) for e in ours.events] == [("db-insert", meta)]
