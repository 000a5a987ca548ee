"""Interop test settings: the ``interop`` marker, and a server that records more frames.

The ``server`` and ``peers`` fixtures are the suite-wide ones of tests/conftest.py.
"""

from __future__ import annotations

import pytest

from inspector.server import ServerConfig


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/interop/" in str(item.path).replace("\\", "/"):
            item.add_marker(pytest.mark.interop)


@pytest.fixture
def server_config() -> ServerConfig:
    return ServerConfig(port=0, frame_log_size=5000)
