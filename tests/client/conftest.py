"""Fixtures for the client tests: the local server on a free port and clients that close."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from inspector.client import ClientSettings, RealtimeClient
from inspector.server import RealtimeServer, ServerConfig

# The official-client peer harness lives with the interop tests; the mixed-peer tests reuse it.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "interop"))

from peers import PeerPool


@pytest.fixture
def server_config() -> ServerConfig:
    return ServerConfig(port=0, frame_log_size=2000)


@pytest.fixture
async def server(server_config: ServerConfig) -> AsyncIterator[RealtimeServer]:
    srv = RealtimeServer(server_config)
    await srv.start()
    try:
        yield srv
    finally:
        await srv.stop()


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


@pytest.fixture
async def peers() -> AsyncIterator[PeerPool]:
    """Official-client peer processes (realtime-js, realtime-py), stopped at teardown."""
    pool = PeerPool()
    try:
        yield pool
    finally:
        await pool.close()
