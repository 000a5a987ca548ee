"""What one client costs before it is used (issue #14 §3): no REST client, no TLS context.

A ``RealtimeClient`` made its own httpx client with a fresh TLS context (the certificate
bundle loaded: about 20 ms and 850 KB) even when it never sent over REST. Now the httpx client
is made on the first REST call, with the one TLS context of the process.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from inspector.client import ClientSettings, ClientStateError, RealtimeClient
from inspector.client import rest as rest_module
from inspector.server import RealtimeServer


@pytest.fixture
def made_http(monkeypatch: pytest.MonkeyPatch) -> list[httpx.AsyncClient]:
    """Every httpx.AsyncClient made by the REST module, and the TLS contexts it was given."""
    made: list[httpx.AsyncClient] = []
    real = httpx.AsyncClient

    def spy(*args: Any, **kwargs: Any) -> httpx.AsyncClient:
        client = real(*args, **kwargs)
        client.verify_given = kwargs.get("verify")  # type: ignore[attr-defined]
        made.append(client)
        return client

    monkeypatch.setattr(rest_module.httpx, "AsyncClient", spy)
    return made


async def test_a_client_makes_no_http_client_until_it_sends_over_rest(
    server: RealtimeServer,
    make_client: Callable[..., RealtimeClient],
    made_http: list[httpx.AsyncClient],
) -> None:
    clients = [make_client() for _ in range(3)]
    await clients[0].connect()
    await clients[0].join("room-1")
    assert made_http == []  # constructing, connecting and joining need no REST client

    assert (await clients[1].rest_send("room-1", "e", {"a": 1})).ok
    assert (await clients[2].rest_send("room-1", "e", {"a": 2}, batch=True)).ok
    assert (await clients[2].rest_send("room-1", "e", {"a": 3})).ok
    assert len(made_http) == 2  # one per client that used REST, made once
    contexts = {id(h.verify_given) for h in made_http}  # type: ignore[attr-defined]
    assert contexts == {id(rest_module.shared_ssl_context())}


async def test_rest_after_close_is_a_clear_error(server: RealtimeServer) -> None:
    client = RealtimeClient(ClientSettings(server.url, server.anon_key))
    await client.close()  # never used REST: nothing to close, nothing made
    with pytest.raises(ClientStateError, match="closed"):
        await client.rest_send("room-1", "e", {})
