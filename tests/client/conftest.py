"""Fixtures for the client tests: the local server on a free port and clients that close.

The ``server`` and ``peers`` fixtures (the official-client peer harness of the interop tests,
which the mixed-peer tests reuse) are the suite-wide ones of tests/conftest.py.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from inspector.client import ClientSettings, RealtimeClient
from inspector.server import RealtimeServer, ServerConfig


@pytest.fixture
def server_config() -> ServerConfig:
    return ServerConfig(port=0, frame_log_size=2000)


@pytest.fixture
async def make_client(server: RealtimeServer) -> AsyncIterator[Callable[..., RealtimeClient]]:
    """``make_client(**settings)`` builds a client for the server; all are closed at the end."""
    made: list[RealtimeClient] = []

    def build(*, on_event: Any = None, on_frame: Any = None, **kw: Any) -> RealtimeClient:
        kw.setdefault("url", server.url)
        kw.setdefault("api_key", server.anon_key)
        client = RealtimeClient(ClientSettings(**kw), on_event=on_event, on_frame=on_frame)
        made.append(client)
        return client

    yield build
    for client in made:
        await client.close()
