"""Presence: state after join, diffs to all, updates, leaves, limits (§8)."""

from __future__ import annotations

import uuid

from server_helpers import Client, field, token
from websockets.asyncio.client import connect

from inspector.server import RealtimeServer, Rules, ServerConfig
from inspector.server.rules import Rule

OK = {"status": "ok", "response": {}}


def presence(key: str, enabled: bool = True) -> dict[str, object]:
    return {"presence": {"key": key, "enabled": enabled}}


def track(meta: object) -> dict[str, object]:
    return {"type": "presence", "event": "track", "payload": meta}


async def test_state_then_diffs_to_everyone(connect_client) -> None:
    a, b = await connect_client(), await connect_client("1.0.0")
    await a.join("lobby", presence("a"))
    assert field(await a.recv(), "event") == "presence_state"
    await b.join("lobby", presence("b"))
    state = await b.recv()
    assert state == {
        "topic": "realtime:lobby",
        "event": "presence_state",
        "payload": {},
        "ref": None,
    }
    ref = await a.push("lobby", "presence", track({"online": True}))
    assert await a.recv() == [a.join_refs["realtime:lobby"], ref, "realtime:lobby", "phx_reply", OK]
    diff_a = await a.recv()
    diff_b = await b.recv()
    assert field(diff_a, "event") == "presence_diff"
    assert field(diff_a, "join_ref") is None  # fan-out (§2.6)
    assert field(diff_a, "payload") == field(diff_b, "payload")
    joins = field(diff_a, "payload")["joins"]
    assert list(joins) == ["a"]
    (meta,) = joins["a"]["metas"]
    assert meta["online"] is True
    assert isinstance(meta["phx_ref"], str)
    assert field(diff_a, "payload")["leaves"] == {}
    # a newcomer gets the current state
    c = await connect_client()
    await c.join("lobby", presence("c"))
    assert field(await c.recv(), "payload") == {"a": {"metas": [meta]}}


async def test_update_untrack_and_noop(connect_client) -> None:
    a = await connect_client()
    await a.join("p", presence("a"))
    await a.recv()
    await a.push("p", "presence", track({"v": 1}))
    await a.recv()
    first = field(await a.recv(), "payload")["joins"]["a"]["metas"][0]
    await a.push("p", "presence", track({"v": 1}))  # unchanged: ok, no diff
    assert [field(f, "event") for f in await a.barrier()] == ["phx_reply"]
    await a.push("p", "presence", track({"v": 2}))
    await a.recv()
    diff = field(await a.recv(), "payload")
    assert diff["joins"]["a"]["metas"][0]["phx_ref_prev"] == first["phx_ref"]
    assert diff["leaves"] == {"a": {"metas": [first]}}
    await a.push("p", "presence", {"event": "untrack"})
    await a.recv()
    diff = field(await a.recv(), "payload")
    assert diff["joins"] == {}
    assert list(diff["leaves"]) == ["a"]


async def test_leave_and_disconnect_remove_presence(connect_client) -> None:
    a, b, w = await connect_client(), await connect_client(), await connect_client()
    await w.join("room", presence("w"))
    await w.recv()
    for c, key in ((a, "a"), (b, "b")):
        await c.join("room", presence(key))
        await c.recv()
        await c.push("room", "presence", track({"k": key}))
    await w.barrier()
    await a.push("room", "phx_leave", {})
    diff = await w.recv_until(lambda f: field(f, "event") == "presence_diff")
    assert list(field(diff, "payload")["leaves"]) == ["a"]
    await b.ws.close()
    diff = await w.recv_until(lambda f: field(f, "event") == "presence_diff")
    assert list(field(diff, "payload")["leaves"]) == ["b"]


async def test_empty_key_is_generated(connect_client) -> None:
    a = await connect_client()
    await a.join("g", {"presence": {"key": "", "enabled": True}})
    await a.recv()
    await a.push("g", "presence", {"event": "track", "payload": {}})
    await a.recv()
    (key,) = field(await a.recv(), "payload")["joins"]
    assert uuid.UUID(key).version == 1


async def test_replies_for_odd_pushes(connect_client) -> None:
    a = await connect_client()
    await a.join("o", presence("a"))
    await a.recv()
    jr = a.join_refs["realtime:o"]
    ref = await a.push("o", "presence", {"payload": {}})  # no event: ok, nothing happens
    assert await a.barrier() == [[jr, ref, "realtime:o", "phx_reply", OK]]
    ref = await a.push("o", "presence", track("not a map"))
    assert await a.recv() == [
        jr,
        ref,
        "realtime:o",
        "phx_reply",
        {"status": "error", "response": {"reason": "Presence track payload must be a map"}},
    ]
    ref = await a.push("o", "presence", {"event": "wave"})
    assert await a.recv() == [
        jr,
        ref,
        "realtime:o",
        "phx_reply",
        {"status": "error", "response": {}},
    ]


async def test_sixth_call_in_the_window_closes_the_channel(connect_client) -> None:
    a = await connect_client()
    await a.join("rl", presence("a"))
    await a.recv()
    jr = a.join_refs["realtime:rl"]
    for i in range(5):
        await a.push("rl", "presence", track({"i": i}))
    await a.barrier()
    await a.push("rl", "presence", track({"i": 5}))
    assert await a.recv() == [
        jr,
        None,
        "realtime:rl",
        "system",
        {
            "extension": "system",
            "status": "error",
            "message": "Client presence rate limit exceeded",
            "channel": "rl",
        },
    ]
    assert await a.recv() == [jr, jr, "realtime:rl", "phx_close", {}]


async def test_private_presence_needs_permission() -> None:
    rules = Rules([Rule(("*",), ("authenticated",), frozenset({"read"}))])
    async with RealtimeServer(ServerConfig(port=0, rules=rules)) as server:
        url = f"{server.ws_url}?apikey={server.anon_key}&vsn=2.0.0"
        async with connect(url) as ws:
            c = Client(ws, "2.0.0")
            cfg = {"private": True, **presence("u")}
            reply = await c.join("club", cfg, access_token=token(server, "authenticated"))
            assert field(reply, "payload")["status"] == "ok"
            assert await c.barrier() == []  # no presence read: no presence_state
            ref = await c.push("club", "presence", track({}))
            assert await c.recv() == [
                c.join_refs["realtime:club"],
                ref,
                "realtime:club",
                "phx_reply",
                {"status": "error", "response": {}},
            ]
