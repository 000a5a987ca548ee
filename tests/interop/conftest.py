"""Fixtures for the interop tests: a local server and official-client peer processes."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from peers import PeerPool

from inspector.server import RealtimeServer, ServerConfig


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/interop/" in str(item.path).replace("\\", "/"):
            item.add_marker(pytest.mark.interop)


@pytest.fixture
def server_config() -> ServerConfig:
    return ServerConfig(port=0, frame_log_size=5000)


@pytest.fixture
async def server(server_config: ServerConfig) -> AsyncIterator[RealtimeServer]:
    srv = RealtimeServer(server_config)
    await srv.start()
    try:
        yield srv
    finally:
        await srv.stop()


@pytest.fixture
async def peers() -> AsyncIterator[PeerPool]:
    pool = PeerPool()
    try:
        yield pool
    finally:
        await pool.close()
