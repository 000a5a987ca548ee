"""Joins, leaves, duplicates, unmatched topics and join refusals over real sockets (§3, §4)."""

from __future__ import annotations

import time

import pytest
from server_helpers import field, token

from inspector.protocol.jwt import sign
from inspector.server import RealtimeServer, ServerConfig

OK_EMPTY = {"status": "ok", "response": {"postgres_changes": []}}


def error(reason: str) -> dict[str, object]:
    return {"status": "error", "response": {"reason": reason}}


async def test_join_reply_copies_refs(connect_client) -> None:
    c = await connect_client()
    reply = await c.join("room-1", {"broadcast": {"ack": False, "self": False}})
    jr = c.join_refs["realtime:room-1"]
    assert reply == [jr, jr, "realtime:room-1", "phx_reply", OK_EMPTY]


async def test_join_reply_in_v1_has_no_join_ref(connect_client) -> None:
    c = await connect_client("1.0.0")
    reply = await c.join("room-1")
    assert reply == {
        "topic": "realtime:room-1",
        "event": "phx_reply",
        "payload": OK_EMPTY,
        "ref": c.join_refs["realtime:room-1"],
    }


async def test_postgres_changes_bindings_are_echoed_with_ids(connect_client) -> None:
    c = await connect_client()
    bindings = [
        {"event": "INSERT", "schema": "public", "table": "todos"},
        {"event": "*", "schema": "public", "table": "notes", "filter": "id=eq.1"},
    ]
    reply = await c.join("db", {"postgres_changes": bindings})
    echoed = field(reply, "payload")["response"]["postgres_changes"]
    assert [{k: v for k, v in b.items() if k != "id"} for b in echoed] == bindings
    assert all(isinstance(b["id"], int) for b in echoed)
    assert echoed[0]["id"] != echoed[1]["id"]
    system = await c.recv()
    assert system == [
        c.join_refs["realtime:db"],
        None,
        "realtime:db",
        "system",
        {
            "extension": "postgres_changes",
            "status": "ok",
            "message": "Subscribed to PostgreSQL",
            "channel": "db",
        },
    ]


async def test_replication_ready_system_message(connect_client) -> None:
    c = await connect_client()
    await c.join("rr", {"broadcast": {"replication_ready": True}})
    system = await c.recv()
    assert field(system, "payload")["message"] == "Replication connection established"


async def test_leave_replies_ok_then_closes(connect_client) -> None:
    c = await connect_client()
    await c.join("room-1")
    jr = c.join_refs["realtime:room-1"]
    ref = await c.push("room-1", "phx_leave", {})
    assert await c.recv() == [
        jr,
        ref,
        "realtime:room-1",
        "phx_reply",
        {"status": "ok", "response": {}},
    ]
    assert await c.recv() == [jr, jr, "realtime:room-1", "phx_close", {}]
    # The channel is gone: a broadcast now gets "unmatched topic".
    ref = await c.push("room-1", "broadcast", {"event": "x", "payload": {}})
    assert await c.recv() == [None, ref, "realtime:room-1", "phx_reply", error("unmatched topic")]


async def test_leave_of_a_topic_not_joined_is_ok(connect_client) -> None:
    c = await connect_client()
    await c.send("9", "10", "realtime:never", "phx_leave", {})
    assert await c.recv() == [
        "9",
        "10",
        "realtime:never",
        "phx_reply",
        {"status": "ok", "response": {}},
    ]


@pytest.mark.parametrize(
    ("topic", "event"),
    [("realtime:nope", "broadcast"), ("other:x", "phx_join"), ("phoenix", "foo")],
)
async def test_unmatched_topic(connect_client, topic: str, event: str) -> None:
    c = await connect_client()
    await c.send("1", "7", topic, event, {})
    assert await c.recv() == [None, "7", topic, "phx_reply", error("unmatched topic")]


async def test_duplicate_join_closes_the_old_instance(connect_client) -> None:
    c = await connect_client()
    await c.send("1", "1", "realtime:dup", "phx_join", {"config": {}})
    await c.recv()
    await c.send("2", "2", "realtime:dup", "phx_join", {"config": {}})
    assert await c.recv() == ["1", "1", "realtime:dup", "phx_close", {}]
    assert await c.recv() == ["2", "2", "realtime:dup", "phx_reply", OK_EMPTY]


async def test_empty_name_is_refused(connect_client) -> None:
    c = await connect_client()
    reply = await c.join("")
    assert field(reply, "payload") == error("TopicNameRequired: You must provide a topic name")


