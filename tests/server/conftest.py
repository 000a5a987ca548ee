"""Fixtures for the server tests: a real server on a free port and raw-frame clients.

The ``server`` fixture is the suite-wide one of tests/conftest.py, built from ``server_config``
below.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from server_helpers import TIMEOUT, Client
from websockets.asyncio.client import ClientConnection, connect

from inspector.server import RealtimeServer, ServerConfig


@pytest.fixture
def server_config() -> ServerConfig:
    return ServerConfig(port=0, frame_log_size=2000)


@pytest.fixture
async def connect_client(
    server: RealtimeServer,
) -> AsyncIterator[Callable[..., Any]]:
    """``await connect_client(vsn="2.0.0", apikey=None)`` opens a :class:`Client`."""
    opened: list[ClientConnection] = []

    async def open_client(vsn: str = "2.0.0", apikey: str | None = None) -> Client:
        key = server.anon_key if apikey is None else apikey
        url = f"{server.ws_url}?apikey={key}&vsn={vsn}"
        ws = await connect(url, open_timeout=TIMEOUT, max_size=None)
        opened.append(ws)
        return Client(ws, vsn)

    yield open_client
    for ws in opened:
        await ws.close()
