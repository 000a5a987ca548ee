"""Suite-wide settings and the fixtures several suites share.

- Qt runs offscreen (set before any QApplication exists); tests/ui/conftest.py keeps every GUI
  test away from the real user's settings and keychain.
- ``server``: the local Realtime server on a free port, built from ``server_config`` (a plain
  ``ServerConfig(port=0)`` here; a suite's conftest or a test module overrides
  ``server_config`` to record frames, set rules or limits), stopped at teardown.
- Noise fails a test: an unexpected ERROR log record, an unhandled exception on an asyncio loop,
  a Qt warning in teardown (tests/noise_guards.py, loaded here; pytest-qt's ``qt_log_level_fail``
  in pyproject.toml covers Qt warnings in setup and call). A test that provokes an ERROR record
  on purpose declares it: ``@pytest.mark.expect_log_errors(r"regex")`` or the
  ``expect_log_errors`` fixture.
- In CI (``CI=true``, exported by .ci/run) a skipped, xfailed or deselected test fails the run
  (tests/ci_gate.py); a test that needs a missing tool calls ``ci_gate.skip_or_fail``.
- ``peers``: official-client peer processes (realtime-js, realtime-py; tests/interop/peers.py),
  stopped at teardown. tests/interop is put on ``sys.path`` here so every suite can import
  ``peers``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

_INTEROP = str(Path(__file__).resolve().parent / "interop")
if _INTEROP not in sys.path:
    sys.path.insert(0, _INTEROP)

from peers import PeerPool  # noqa: E402  (needs tests/interop on sys.path)

from inspector.server import RealtimeServer, ServerConfig  # noqa: E402

# tests/ is on sys.path (rootdir-relative conftest import), so the plugins import by name;
# ci_gate fails a CI run (CI=true) in which any test was skipped, xfailed or deselected;
# pytester runs the inner sessions of tests/test_noise_guards.py.
pytest_plugins = ["noise_guards", "ci_gate", "pytester"]


@pytest.fixture
def server_config() -> ServerConfig:
    return ServerConfig(port=0)


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
    """Official-client peer processes (realtime-js, realtime-py), stopped at teardown."""
    pool = PeerPool()
    try:
        yield pool
    finally:
        await pool.close()
