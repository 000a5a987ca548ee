"""REST errors as the client shows them, from a real HTTP server on loopback (issue 10 #25).

A tiny aiohttp server answers the broadcast endpoints with the codes users meet: 404 (a server
older than the single endpoint, or a wrong path), 413 (a proxy in front refuses the body, with
its HTML page), 429 (the rate limit, with the real server's JSON message, §6.2) and no answer at
all (the client's timeout). The real :class:`RestClient` posts to it; the result's ``status``,
``error`` and ``timed_out`` are what the window's status column and the CLI's ``send --rest``
lines show.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from aiohttp import web

from inspector.client.rest import SINGLE_404, RestClient, RestMessage

NGINX_413 = (
    "<html>\r\n<head><title>413 Request Entity Too Large</title></head>\r\n<body>\r\n"
    "<center><h1>413 Request Entity Too Large</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)
RATE_LIMIT = '{"message":"You have exceeded your rate limit"}'


@dataclass
class Answer:
    """What the server answers next: a status and body, or nothing (``hang``)."""

    status: int = 202
    body: str = ""
    content_type: str = "application/json"
    hang: bool = False
    requests: list[str] = field(default_factory=list)


@pytest.fixture
async def http() -> AsyncIterator[tuple[str, Answer]]:
    answer = Answer()
    never = asyncio.Event()

    async def handle(request: web.Request) -> web.Response:
        answer.requests.append(request.path)
        await request.read()
        if answer.hang:
            await never.wait()
        return web.Response(
            status=answer.status, text=answer.body, content_type=answer.content_type
        )

    app = web.Application()
    app.router.add_post("/api/broadcast", handle)
    app.router.add_post("/api/broadcast/{topic}/events/{event}", handle)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}/api", answer
    finally:
        await runner.cleanup()


@pytest.fixture
async def rest(http: tuple[str, Answer]) -> AsyncIterator[RestClient]:
    client = RestClient(http[0], "sb_publishable_k3yk3yk3yk3yk3y", None, timeout=0.5)
    try:
        yield client
    finally:
        await client.aclose()


async def test_404_on_the_single_endpoint_names_the_server_version(
    rest: RestClient, http: tuple[str, Answer]
) -> None:
    answer = http[1]
    answer.status, answer.body = 404, '{"message":"Not Found"}'
    single = await rest.broadcast_single("room-1", "ping", {"n": 1})
    assert (single.status, single.ok, single.timed_out) == (404, False, False)
    assert single.error == SINGLE_404
    batch = await rest.broadcast_batch([RestMessage("room-1", "ping", {"n": 1})])
    assert (batch.status, batch.error) == (404, "HTTP 404: Not Found")
    assert answer.requests == ["/api/broadcast/room-1/events/ping", "/api/broadcast"]


async def test_413_from_a_proxy_shows_its_title_not_its_html(
    rest: RestClient, http: tuple[str, Answer]
) -> None:
    answer = http[1]
    answer.status, answer.body, answer.content_type = 413, NGINX_413, "text/html"
    result = await rest.broadcast_single("room-1", "ping", {"pad": "x" * 1000})
    assert (result.status, result.timed_out) == (413, False)
    assert result.error == "HTTP 413: 413 Request Entity Too Large"


async def test_429_shows_the_servers_message(rest: RestClient, http: tuple[str, Answer]) -> None:
    answer = http[1]
    answer.status, answer.body = 429, RATE_LIMIT
    for result in (
        await rest.broadcast_single("room-1", "ping", {"n": 1}),
        await rest.broadcast_batch([RestMessage("room-1", "ping", {"n": 1})]),
    ):
        assert (result.status, result.timed_out) == (429, False)
        assert result.error == "HTTP 429: You have exceeded your rate limit"


async def test_no_answer_is_a_timeout(rest: RestClient, http: tuple[str, Answer]) -> None:
    http[1].hang = True
    result = await rest.broadcast_single("room-1", "ping", {"n": 1})
    assert result.timed_out
    assert result.status is None
    assert result.error is not None
    assert result.error.startswith("the REST endpoint at 127.0.0.1:")
    assert result.error.endswith("did not answer in time")
