"""Issue #10 item 7: the frame limit is exact (§1.5: messages *over* 5,000,000 bytes close the
socket). A message of exactly 5,000,000 bytes is served; one byte more closes with 1009."""

from __future__ import annotations

import asyncio
import contextlib
import json

import pytest
from server_helpers import TIMEOUT, url_for
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from inspector.server import RealtimeServer, ServerConfig

LIMIT = 5_000_000


def heartbeat_of(size: int, binary: bool = False) -> str | bytes:
    """A heartbeat text frame (or a kind-3 push, binary) of exactly ``size`` bytes."""
    if binary:
        head = bytes([3, 0, 9, 1, 0]) + b"room" + b"\x00\x00\x00\x00\x00"
        return head + b"x" * (size - len(head))
    empty = json.dumps([None, "1", "phoenix", "heartbeat", {"pad": ""}], separators=(",", ":"))
    frame = empty.replace('"pad":""', '"pad":"' + "x" * (size - len(empty)) + '"')
    assert len(frame.encode()) == size
    return frame


@pytest.mark.parametrize("size", [LIMIT - 1, LIMIT])
async def test_a_message_of_exactly_the_limit_is_served(size: int) -> None:
    async with RealtimeServer(ServerConfig(port=0)) as server:
        assert server.config.max_frame_bytes == LIMIT
        async with connect(url_for(server), open_timeout=TIMEOUT) as ws:
            await ws.send(heartbeat_of(size))
            reply = json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))
            assert reply[1] == "1"
            assert reply[4]["status"] == "ok"


@pytest.mark.parametrize("binary", [False, True])
async def test_one_byte_over_the_limit_closes_with_1009(
    server: RealtimeServer, binary: bool
) -> None:
    async with connect(url_for(server), open_timeout=TIMEOUT) as ws:
        with contextlib.suppress(ConnectionClosed):  # it may close while we still send
            await ws.send(heartbeat_of(LIMIT + 1, binary))
        await asyncio.wait_for(ws.wait_closed(), TIMEOUT)
        assert ws.close_code == 1009


async def test_a_fragmented_message_counts_as_a_whole(server: RealtimeServer) -> None:
    async with connect(url_for(server), open_timeout=TIMEOUT) as ws:
        frame = heartbeat_of(LIMIT)
        assert isinstance(frame, str)
        await ws.send([frame[: LIMIT // 2], frame[LIMIT // 2 :]])  # two fragments
        assert json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))[4]["status"] == "ok"
        over = frame + "x"
        with contextlib.suppress(ConnectionClosed):
            await ws.send([over[: LIMIT // 2], over[LIMIT // 2 :]])
        await asyncio.wait_for(ws.wait_closed(), TIMEOUT)
        assert ws.close_code == 1009
