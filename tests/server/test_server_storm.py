"""A seeded storm of hostile JSON through every entry point, checked against an oracle.

Lone surrogates (escaped, UTF-8-encoded and as code points), NaN, Infinity, 1e999, 5,000-digit
integers and nesting around and far beyond the server's limit, inside random structures, go in
through websocket v2 text, v1 text, kind 3 (JSON and raw), REST batch and REST single (JSON and
octet-stream). For each message the oracle (strict_json.py, independent of the server's code)
says whether the real server's decoder accepts it, hence who must receive it and what the sender
is answered; the test checks exactly that, that every text frame sent out is strict JSON, that
nothing raised in the server and that every socket is still open and working afterwards.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections import defaultdict

import httpx
import pytest
from server_helpers import TIMEOUT, Client, field
from strict_json import oracle

from inspector.protocol.frames import UserBroadcast, UserBroadcastPush
from inspector.protocol.serializer import Role, decode, encode_binary
from inspector.protocol.server_json import MAX_DEPTH
from inspector.server import RealtimeServer, ServerConfig
from inspector.server.notes import HandlerError

NAME = "storm"
TOPIC = "realtime:" + NAME
LEAVES = [
    "NaN",
    "-Infinity",
    "Infinity",
    "1e999",
    "-1E+400",
    "1" + "0" * 320 + ".5",
    "1" * 5000,
    "1e308",
    "1e-999",
    "-0",
    "2.5",
    "null",
    "true",
    '"\\ud800"',
    '"\\udfff"',
    '"a\\ud800\\ud800b"',
    '"\\ud83d\\ude00"',
    '"\\\\ud800"',
    '"\ud800"',  # a code point: sent as UTF-8-encoded bytes (ED A0 80)
    '"é 世界 🎉"',
    '"\\u0000"',
    '""',
]


@pytest.fixture
def server_config() -> ServerConfig:
    return ServerConfig(port=0, frame_log_size=0)


def value(rng: random.Random, depth: int = 0) -> str:
    """Random JSON text with hostile leaves; now and then nested near or far past the limit."""
    roll = rng.random()
    if depth == 0 and roll < 0.06:
        n = rng.choice([MAX_DEPTH - 10, MAX_DEPTH + 5, 3000])
        return "[" * n + rng.choice(LEAVES) + "]" * n
    if depth < 3 and roll < 0.35:
        kids = [value(rng, depth + 1) for _ in range(rng.randint(0, 3))]
        return "[" + ",".join(kids) + "]"
    if depth < 3 and roll < 0.6:
        keys = ['"a"', '"b"', '"\\udc00"', '"k"']
        pairs = [f"{rng.choice(keys)}:{value(rng, depth + 1)}" for _ in range(rng.randint(0, 3))]
        return "{" + ",".join(pairs) + "}"
    return rng.choice(LEAVES)


def wire(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


def event_of(frame: str | bytes) -> str:
    """The user event of a broadcast frame in any format."""
    if isinstance(frame, bytes):
        decoded = decode(frame, "2.0.0", Role.CLIENT)
        assert isinstance(decoded, UserBroadcast)
        return decoded.user_event
    message = json.loads(frame)
    payload = field(message, "payload")
    return payload["event"]


async def test_storm_through_every_entry_point(
    server: RealtimeServer, connect_client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    rng = random.Random(20261128)
    mark = server.events.mark()
    sv2, sv1 = await connect_client(), await connect_client("1.0.0")
    rv2, rv1 = await connect_client(), await connect_client("1.0.0")
    clients = {"sv2": sv2, "sv1": sv1, "rv2": rv2, "rv1": rv1}
    for c in clients.values():
        await c.join(NAME, {"broadcast": {"ack": True}})
    v2s = {"sv2", "rv2"}
    expected: dict[str, set[str]] = defaultdict(set)  # client -> events it must receive
    acks: dict[str, set[str]] = defaultdict(set)  # sender -> refs it must get ok for
    statuses: list[tuple[int, int]] = []  # (expected, got) per REST call
    raw_kind3: dict[str, bytes] = {}
    key = server.anon_key
    headers = {"apikey": key, "Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(timeout=10) as http:
        for i in range(160):
            ev, ref, text = f"e{i}", str(1000 + i), value(rng)
            route = rng.choice(["v2", "v1", "k3", "k3raw", "batch", "single", "octets"])
            everyone = set(clients)
            if route in ("v2", "v1"):
                c: Client = sv2 if route == "v2" else sv1
                jr = c.join_refs[TOPIC]
                body = f'{{"type":"broadcast","event":"{ev}","payload":{text}}}'
                if route == "v2":
                    frame = f'["{jr}","{ref}","{TOPIC}","broadcast",{body}]'
                else:
                    frame = f'{{"topic":"{TOPIC}","event":"broadcast","payload":{body},"ref":"{ref}","join_ref":"{jr}"}}'
                await c.ws.send(wire(frame), text=True)
                if oracle(wire(frame)):
                    sender = "s" + route
                    acks[sender].add(ref)
                    for name in everyone - {sender}:
                        expected[name].add(ev)
            elif route in ("k3", "k3raw"):
                data = wire(text) if route == "k3" else rng.randbytes(rng.randint(0, 40))
                enc = 1 if route == "k3" else 0
                jr = sv2.join_refs[TOPIC]
                await sv2.ws.send(
                    encode_binary(UserBroadcastPush(jr, ref, TOPIC, ev, b"", enc, data))
                )
                raw_kind3[ev] = data
                acks["sv2"].add(ref)  # the real server acks without reading the bytes
                expected["rv2"].add(ev)
                if enc == 1 and oracle(data):
                    expected["rv1"].add(ev)
                    expected["sv1"].add(ev)
            elif route == "batch":
                body = f'{{"messages":[{{"topic":"{NAME}","event":"{ev}","payload":{text}}}]}}'
                r = await http.post(server.rest_url, content=wire(body), headers=headers)
                want = 400
                if oracle(wire(body)):
                    want = 202 if isinstance(json.loads(text), dict) else 422
                statuses.append((want, r.status_code))
                if want == 202:
                    for name in everyone:
                        expected[name].add(ev)
            else:
                url = f"{server.url}/realtime/v1/api/broadcast/{NAME}/events/{ev}"
                ctype = "application/json" if route == "single" else "application/octet-stream"
                r = await http.post(
                    url, content=wire(text), headers={**headers, "Content-Type": ctype}
                )
                accepted = route == "octets" or oracle(wire(text))
                statuses.append((202 if accepted else 400, r.status_code))
                if accepted:
                    for name in v2s if route == "octets" else everyone:
                        expected[name].add(ev)
        # a last good message through each route, so the sockets are proven to still work
        for c, route in ((sv2, "v2"), (sv1, "v1")):
            ev = "final-" + route
            acks["s" + route].add(await c.broadcast(NAME, ev, {"ok": True}))
            for name in set(clients) - {"s" + route}:
                expected[name].add(ev)
        r = await http.post(
            server.rest_url,
            json={"messages": [{"topic": NAME, "event": "final-rest", "payload": {}}]},
            headers=headers,
        )
        statuses.append((202, r.status_code))
        for name in clients:
            expected[name].add("final-rest")

    assert [s for s in statuses if s[0] != s[1]] == []
    for name, c in clients.items():
        got: set[str] = set()
        got_acks: set[str] = set()
        for raw in await raw_barrier(c):
            if isinstance(raw, str):
                assert oracle(raw), raw[:200]  # every text frame out is strict JSON
                frame = json.loads(raw)
                if field(frame, "event") == "phx_reply":
                    assert field(frame, "payload") == {"status": "ok", "response": {}}
                    got_acks.add(field(frame, "ref"))
                    continue
            ev = event_of(raw)
            if isinstance(raw, bytes) and ev in raw_kind3:
                assert decode(raw, "2.0.0", Role.CLIENT).payload == raw_kind3[ev]
            got.add(ev)
        assert got == expected[name], name
        assert got_acks == acks[name], name
    assert len(server.sockets) == 4
    assert [r for r in server.events.items(mark) if isinstance(r.event, HandlerError)] == []
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


async def raw_barrier(c: Client) -> list[str | bytes]:
    """Every frame, unparsed, the server sent before answering a fresh heartbeat."""
    ref = "hb-" + c.ref()
    await c.send(None, ref, "phoenix", "heartbeat", {})
    seen: list[str | bytes] = []
    async with asyncio.timeout(TIMEOUT):
        while True:
            raw = await c.ws.recv()
            if isinstance(raw, str) and f'"{ref}"' in raw and "phx_reply" in raw:
                return seen
            seen.append(raw)
