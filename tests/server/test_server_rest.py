"""REST broadcast endpoints: statuses, bodies and what subscribers receive (§6)."""

from __future__ import annotations

import httpx
import pytest
from server_helpers import Client, field, token
from websockets.asyncio.client import connect

from inspector.protocol.frames import UserBroadcast
from inspector.protocol.serializer import Role, decode
from inspector.server import RealtimeServer, Rules, ServerConfig
from inspector.server.notes import RestBroadcast
from inspector.server.rules import Rule


def headers(key: str, content_type: str = "application/json") -> dict[str, str]:
    return {"apikey": key, "Authorization": f"Bearer {key}", "Content-Type": content_type}


@pytest.fixture
async def http():
    async with httpx.AsyncClient(timeout=5) as client:
        yield client


async def test_batch_reaches_v1_and_v2_with_meta_id(
    server: RealtimeServer, connect_client, http
) -> None:
    v2, v1 = await connect_client(), await connect_client("1.0.0")
    await v2.join("room-1")
    await v1.join("room-1")
    body = {
        "messages": [
            {"topic": "room-1", "event": "a", "payload": {"n": 1}},
            {"topic": "room-1", "event": "b", "payload": {"n": 2}, "id": "m-2", "private": False},
        ]
    }
    # realtime-js copies the websocket query into the URL; it must be ignored (§6.3).
    url = f"{server.rest_url}?apikey={server.anon_key}&vsn=2.0.0&log_level=info"
    r = await http.post(url, json=body, headers=headers(server.anon_key))
    assert (r.status_code, r.content) == (202, b"")
    assert r.headers["access-control-allow-origin"] == "*"
    assert await v2.recv() == [
        None,
        None,
        "realtime:room-1",
        "broadcast",
        {"type": "broadcast", "event": "a", "payload": {"n": 1}},
    ]
    assert field(await v2.recv(), "payload") == {
        "type": "broadcast",
        "event": "b",
        "payload": {"n": 2},
        "meta": {"id": "m-2"},
    }
    assert field(await v1.recv(), "payload")["event"] == "a"
    assert field(await v1.recv(), "payload")["meta"] == {"id": "m-2"}
    note = await server.events.wait_for(lambda r: isinstance(r.event, RestBroadcast))
    assert note.event == RestBroadcast(
        "/realtime/v1/api/broadcast", ("apikey", "vsn", "log_level"), 202, 2, 4
    )


async def test_unauthorized(server: RealtimeServer, http) -> None:
    for hdrs in ({}, {"apikey": "garbage"}, {"Authorization": "Bearer garbage"}):
        r = await http.post(server.rest_url, json={"messages": []}, headers=hdrs)
        assert (r.status_code, r.json()) == (401, {"message": "Unauthorized"})
    r = await http.post(f"{server.rest_url}/room-1/events/e", json={}, headers={})
    assert (r.status_code, r.json()) == (401, {"message": "Unauthorized"})


async def test_bearer_scheme_in_any_case_and_apikey_alone(server: RealtimeServer, http) -> None:
    body = {"messages": [{"topic": "x", "event": "e", "payload": {}}]}
    r = await http.post(
        server.rest_url, json=body, headers={"authorization": f"bEaReR {server.anon_key}"}
    )
    assert r.status_code == 202
    r = await http.post(server.rest_url, json=body, headers={"apikey": server.anon_key})
    assert r.status_code == 202


async def test_batch_validation_errors(server: RealtimeServer, http) -> None:
    body = {
        "messages": [
            {"topic": "x", "payload": {}},
            {"topic": "x", "event": "e", "payload": {}},
            {"topic": "", "event": "e", "payload": [1]},
        ]
    }
    r = await http.post(server.rest_url, json=body, headers=headers(server.anon_key))
    assert r.status_code == 422
    assert r.json() == {
        "errors": {
            "messages": [
                {"event": ["can't be blank"]},
                {},
                {"topic": ["can't be blank"], "payload": ["is invalid"]},
            ]
        }
    }
    r = await http.post(server.rest_url, json={}, headers=headers(server.anon_key))
    assert (r.status_code, r.json()) == (422, {"errors": {"messages": ["can't be blank"]}})


async def test_single_json_is_kind4_and_v1_gets_json(
    server: RealtimeServer, connect_client, http
) -> None:
    v2, v1 = await connect_client(), await connect_client("1.0.0")
    await v2.join("room 1/é")
    await v1.join("room 1/é")
    url = f"{server.url}/realtime/v1/api/broadcast/room%201%2F%C3%A9/events/ev2?apikey=x&vsn=2.0.0"
    r = await http.post(url, content=b'{"b":2}', headers=headers(server.anon_key))
    assert r.status_code == 202
    frame = decode(await v2.recv(), "2.0.0", Role.CLIENT)
    assert frame == UserBroadcast("realtime:room 1/é", "ev2", b"", 1, b'{"b":2}')
    assert field(await v1.recv(), "payload") == {
        "event": "ev2",
        "payload": {"b": 2},
        "type": "broadcast",
    }


