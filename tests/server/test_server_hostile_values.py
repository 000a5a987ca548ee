"""Hostile JSON values through every entry point (QA finding 4, the server's part).

Lone surrogates, NaN, Infinity, 1e999 and deep nesting are JSON grammar Python accepts and the
real server's decoder (Jason) refuses (inspector.protocol.server_json). The real server drops
such a text frame as malformed, with no reply (§2.2), answers such a REST body 400, passes a
kind-3 payload to v2 receivers untouched (§2.3) and converts it for v1 receivers only when it
is JSON it accepts. Every test here also checks that nothing raised inside the server.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import httpx
import pytest
from server_helpers import Client, field

from inspector.protocol.frames import FrameRejected, UserBroadcast, UserBroadcastPush
from inspector.protocol.serializer import Role, decode, encode_binary
from inspector.protocol.server_json import MAX_DEPTH, TOO_DEEP
from inspector.server import RealtimeServer
from inspector.server.notes import HandlerError

OK = {"status": "ok", "response": {}}
SURROGATE_BYTES = b'{"s":"\xed\xa0\x80"}'  # U+D800 encoded as UTF-8 would encode it (CESU)
HOSTILE = {
    "lone high surrogate": b'{"s":"\\ud800"}',
    "lone low surrogate": b'{"s":"x\\udc00"}',
    "encoded surrogate": SURROGATE_BYTES,
    "NaN": b'{"n":NaN}',
    "Infinity": b'{"n":[-Infinity]}',
    "1e999": b'{"n":1e999}',
    "nested 2000 deep": b'{"d":' + b"[" * 2000 + b"]" * 2000 + b"}",
}
CASES = pytest.mark.parametrize("hostile", list(HOSTILE.values()), ids=list(HOSTILE))


def headers(key: str, content_type: str = "application/json") -> dict[str, str]:
    return {"apikey": key, "Authorization": f"Bearer {key}", "Content-Type": content_type}


@pytest.fixture
async def http():
    async with httpx.AsyncClient(timeout=5) as client:
        yield client


@pytest.fixture(autouse=True)
def nothing_raised(server: RealtimeServer, caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """No handler error noted, no error logged (a 500 logs one from aiohttp)."""
    caplog.set_level(logging.WARNING)
    mark = server.events.mark()
    yield
    assert [r.event for r in server.events.items(mark) if isinstance(r.event, HandlerError)] == []
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


async def receivers(connect_client, name: str) -> tuple[Client, Client]:
    v2, v1 = await connect_client(), await connect_client("1.0.0")
    await v1.join(name)
    await v2.join(name)
    return v2, v1


def text_push(c: Client, name: str, payload: bytes, ref: str) -> bytes:
    """A broadcast push whose user payload is the raw JSON text ``payload``, in c's vsn."""
    topic = "realtime:" + name
    jr = json.dumps(c.join_refs[topic]).encode()
    body = b'{"type":"broadcast","event":"e","payload":' + payload + b"}"
    if c.vsn == "2.0.0":
        return (
            b"["
            + jr
            + b',"'
            + ref.encode()
            + b'","'
            + topic.encode()
            + b'","broadcast",'
            + body
            + b"]"
        )
    head = b'{"topic":"' + topic.encode() + b'","event":"broadcast","ref":"' + ref.encode()
    return head + b'","join_ref":' + jr + b',"payload":' + body + b"}"


def kind3(c: Client, name: str, payload: bytes, ref: str, meta: bytes = b"", enc: int = 1) -> bytes:
    topic = "realtime:" + name
    frame = UserBroadcastPush(c.join_refs[topic], ref, topic, "e", meta, enc, payload)
    return encode_binary(frame)


# ------------------------------------------------------------------------------ REST


@CASES
async def test_rest_single_answers_400_and_publishes_nothing(
    server: RealtimeServer, connect_client, http, hostile: bytes
) -> None:
    v2, v1 = await receivers(connect_client, "sur")
    url = f"{server.url}/realtime/v1/api/broadcast/sur/events/e"
    r = await http.post(url, content=hostile, headers=headers(server.anon_key))
    assert r.status_code == 400
    assert r.json()["message"] in ("Malformed JSON body", f"JSON body {TOO_DEEP}")
    assert await v2.barrier() == []
    assert await v1.barrier() == []


@CASES
async def test_rest_batch_answers_400_and_publishes_nothing(
    server: RealtimeServer, connect_client, http, hostile: bytes
) -> None:
    v2, v1 = await receivers(connect_client, "sur")
    body = b'{"messages":[{"topic":"sur","event":"e","payload":' + hostile + b"}]}"
    r = await http.post(server.rest_url, content=body, headers=headers(server.anon_key))
    assert r.status_code == 400
    assert await v2.barrier() == []
    assert await v1.barrier() == []


# ------------------------------------------------------------------------------ websocket text


