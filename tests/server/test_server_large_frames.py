"""Large messages take turns across sockets; small ones do not wait for them (issue #10 item 4).

A 3 MB frame keeps the loop busy for milliseconds; the server handles one large message at a
time (``RealtimeServer.large_frames``) and lets the small messages that are ready go first, so
sockets sending large frames at once delay a small one by one frame, not by all of them. The
latency itself is measured by benchmarks/server_attacks.py; this checks the mechanism.
"""

from __future__ import annotations

import asyncio
from typing import Any

from server_helpers import _field

from inspector.server import RealtimeServer


def _broadcast(frame: Any) -> bool:
    return _field(frame, "event") == "broadcast"


async def test_a_large_message_waits_its_turn_and_small_ones_go_on(
    server: RealtimeServer, connect_client: Any
) -> None:
    big, small = await connect_client(), await connect_client()
    await big.join("big", {"broadcast": {"self": True}})
    await small.join("small", {"broadcast": {"self": True}})
    pad = "x" * 400_000
    async with server.large_frames:  # as if another socket were handling a large message
        await big.broadcast("big", "large", {"pad": pad})
        behind = asyncio.create_task(big.barrier())  # its heartbeat queues behind the large one
        await small.broadcast("small", "tiny", {"n": 1})
        got = await small.recv_until(_broadcast)
        assert _field(got, "payload")["payload"] == {"n": 1}
        assert not behind.done()
    seen = await behind  # once the turn comes, the large message is handled, in order
    delivered = [f for f in seen if _broadcast(f)]
    assert [_field(f, "payload")["payload"]["pad"] == pad for f in delivered] == [True]


async def test_small_messages_of_a_socket_do_not_take_the_large_message_lock(
    server: RealtimeServer, connect_client: Any
) -> None:
    client = await connect_client()
    await client.join("room", {"broadcast": {"self": True}})
    async with server.large_frames:
        await client.broadcast("room", "e", {"pad": "y" * 200_000})  # under the threshold
        got = await client.recv_until(_broadcast)
    assert len(_field(got, "payload")["payload"]["pad"]) == 200_000
