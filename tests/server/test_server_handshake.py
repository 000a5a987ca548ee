"""The websocket handshake: vsn negotiation, URL layout and token checks (§1.1-§1.4, §9)."""

from __future__ import annotations

import json
import time

import pytest
from server_helpers import TIMEOUT, token
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from inspector.protocol.jwt import CLI_DEV_SECRET, demo_key, sign
from inspector.server import RealtimeServer, ServerConfig
from inspector.server.notes import HandshakeRefused, SocketOpened, fingerprint


async def refused(url: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    with pytest.raises(InvalidStatus) as info:
        async with connect(url, open_timeout=TIMEOUT, additional_headers=headers):
            pass
    response = info.value.response
    return response.status_code, response.body or b""


async def test_default_keys_are_the_cli_demo_keys(server: RealtimeServer) -> None:
    assert server.config.jwt_secret == CLI_DEV_SECRET
    assert server.anon_key == demo_key("anon")
    assert server.service_role_key == demo_key("service_role")
    assert server.url == f"http://127.0.0.1:{server.port}"
    assert server.ws_url == f"ws://127.0.0.1:{server.port}/realtime/v1/websocket"


@pytest.mark.parametrize(
    ("query", "vsn"),
    [("&vsn=2.0.0", "2.0.0"), ("&vsn=1.0.0", "1.0.0"), ("", "1.0.0"), ("&vsn=2.0.1", "2.0.0")],
)
async def test_vsn_negotiation(server: RealtimeServer, query: str, vsn: str) -> None:
    mark = server.events.mark()
    async with connect(f"{server.ws_url}?apikey={server.anon_key}{query}") as ws:
        await ws.send(
            json.dumps({"topic": "phoenix", "event": "heartbeat", "payload": {}, "ref": "1"})
            if vsn == "1.0.0"
            else json.dumps([None, "1", "phoenix", "heartbeat", {}])
        )
        reply = json.loads(await ws.recv())
    opened = await server.events.wait_for(lambda r: isinstance(r.event, SocketOpened), after=mark)
    assert isinstance(opened.event, SocketOpened)
    assert opened.event.vsn == vsn
    assert opened.event.query_keys[0] == "apikey"
    assert opened.event.apikey_fingerprint == fingerprint(server.anon_key)
    if vsn == "1.0.0":  # server v1 output never has join_ref (§2.1)
        assert reply == {
            "topic": "phoenix",
            "event": "phx_reply",
            "payload": {"status": "ok", "response": {}},
            "ref": "1",
        }
    else:
        assert reply == [None, "1", "phoenix", "phx_reply", {"status": "ok", "response": {}}]


@pytest.mark.parametrize("vsn", ["3.0.0", "2.1.0", "banana"])
async def test_unsupported_vsn_gets_403_with_empty_body(server: RealtimeServer, vsn: str) -> None:
    status, body = await refused(f"{server.ws_url}?apikey={server.anon_key}&vsn={vsn}")
    assert (status, body) == (403, b"")


async def test_self_hosted_path_works_too(server: RealtimeServer) -> None:
    url = f"ws://127.0.0.1:{server.port}/socket/websocket?apikey={server.anon_key}&vsn=2.0.0"
    async with connect(url) as ws:
        await ws.send(json.dumps([None, "1", "phoenix", "heartbeat", {}]))
        assert json.loads(await ws.recv())[3] == "phx_reply"


def _bad_tokens(server: RealtimeServer) -> list[tuple[str | None, str]]:
    now = int(time.time())
    secret = server.config.jwt_secret
    return [
        (None, "API key is missing"),
        ("", "API key is missing"),
        ("not-a-jwt", "The token provided is not a valid JWT"),
        (
            sign({"role": "anon", "exp": now + 60}, "another-secret-of-at-least-32-chars!!"),
            "Failed to validate JWT signature",
        ),
        (sign({"role": "anon", "exp": now - 10}, secret), "Token has expired"),
        (sign({"exp": now + 60}, secret), "Fields `role` and `exp` are required in JWT"),
        (sign({"role": "anon"}, secret), "Fields `role` and `exp` are required in JWT"),
    ]


async def test_bad_tokens_get_401_with_the_exact_text(server: RealtimeServer) -> None:
    for bad, text in _bad_tokens(server):
        query = "vsn=2.0.0" if bad is None else f"apikey={bad}&vsn=2.0.0"
        status, body = await refused(f"{server.ws_url}?{query}")
        assert status == 401, text
        assert json.loads(body) == {"error": text}
    notes = [r.event for r in server.events if isinstance(r.event, HandshakeRefused)]
    assert [n.error for n in notes] == [t for _, t in _bad_tokens(server)]


async def test_x_api_key_header_wins_over_query(server: RealtimeServer) -> None:
    status, body = await refused(
        f"{server.ws_url}?apikey={server.anon_key}&vsn=2.0.0", {"x-api-key": "not-a-jwt"}
    )
    assert status == 401
    assert json.loads(body)["error"] == "The token provided is not a valid JWT"
    async with connect(
        f"{server.ws_url}?apikey=garbage&vsn=2.0.0",
        additional_headers={"x-api-key": server.service_role_key},
    ) as ws:
        await ws.send(json.dumps([None, "1", "phoenix", "heartbeat", {}]))
        assert json.loads(await ws.recv())[4]["status"] == "ok"


async def test_custom_secret_signs_the_printed_keys() -> None:
    config = ServerConfig(port=0, jwt_secret="a-custom-secret-with-at-least-32-characters")
    async with RealtimeServer(config) as server:
        assert server.anon_key != demo_key("anon")
        async with connect(f"{server.ws_url}?apikey={server.anon_key}&vsn=2.0.0") as ws:
            await ws.send(json.dumps([None, "1", "phoenix", "heartbeat", {}]))
            assert json.loads(await ws.recv())[4]["status"] == "ok"
        status, _ = await refused(f"{server.ws_url}?apikey={demo_key('anon')}&vsn=2.0.0")
        assert status == 401


async def test_configured_opaque_keys_map_to_roles() -> None:
    config = ServerConfig(
        port=0, publishable_keys=("sb_publishable_local",), secret_keys=("sb_secret_local",)
    )
    async with RealtimeServer(config) as server:
        for key, role in (("sb_publishable_local", "anon"), ("sb_secret_local", "service_role")):
            mark = server.events.mark()
            async with connect(f"{server.ws_url}?apikey={key}&vsn=2.0.0") as ws:
                await ws.send(json.dumps([None, "1", "phoenix", "heartbeat", {}]))
                await ws.recv()
            opened = await server.events.wait_for(
                lambda r: isinstance(r.event, SocketOpened), after=mark
            )
            assert opened.event.role == role  # type: ignore[attr-defined]
        status, _ = await refused(f"{server.ws_url}?apikey=sb_publishable_unknown&vsn=2.0.0")
        assert status == 401


async def test_connect_error_delay_holds_the_answer() -> None:
    """§1.4: the real server waits before answering a refused handshake (here 300 ms)."""
    async with RealtimeServer(ServerConfig(port=0, connect_error_delay_ms=300)) as server:
        start = time.monotonic()
        status, _ = await refused(f"{server.ws_url}?apikey=bad&vsn=2.0.0")
        assert status == 401
        assert time.monotonic() - start >= 0.3


async def test_role_of_a_user_token(server: RealtimeServer) -> None:
    mark = server.events.mark()
    user = token(server, "authenticated", sub="user-1")
    async with connect(f"{server.ws_url}?apikey={user}&vsn=2.0.0") as ws:
        await ws.send(json.dumps([None, "1", "phoenix", "heartbeat", {}]))
        await ws.recv()
    opened = await server.events.wait_for(lambda r: isinstance(r.event, SocketOpened), after=mark)
    assert opened.event.role == "authenticated"  # type: ignore[attr-defined]
