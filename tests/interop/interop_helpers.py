"""Shared steps of the interop scenarios: start clients, subscribe, read the server's frame log."""

from __future__ import annotations

import time
from typing import Any

from peers import Peer, PeerPool

from inspector.protocol.frames import Decoded, Message
from inspector.protocol.jwt import sign
from inspector.server import RealtimeServer
from inspector.server.notes import ChannelJoined, SocketOpened


async def js_client(
    peers: PeerPool | Peer,
    server: RealtimeServer,
    client: str = "c",
    *,
    key: str | None = None,
    lib: str = "realtime-js",
    **options: Any,
) -> Peer:
    """A JS peer (new unless a Peer is given) with a client ``client`` on ``server``.

    realtime-js takes the ``…/realtime/v1`` URL; supabase-js takes the project URL.
    """
    peer = peers if isinstance(peers, Peer) else await peers.js()
    url = server.url if lib == "supabase-js" else server.realtime_url
    await peer.call(
        "client", id=client, lib=lib, url=url, key=key or server.anon_key, options=options
    )
    return peer


async def py_client(
    peers: PeerPool | Peer,
    server: RealtimeServer,
    client: str = "c",
    *,
    key: str | None = None,
    **options: Any,
) -> Peer:
    """A realtime-py peer with a connected client ``client`` on ``server``."""
    peer = peers if isinstance(peers, Peer) else await peers.py()
    await peer.call(
        "client", id=client, url=server.realtime_url, key=key or server.anon_key, options=options
    )
    return peer


async def subscribe(
    peer: Peer,
    server: RealtimeServer,
    channel: str,
    name: str,
    *,
    client: str = "c",
    config: dict[str, Any] | None = None,
    listen: dict[str, Any] | None = None,
    status: str = "SUBSCRIBED",
) -> dict[str, Any]:
    """Create a channel, subscribe, wait for ``status``; returns that status event."""
    await peer.call(
        "channel", id=channel, client=client, name=name, config=config or {}, listen=listen or {}
    )
    await peer.call("subscribe", channel=channel)
    return await peer.expect(ev="status", channel=channel, status=status)


async def joined_socket(server: RealtimeServer, name: str, after: int = 0) -> int:
    """The socket id of the first join of ``realtime:<name>`` after the events cursor."""
    rec = await server.events.wait_for(
        lambda r: isinstance(r.event, ChannelJoined) and r.event.topic == "realtime:" + name,
        after=after,
    )
    assert rec.socket_id is not None
    return rec.socket_id


async def opened(server: RealtimeServer, after: int = 0) -> SocketOpened:
    rec = await server.events.wait_for(lambda r: isinstance(r.event, SocketOpened), after=after)
    assert isinstance(rec.event, SocketOpened)
    return rec.event


def frames(server: RealtimeServer, socket_id: int, direction: str, after: int = 0) -> list[Decoded]:
    """Decoded frames of one socket and direction ("in"/"out") after a frame-log cursor."""
    return [
        r.decoded()
        for r in server.frames.items(after)
        if r.socket_id == socket_id and r.direction == direction
    ]


def messages(
    server: RealtimeServer, socket_id: int, direction: str, after: int = 0, event: str | None = None
) -> list[Message]:
    """Text frames only, optionally of one event."""
    return [
        f
        for f in frames(server, socket_id, direction, after)
        if isinstance(f, Message) and (event is None or f.event == event)
    ]


def user_token(server: RealtimeServer, role: str = "authenticated", exp_in: float = 3600) -> str:
    """A token signed with the server's secret."""
    return sign(
        {"role": role, "exp": int(time.time() + exp_in), "sub": "user-1"}, server.config.jwt_secret
    )