async def test_channel_limit_refuses_the_101st() -> None:
    async with RealtimeServer(ServerConfig(port=0, max_channels_per_socket=3)) as server:
        from server_helpers import Client
        from websockets.asyncio.client import connect

        async with connect(f"{server.ws_url}?apikey={server.anon_key}&vsn=2.0.0") as ws:
            c = Client(ws, "2.0.0")
            for i in range(3):
                assert field(await c.join(f"c{i}"), "payload")["status"] == "ok"
            reply = await c.join("c3")
            assert field(reply, "payload") == error("ChannelRateLimitReached: Too many channels")


async def test_join_token_errors_have_exact_reasons(server: RealtimeServer, connect_client) -> None:
    c = await connect_client()
    now = int(time.time())
    cases = [
        (
            sign({"role": "anon", "exp": now + 60}, "x" * 40),
            "JwtSignatureError: Failed to validate JWT signature",
        ),
        ("garbage", "MalformedJWT: The token provided is not a valid JWT"),
        (
            sign({"exp": now + 60}, server.config.jwt_secret),
            "InvalidJWTToken: Fields `role` and `exp` are required in JWT",
        ),
        (
            sign({"role": "anon", "exp": "soon"}, server.config.jwt_secret),
            "InvalidJWTToken: Token expiration time is invalid",
        ),
    ]
    for i, (bad, reason) in enumerate(cases):
        reply = await c.join(f"t{i}", access_token=bad)
        assert field(reply, "payload") == error(reason)
    expired = sign({"role": "anon", "exp": now - 30}, server.config.jwt_secret)
    reason = field(await c.join("exp", access_token=expired), "payload")["response"]["reason"]
    assert reason.startswith("InvalidJWTToken: Token has expired ")
    assert reason.endswith(" seconds ago")
    assert 29 <= int(reason.split()[-3]) <= 40


async def test_user_token_wins_and_sb_token_falls_back_to_socket(
    server: RealtimeServer, connect_client
) -> None:
    c = await connect_client()
    good = token(server)
    reply = await c.join("a", access_token="garbage", user_token=good)
    assert field(reply, "payload")["status"] == "ok"
    reply = await c.join("b", access_token="sb_publishable_whatever")
    assert field(reply, "payload")["status"] == "ok"


async def test_replay_on_public_channel_is_refused(connect_client) -> None:
    c = await connect_client()
    reply = await c.join("r", {"broadcast": {"replay": {"since": 0}}})
    assert field(reply, "payload") == error(
        "UnableToReplayMessages: Replay is not allowed for public channels"
    )


async def test_invalid_config_fields_are_dropped_not_fatal(connect_client) -> None:
    c = await connect_client()
    reply = await c.join(
        "x", {"broadcast": {"ack": "TRUE", "self": 42}, "presence": 7, "private": "false"}
    )
    assert field(reply, "payload")["status"] == "ok"
    ref = await c.broadcast("x", "e", {})
    ack = await c.recv()  # "TRUE" is a flexible boolean: acks are on (§4.2)
    assert ack == [
        c.join_refs["realtime:x"],
        ref,
        "realtime:x",
        "phx_reply",
        {"status": "ok", "response": {}},
    ]


async def test_channel_error_delay_holds_the_refusal() -> None:
    """§4.3: error replies are held back (here 300 ms); the socket keeps working meanwhile."""
    config = ServerConfig(port=0, channel_error_delay_ms=300)
    async with RealtimeServer(config) as server:
        from server_helpers import Client
        from websockets.asyncio.client import connect

        async with connect(f"{server.ws_url}?apikey={server.anon_key}&vsn=2.0.0") as ws:
            c = Client(ws, "2.0.0")
            start = time.monotonic()
            await c.send("1", "1", "realtime:", "phx_join", {"config": {}})
            assert await c.barrier() == []  # heartbeats still answered at once
            reply = await c.recv()
            assert field(reply, "payload")["status"] == "error"
            assert time.monotonic() - start >= 0.3


async def test_join_refusal_fault(server: RealtimeServer, connect_client) -> None:
    server.faults.reject_joins["room-*"] = "Unauthorized: go away"
    c = await connect_client()
    assert field(await c.join("room-9"), "payload") == error("Unauthorized: go away")
    assert field(await c.join("other"), "payload")["status"] == "ok"


async def test_muted_join_replies(server: RealtimeServer, connect_client) -> None:
    server.faults.mute_join_replies = True
    c = await connect_client()
    await c.send("1", "1", "realtime:m", "phx_join", {"config": {}})
    assert await c.barrier() == []
