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
  stopped at teardown; an error their client libraries reported fails the test unless declared
  (``peers.expect_errors(r"regex")`` or ``@pytest.mark.expect_peer_errors(r"regex")``).
  tests/interop is put on ``sys.path`` here so every suite can import ``peers``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator, Generator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# The log file (inspector/client/logfile.py) of every CLI subprocess and window started by the
# suite goes to a temp folder, never to the user's log folder (issue #15 item 9).
if not os.environ.get("RI_LOG_DIR"):
    import tempfile

    os.environ["RI_LOG_DIR"] = tempfile.mkdtemp(prefix="ri-test-logs-")

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


PEER_ERRORS_MARKER = "expect_peer_errors"
_CALL_PASSED = pytest.StashKey[bool]()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{PEER_ERRORS_MARKER}(pattern, ..., kind=None, optional=False): the test provokes "
        "errors of an official client peer matching these regexes on purpose "
        "(tests/interop/peers.py)",
    )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.when == "call":
        item.stash[_CALL_PASSED] = report.passed
    return report


@pytest.fixture
async def peers(request: pytest.FixtureRequest) -> AsyncIterator[PeerPool]:
    """Official-client peer processes (realtime-js, realtime-py), stopped at teardown; an error
    their client libraries reported that the test did not declare fails the test."""
    pool = PeerPool()
    for mark in request.node.iter_markers(PEER_ERRORS_MARKER):
        pool.expect_errors(*mark.args, **mark.kwargs)
    try:
        yield pool
    finally:
        await pool.close()  # raises for undeclared errors
    if request.node.stash.get(_CALL_PASSED, False) and (missing := pool.missing_errors()):
        pytest.fail("\n".join(missing), pytrace=False)
