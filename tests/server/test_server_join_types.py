"""Pushes with values of the wrong type, answered as the real server answers them (QA finding 12).

Decided from the real server's source (inspector/server/crashes.py has the citations):

- invalid field types inside a join's ``config`` are dropped and the join goes on (§4.2,
  ``payloads/join.ex``, ``config.ex``): not a bug, tested here so it stays that way;
- a join payload that is not an object, a ``config`` that is not an object, and
  ``postgres_changes`` entries that are neither objects nor null make the join raise, which
  its ``rescue`` answers ``UnknownErrorOnChannel: …``;
- a broadcast whose payload is not an object reaches v1 receivers as it is and crashes the
  sender's channel at the first v2 receiver (``phx_error``);
- a presence push whose ``event`` is not a string crashes the channel;
- an ``access_token`` push whose token is not a string matches no clause and is ignored.
"""

from __future__ import annotations

from typing import Any

import pytest
from server_helpers import Client, field, token

from inspector.server import RealtimeServer
from inspector.server.notes import ChannelCrashed, ChannelJoined, HandlerError

OK_EMPTY = {"status": "ok", "response": {"postgres_changes": []}}
OK = {"status": "ok", "response": {}}


def error(reason: str) -> dict[str, object]:
    return {"status": "error", "response": {"reason": reason}}


async def raw_join(c: Client, name: str, payload: Any) -> Any:
    """A ``phx_join`` with ``payload`` exactly as given; returns the reply's payload."""
    topic = "realtime:" + name
    ref = c.ref()
    c.join_refs[topic] = ref
    await c.send(ref, ref, topic, "phx_join", payload)
    reply = await c.recv_until(
        lambda f: field(f, "event") == "phx_reply" and field(f, "ref") == ref
    )
    return field(reply, "payload")


@pytest.fixture(autouse=True)
def no_handler_errors(server: RealtimeServer):
    mark = server.events.mark()
    yield
    assert [r for r in server.events.items(mark) if isinstance(r.event, HandlerError)] == []


# ------------------------------------------------------------------------------ joins


@pytest.mark.parametrize(
    ("payload", "shown"),
    [(None, "nil"), ("x", '"x"'), (5, "5"), (True, "true"), ([1, "a"], '[1, "a"]')],
)
@pytest.mark.parametrize("vsn", ["2.0.0", "1.0.0"])
async def test_a_join_payload_that_is_not_an_object_is_refused(
    server: RealtimeServer, connect_client, vsn: str, payload: Any, shown: str
) -> None:
    c = await connect_client(vsn)
    mark = server.events.mark()
    reason = f"UnknownErrorOnChannel: expected params to be a :map, got: `{shown}`"
    assert await raw_join(c, "typed", payload) == error(reason)
    assert not any(isinstance(r.event, ChannelJoined) for r in server.events.items(mark))
    assert await raw_join(c, "", None) == error("TopicNameRequired: You must provide a topic name")


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ("x", "no function clause matching in Access.get/3"),
        (5, "no function clause matching in Access.get/3"),
        (False, "no function clause matching in Access.get/3"),
        (
            [],
            'the Access module supports only keyword lists (with atom keys), got: "postgres_changes"'
            "\n\nIf you want to search lists of tuples, use List.keyfind/3",
        ),
    ],
)
async def test_a_config_that_is_not_an_object_is_refused(
    connect_client, config: Any, message: str
) -> None:
    c = await connect_client()
    assert await raw_join(c, "cfg", {"config": config}) == error(
        f"UnknownErrorOnChannel: {message}"
    )


async def test_postgres_changes_entries_must_be_objects_or_null(connect_client) -> None:
    c = await connect_client()
    bad = {"config": {"postgres_changes": [None, {"event": "*", "schema": "public"}, 1]}}
    assert await raw_join(c, "pg", bad) == error("UnknownErrorOnChannel: expected a map, got: 1")
    good = {"config": {"postgres_changes": [None, {"event": "*", "schema": "public"}]}}
    reply = await raw_join(c, "pg", good)
    assert reply["status"] == "ok"
    assert [b["event"] for b in reply["response"]["postgres_changes"]] == ["*"]


async def test_the_config_crash_comes_after_the_token_check(
    server: RealtimeServer, connect_client
) -> None:
    c = await connect_client()
    expired = token(server, exp_in=-10)
    reply = await raw_join(c, "order", {"config": "x", "access_token": expired})
    assert reply["response"]["reason"].startswith("InvalidJWTToken: Token has expired")


