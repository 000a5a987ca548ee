"""Issue #10 item 3: browser pages and DNS rebinding (docs/server.md, "Who can connect").

Real sockets with forged headers: a request is served only when its ``Host`` is a loopback name
or the bound address, and, when it comes from a browser (``Origin``), when that page is on a
loopback origin or one allowed with ``--allow-origin``. Clients that send no Origin (Node,
Python, curl, this inspector) are served as before.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
from server_helpers import TIMEOUT, Client, field, url_for
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus
from websockets.typing import Origin

from inspector.server import RealtimeServer, ServerConfig
from inspector.server.exposure import RequestGuard


async def upgrade(
    server: RealtimeServer, host: str | None, origin: str | None = None
) -> tuple[int, Any]:
    """A websocket upgrade over a raw socket with exactly these headers: status and JSON body."""
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    lines = [f"GET /realtime/v1/websocket?apikey={server.anon_key}&vsn=2.0.0 HTTP/1.1"]
    if host is not None:
        lines.append(f"Host: {host}")
    if origin is not None:
        lines.append(f"Origin: {origin}")
    lines += [
        "Upgrade: websocket",
        "Connection: Upgrade",
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
        "Sec-WebSocket-Version: 13",
    ]
    try:
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), TIMEOUT)
        status = int(head.split(b" ", 2)[1])
        if status == 101:
            return status, None
        length = 0
        for line in head.decode().split("\r\n"):
            name, _, value = line.partition(":")
            if name.lower() == "content-length":
                length = int(value)
        body = await asyncio.wait_for(reader.readexactly(length), TIMEOUT)
        return status, json.loads(body) if body else None
    finally:
        writer.close()


ALLOWED_HOSTS = [
    "127.0.0.1:{port}",
    "localhost:{port}",
    "LOCALHOST",
    "[::1]:{port}",
    "127.0.0.2:{port}",
    "app.localhost:{port}",
    "localhost.:{port}",
]
REFUSED_HOSTS = [
    "evil.example:{port}",
    "attacker.com",
    "127.0.0.1.nip.io:{port}",
    "localhost.evil.example",
    "192.0.2.2:{port}",
    "[fd00::2]:{port}",
    "",
]


@pytest.mark.parametrize("host", ALLOWED_HOSTS)
async def test_loopback_hosts_are_served(server: RealtimeServer, host: str | None) -> None:
    status, _ = await upgrade(server, None if host is None else host.format(port=server.port))
    assert status == 101


@pytest.mark.parametrize("host", REFUSED_HOSTS)
async def test_other_hosts_are_refused_with_a_clear_403(server: RealtimeServer, host: str) -> None:
    status, body = await upgrade(server, host.format(port=server.port))
    assert status == 403
    assert body["message"].startswith("Host not allowed")
    assert "DNS-rebinding" in body["message"]


async def test_rest_with_a_foreign_host_is_refused_and_sends_nothing(
    server: RealtimeServer, connect_client
) -> None:
    sub = await connect_client()
    await sub.join("room")
    body = {"messages": [{"topic": "room", "event": "e", "payload": {}}]}
    async with httpx.AsyncClient(timeout=TIMEOUT) as http:
        for path in ("/realtime/v1/api/broadcast", "/api/broadcast"):
            r = await http.post(
                server.url + path,
                json=body,
                headers={"apikey": server.service_role_key, "Host": "rebind.evil.example"},
            )
            assert r.status_code == 403
            assert r.json()["message"].startswith("Host not allowed")
        single = server.url + "/realtime/v1/api/broadcast/room/events/e"
        r = await http.post(single, json={}, headers={"apikey": server.anon_key, "Host": "x.io"})
        assert r.status_code == 403
        assert await sub.barrier() == []
        r = await http.post(server.rest_url, json=body, headers={"apikey": server.anon_key})
        assert r.status_code == 202
    assert len(await sub.barrier()) == 1


LOCAL_ORIGINS = [
    "http://localhost:3000",
    "http://127.0.0.1:5173",
    "http://[::1]:8080",
    "https://localhost",
    "http://app.localhost:3000",
    "HTTP://LOCALHOST:3000",
]
FOREIGN_ORIGINS = [
    "https://evil.example",
    "http://localhost.evil.example:3000",
    "null",
    "file://",
    "chrome-extension://abcdef",
    "http://192.0.2.2:3000",
]


@pytest.mark.parametrize("origin", LOCAL_ORIGINS)
async def test_pages_on_a_loopback_origin_connect(server: RealtimeServer, origin: str) -> None:
    # a local web app (supabase-js in a browser on another localhost port): served as before
    async with connect(url_for(server), origin=Origin(origin), open_timeout=TIMEOUT) as ws:
        client = Client(ws, "2.0.0")
        assert field(await client.join("room"), "payload")["status"] == "ok"
    async with httpx.AsyncClient(timeout=TIMEOUT) as http:
        preflight = await http.options(
            server.rest_url,
            headers={"Origin": origin, "Access-Control-Request-Method": "POST"},
        )
        assert preflight.status_code == 204
        assert preflight.headers["Access-Control-Allow-Origin"] == "*"
        r = await http.post(
            server.rest_url,
            json={"messages": [{"topic": "room", "event": "e", "payload": {}}]},
            headers={"apikey": server.anon_key, "Origin": origin},
        )
        assert r.status_code == 202


@pytest.mark.parametrize("origin", FOREIGN_ORIGINS)
async def test_pages_elsewhere_are_refused(server: RealtimeServer, origin: str) -> None:
    with pytest.raises(InvalidStatus) as caught:
        await connect(url_for(server), origin=Origin(origin), open_timeout=TIMEOUT)
    assert caught.value.response.status_code == 403
    assert b"Origin not allowed" in caught.value.response.body
    assert b"--allow-origin" in caught.value.response.body
    async with httpx.AsyncClient(timeout=TIMEOUT) as http:
        preflight = await http.options(
            server.rest_url, headers={"Origin": origin, "Access-Control-Request-Method": "POST"}
        )
        assert preflight.status_code == 403
        assert "Access-Control-Allow-Origin" not in preflight.headers
        r = await http.post(  # a "simple" request needs no preflight: refused all the same
            server.rest_url,
            content=b'{"messages":[{"topic":"room","event":"e","payload":{}}]}',
            headers={"apikey": server.anon_key, "Origin": origin, "Content-Type": "text/plain"},
        )
        assert r.status_code == 403


async def test_allowed_origins_and_star() -> None:
    config = ServerConfig(port=0, allowed_origins=("https://myapp.test:8443/",))
    async with RealtimeServer(config) as server:
        assert (await upgrade(server, f"127.0.0.1:{server.port}", "https://myapp.test:8443"))[
            0
        ] == 101
        assert (await upgrade(server, f"127.0.0.1:{server.port}", "https://other.test"))[0] == 403
    async with RealtimeServer(ServerConfig(port=0, allowed_origins=("*",))) as server:
        assert (await upgrade(server, f"127.0.0.1:{server.port}", "https://any.example"))[0] == 101
        assert (await upgrade(server, f"127.0.0.1:{server.port}", "null"))[0] == 101
        # "*" opens Origins, never Hosts: DNS rebinding stays refused
        assert (await upgrade(server, "evil.example", "https://any.example"))[0] == 403


def test_guard_on_a_wildcard_bind_takes_any_ip_literal_but_no_foreign_name() -> None:
    guard = RequestGuard(("0.0.0.0", "0.0.0.0"))
    assert guard.refusal("192.0.2.2:54321", "http://192.0.2.2:3000") is None
    assert guard.refusal("[fd00::2]:54321", None) is None
    assert guard.refusal("evil.example:54321", None) is not None
    specific = RequestGuard(("192.0.2.2", "192.0.2.2"))
    assert specific.refusal("192.0.2.2:54321", None) is None
    assert specific.refusal("192.0.2.3:54321", None) is not None