@pytest.mark.parametrize("vsn", ["2.0.0", "1.0.0"])
@CASES
async def test_text_push_is_dropped_unanswered_and_the_socket_keeps_working(
    server: RealtimeServer, connect_client, vsn: str, hostile: bytes
) -> None:
    sender = await connect_client(vsn)
    await sender.join("h", {"broadcast": {"ack": True}})
    v2, v1 = await receivers(connect_client, "h")
    mark = server.events.mark()
    await sender.ws.send(text_push(sender, "h", hostile, "90"), text=True)
    assert await sender.barrier() == []  # no ack: the real server never decoded it
    assert await v2.barrier() == []
    assert await v1.barrier() == []
    rejected = [r.event for r in server.events.items(mark) if isinstance(r.event, FrameRejected)]
    assert len(rejected) == 1
    ref = await sender.broadcast("h", "after", {"ok": True})
    reply = await sender.recv()
    assert (field(reply, "ref"), field(reply, "payload")) == (ref, OK)
    assert field(await v2.recv(), "payload")["event"] == "after"
    assert field(await v1.recv(), "payload")["event"] == "after"


async def test_nesting_beyond_the_servers_limit_is_dropped(
    server: RealtimeServer, connect_client
) -> None:
    """This server's own limit (Python recurses; Jason does not): the frame counts."""
    sender = await connect_client()
    await sender.join("deep", {"broadcast": {"ack": True}})
    (v2, _) = await receivers(connect_client, "deep")
    shallow = MAX_DEPTH - 3  # plus the envelope, the broadcast object and the "d" object
    ok = b'{"d":' + b"[" * shallow + b"]" * shallow + b"}"
    too_deep = b'{"d":' + b"[" * (shallow + 1) + b"]" * (shallow + 1) + b"}"
    mark = server.events.mark()
    await sender.ws.send(text_push(sender, "deep", too_deep, "91"), text=True)
    assert await sender.barrier() == []
    reasons = [
        r.event.reason for r in server.events.items(mark) if isinstance(r.event, FrameRejected)
    ]
    assert reasons == [f"text frame is not JSON the server accepts: {TOO_DEEP}"]
    await sender.ws.send(text_push(sender, "deep", ok, "92"), text=True)
    assert field(await sender.recv(), "payload") == OK
    got = await v2.recv()
    assert json.dumps(field(got, "payload")["payload"], separators=(",", ":")).encode() == ok


# ------------------------------------------------------------------------------ kind 3


@pytest.mark.parametrize(
    "payload", [*HOSTILE.values(), b'{"s":"\xff"}'], ids=[*HOSTILE, "not UTF-8"]
)
async def test_kind3_reaches_v2_untouched_and_v1_not_at_all(
    server: RealtimeServer, connect_client, payload: bytes
) -> None:
    """The real server does not read kind-3 bytes for v2 (§2.3) and converts them for v1 only
    when Jason accepts them (user_broadcast.ex convert_to_json_broadcast)."""
    sender = await connect_client()
    await sender.join("k3", {"broadcast": {"ack": True}})
    v2, v1 = await receivers(connect_client, "k3")
    await sender.ws.send(kind3(sender, "k3", payload, "93"))
    assert field(await sender.recv(), "payload") == OK
    assert decode(await v2.recv(), "2.0.0", Role.CLIENT) == UserBroadcast(
        "realtime:k3", "e", b"", 1, payload
    )
    assert await v1.barrier() == []


async def test_kind3_json_reaches_v1_verbatim(connect_client) -> None:
    """Jason.Fragment: the bytes are spliced in as they came, spaces and key order kept."""
    sender = await connect_client()
    await sender.join("k3v")
    _, v1 = await receivers(connect_client, "k3v")
    payload = b'{ "b" : [1, 2.50],\n "a": "\\u00e9\\ud83d\\ude00" }'
    await sender.ws.send(kind3(sender, "k3v", payload, "94"))
    raw = await v1.ws.recv()
    assert raw == (
        '{"topic":"realtime:k3v","event":"broadcast","payload":{"event":"e","payload":'
        + payload.decode()
        + ',"type":"broadcast"},"ref":null}'
    )


@pytest.mark.parametrize("meta", [b"{bad", b'{"m":NaN}', b'{"s":"\\udc00"}'])
async def test_kind3_with_metadata_jason_refuses_is_dropped(
    server: RealtimeServer, connect_client, meta: bytes
) -> None:
    """The real server decodes kind-3 metadata with Jason.decode! (v2_serializer.ex), so the
    frame is malformed: dropped, no ack, no fan-out."""
    sender = await connect_client()
    await sender.join("k3m", {"broadcast": {"ack": True}})
    v2, v1 = await receivers(connect_client, "k3m")
    mark = server.events.mark()
    await sender.ws.send(kind3(sender, "k3m", b'{"n":1}', "95", meta=meta))
    assert await sender.barrier() == []
    assert await v2.barrier() == []
    assert await v1.barrier() == []
    assert any(isinstance(r.event, FrameRejected) for r in server.events.items(mark))
    await sender.ws.send(kind3(sender, "k3m", b'{"n":2}', "96", meta=b'{"persist":true}'))
    assert field(await sender.recv(), "payload") == OK