async def test_invalid_field_types_are_dropped_and_the_join_goes_on(
    server: RealtimeServer, connect_client
) -> None:
    """Not a bug: §4.2 and payloads/join.ex, config.ex drop the bad fields (InvalidJoinPayload)."""
    c, other = await connect_client(), await connect_client()
    payload = {
        "config": {
            "broadcast": "x",
            "presence": "x",
            "private": "yes",
            "postgres_changes": "x",
        },
        "access_token": 123,  # not a string: the socket's token is used (§4.3 step 7)
    }
    assert await raw_join(c, "lenient", payload) == OK_EMPTY
    assert await raw_join(c, "null-config", {"config": None}) == OK_EMPTY
    assert await raw_join(c, "flags", {"config": {"broadcast": {"ack": "TRUE", "self": 1}}}) == (
        OK_EMPTY
    )
    # private "yes" fell back to public, broadcast "x" to ack:false
    await other.join("lenient")
    await c.broadcast("lenient", "e", {"n": 1})
    assert field(await other.recv(), "payload")["payload"] == {"n": 1}
    assert await c.barrier() == []
    # ack "TRUE" is a flexible boolean: acked
    ref = await c.broadcast("flags", "e", {})
    reply = await c.recv()
    assert (field(reply, "ref"), field(reply, "payload")) == (ref, OK)


# ------------------------------------------------------------------------------ broadcasts


async def test_a_non_object_broadcast_reaches_v1_and_crashes_the_sender_at_a_v2_receiver(
    server: RealtimeServer, connect_client
) -> None:
    sender = await connect_client()
    await sender.join("odd", {"broadcast": {"ack": True}})
    v1 = await connect_client("1.0.0")
    await v1.join("odd")  # subscribed before the v2 one, so the dispatch reaches it first
    v2 = await connect_client()
    await v2.join("odd")
    mark = server.events.mark()
    jr = sender.join_refs["realtime:odd"]
    await sender.push("odd", "broadcast", "notadict")
    assert await sender.recv() == [jr, jr, "realtime:odd", "phx_error", {}]
    assert await sender.barrier() == []  # no ack: the channel process died
    assert await v1.recv() == {
        "topic": "realtime:odd",
        "event": "broadcast",
        "payload": "notadict",
        "ref": None,
    }
    assert await v2.barrier() == []
    crashed = [r.event for r in server.events.items(mark) if isinstance(r.event, ChannelCrashed)]
    assert crashed == [ChannelCrashed(crashed[0].socket_id, "realtime:odd", crashed[0].reason)]
    # the channel is gone: a push to it is now an unmatched topic (§3)
    ref = await sender.push("odd", "broadcast", {"type": "broadcast", "event": "e"})
    reply = await sender.recv()
    assert (field(reply, "ref"), field(reply, "payload")["response"]) == (
        ref,
        {"reason": "unmatched topic"},
    )


async def test_a_non_object_broadcast_with_only_v1_receivers_is_acked(connect_client) -> None:
    sender = await connect_client("1.0.0")
    await sender.join("odd1", {"broadcast": {"ack": True, "self": True}})
    v1 = await connect_client("1.0.0")
    await v1.join("odd1")
    ref = await sender.push("odd1", "broadcast", [1, 2])
    got = [await sender.recv(), await sender.recv()]  # its own copy (self) and the ack
    assert {"payload": [1, 2], "ref": None, "event": "broadcast", "topic": "realtime:odd1"} in got
    assert {"payload": OK, "ref": ref, "event": "phx_reply", "topic": "realtime:odd1"} in got
    assert field(await v1.recv(), "payload") == [1, 2]


async def test_a_self_broadcast_sender_on_v2_crashes_alone(connect_client) -> None:
    sender = await connect_client()
    await sender.join("odd2", {"broadcast": {"self": True}})
    jr = sender.join_refs["realtime:odd2"]
    await sender.push("odd2", "broadcast", None)
    assert await sender.recv() == [jr, jr, "realtime:odd2", "phx_error", {}]


# ------------------------------------------------------------------------------ presence, tokens


@pytest.mark.parametrize("event", [5, None, ["track"]])
async def test_a_presence_event_that_is_not_a_string_crashes_the_channel(
    connect_client, event: Any
) -> None:
    c = await connect_client()
    await c.join("pres", {"presence": {"enabled": True, "key": "k"}})
    jr = c.join_refs["realtime:pres"]
    assert field(await c.recv(), "event") == "presence_state"
    await c.push("pres", "presence", {"event": event, "payload": {"a": 1}})
    assert await c.recv() == [jr, jr, "realtime:pres", "phx_error", {}]
    assert await c.barrier() == []
    # no event at all does nothing and is answered ok (§8.2)
    await c.join("pres", {"presence": {"enabled": True, "key": "k"}})
    ref = await c.push("pres", "presence", {"payload": {"a": 1}})
    reply = await c.recv_until(lambda f: field(f, "ref") == ref)
    assert field(reply, "payload") == OK


@pytest.mark.parametrize("value", [123, ["t"], {"t": 1}, True])
async def test_an_access_token_that_is_not_a_string_is_ignored(connect_client, value: Any) -> None:
    c, other = await connect_client(), await connect_client()
    await c.join("tok")
    await other.join("tok")
    await c.push("tok", "access_token", {"access_token": value})
    assert await c.barrier() == []  # no reply, no system error, no phx_close (§7.4)
    await other.broadcast("tok", "still", {})
    assert field(await c.recv(), "payload")["event"] == "still"