async def test_single_binary_and_non_object_json(
    server: RealtimeServer, connect_client, http
) -> None:
    v2, v1 = await connect_client(), await connect_client("1.0.0")
    await v2.join("bin")
    await v1.join("bin")
    url = f"{server.url}/api/broadcast/bin/events/raw"  # the self-hosted layout
    r = await http.post(
        url, content=b"\x00\x01\x02", headers=headers(server.anon_key, "application/octet-stream")
    )
    assert r.status_code == 202
    assert decode(await v2.recv(), "2.0.0", Role.CLIENT) == UserBroadcast(
        "realtime:bin", "raw", b"", 0, b"\x00\x01\x02"
    )
    r = await http.post(url, content=b"[1,2]", headers=headers(server.anon_key))
    assert r.status_code == 202
    assert decode(await v2.recv(), "2.0.0", Role.CLIENT).json_payload() == {"_json": [1, 2]}
    got = await v1.barrier()  # the binary one never reaches v1 (§6.2)
    assert [field(f, "payload")["payload"] for f in got] == [{"_json": [1, 2]}]


async def test_single_errors(server: RealtimeServer, http) -> None:
    url = f"{server.url}/realtime/v1/api/broadcast/x/events/e"
    r = await http.post(url, content=b"hi", headers=headers(server.anon_key, "text/plain"))
    assert r.status_code == 415
    assert r.json() == {
        "error": "Unsupported Media Type. Use application/json or application/octet-stream"
    }
    r = await http.post(url, content=b"", headers=headers(server.anon_key))
    assert (r.status_code, r.json()) == (422, {"errors": {"payload": ["can't be blank"]}})


async def test_private_rules_for_rest(http) -> None:
    rules = Rules([Rule(("room-*",), ("authenticated",), frozenset({"read", "write"}))])
    async with RealtimeServer(ServerConfig(port=0, rules=rules)) as server:
        url = f"{server.ws_url}?apikey={server.service_role_key}&vsn=2.0.0"
        async with connect(url) as ws:
            sub = Client(ws, "2.0.0")
            await sub.join("room-1", {"private": True})
            user = token(server, "authenticated")
            batch = {
                "messages": [
                    {"topic": "room-1", "event": "e", "payload": {"who": "anon"}, "private": True}
                ]
            }
            # anon may not write: batch still 202 but dropped; single 403
            r = await http.post(server.rest_url, json=batch, headers=headers(server.anon_key))
            assert r.status_code == 202
            single = f"{server.rest_url}/room-1/events/e?private=true"
            r = await http.post(single, json={"who": "anon"}, headers=headers(server.anon_key))
            assert (r.status_code, r.json()) == (403, {"message": "Unauthorized"})
            assert await sub.barrier() == []
            batch["messages"][0]["payload"] = {"who": "user"}
            r = await http.post(server.rest_url, json=batch, headers=headers(user))
            assert r.status_code == 202
            r = await http.post(single, json={"who": "user"}, headers=headers(user))
            assert r.status_code == 202
            got = await sub.barrier()
            assert len(got) == 2
            # and nothing leaked to the public channel of the same name
            r = await http.post(
                server.rest_url,
                json={"messages": [{"topic": "room-1", "event": "e", "payload": {}}]},
                headers=headers(user),
            )
            assert r.status_code == 202
            assert await sub.barrier() == []


async def test_cors_preflight(server: RealtimeServer, http) -> None:
    r = await http.options(server.rest_url)
    assert r.status_code == 204
    assert r.headers["access-control-allow-origin"] == "*"
    assert "apikey" in r.headers["access-control-allow-headers"]


async def test_rest_payload_size_limit(http) -> None:
    async with RealtimeServer(ServerConfig(port=0, max_payload_kb=1)) as server:
        big = {"blob": "x" * 2000}
        r = await http.post(
            server.rest_url,
            json={"messages": [{"topic": "t", "event": "e", "payload": big}]},
            headers=headers(server.anon_key),
        )
        assert r.json() == {
            "errors": {"messages": [{"payload": ["Payload size exceeds tenant limit"]}]}
        }
        r = await http.post(
            f"{server.rest_url}/t/events/e", json=big, headers=headers(server.anon_key)
        )
        assert (r.status_code, r.json()) == (
            422,
            {"errors": {"payload": ["Payload size exceeds tenant limit"]}},
        )
