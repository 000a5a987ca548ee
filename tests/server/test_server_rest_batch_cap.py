"""Issue #10 item 7: a REST batch can no longer hold the server's loop.

The real server refuses a batch whose size plus the tenant's current event rate exceeds
``max_events_per_second`` (default 100) with 429 "Too many messages to broadcast, please reduce
the batch size" (supabase/realtime: lib/realtime/tenants/batch_broadcast.ex
``check_rate_limit``; §6.2). Locally the rate limit is off by default, so the server has a cap
of its own (``max_batch_messages``, 10,000) answered the same way, applies the real rule when
``--max-events-per-second`` is set, and fans a batch out in slices, letting other sockets in
between (benchmarks/rest_batch.py measures the stall).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
from server_helpers import TIMEOUT, Client, field, url_for
from websockets.asyncio.client import connect

from inspector.server import RealtimeServer, ServerConfig
from inspector.server.notes import RestBroadcast

TOO_MANY = {"message": "Too many messages to broadcast, please reduce the batch size"}


def batch(n: int, topic: str = "room") -> dict[str, Any]:
    return {"messages": [{"topic": topic, "event": "e", "payload": {"n": i}} for i in range(n)]}


async def post(server: RealtimeServer, body: dict[str, Any]) -> httpx.Response:
    async with httpx.AsyncClient(timeout=60) as http:
        return await http.post(server.rest_url, json=body, headers={"apikey": server.anon_key})


async def test_default_cap_is_ten_thousand() -> None:
    assert ServerConfig().max_batch_messages == 10_000


async def test_over_the_cap_gets_429_and_nothing_is_sent() -> None:
    server = RealtimeServer(ServerConfig(port=0, max_batch_messages=50))
    async with server, connect(url_for(server)) as ws:
        sub = Client(ws, "2.0.0")
        await sub.join("room")
        r = await post(server, batch(51))
        assert (r.status_code, r.json()) == (429, TOO_MANY)
        assert await sub.barrier() == []
        r = await post(server, batch(50))
        assert r.status_code == 202
        got = await sub.barrier()
        assert [field(f, "payload")["payload"]["n"] for f in got] == list(range(50))


async def test_with_a_rate_limit_the_real_rule_applies() -> None:
    config = ServerConfig(port=0, max_events_per_second=100, events_window_s=60)
    async with RealtimeServer(config) as server:
        r = await post(server, batch(101))
        assert (r.status_code, r.json()) == (429, TOO_MANY)
        # a 422 comes first, as there (the changeset is checked before the rate)
        bad = batch(101)
        bad["messages"][0]["event"] = ""
        assert (await post(server, bad)).status_code == 422
        r = await post(server, batch(100))
        assert r.status_code == 202


async def test_other_sockets_are_served_while_a_batch_fans_out(
    server: RealtimeServer, connect_client
) -> None:
    """A heartbeat sent once the batch has started is answered before the batch ends."""
    reader = await connect_client()
    await reader.join("room")
    other = await connect_client()
    mark = server.events.mark()
    request = asyncio.create_task(post(server, batch(server.config.max_batch_messages)))
    first = await reader.recv_until(lambda f: field(f, "event") == "broadcast")
    assert field(first, "payload")["payload"] == {"n": 0}
    await other.barrier()  # a heartbeat round trip
    done = [r for r in server.events.items(mark) if isinstance(r.event, RestBroadcast)]
    assert done == [], "the heartbeat waited for the whole batch"
    assert (await asyncio.wait_for(request, TIMEOUT * 6)).status_code == 202
    last = server.config.max_batch_messages - 1
    n = 0
    while n < last:  # in order, to the last one
        frame = await reader.recv()
        assert field(frame, "payload")["payload"]["n"] == n + 1
        n += 1


async def test_a_big_body_is_read_only_up_to_the_cap() -> None:
    """Parsing stops at the first message past the cap: what follows is never read (here it is
    not even JSON, which a whole-body parse would answer with 400)."""
    server = RealtimeServer(ServerConfig(port=0, max_batch_messages=50))
    pad = "x" * 6000
    messages = ",".join(
        json.dumps({"topic": "room", "event": "e", "payload": {"pad": pad}}) for _ in range(51)
    )
    raw = ('{"messages":[' + messages + ", this is not JSON").encode()
    assert len(raw) > 256 * 1024  # read in slices
    async with server, httpx.AsyncClient(timeout=TIMEOUT) as http:
        r = await http.post(
            server.rest_url,
            content=raw,
            headers={"apikey": server.anon_key, "content-type": "application/json"},
        )
        assert (r.status_code, r.json()) == (429, TOO_MANY)
        within = ('{"messages":[' + messages.split("},", 1)[1] + ", this is not JSON").encode()
        r = await http.post(  # 50 messages: read to the (bad) end, 400
            server.rest_url,
            content=within,
            headers={"apikey": server.anon_key, "content-type": "application/json"},
        )
        assert r.status_code == 400
