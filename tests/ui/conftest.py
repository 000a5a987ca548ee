"""GUI test setup: offscreen Qt, async tests on a qasync loop, isolated settings and keychain.

- ``async def`` tests run on a :class:`qasync.QEventLoop` over the pytest-qt QApplication, so
  ``await asyncio.sleep()`` also processes Qt events. Never call ``qtbot.wait*`` inside a
  coroutine (it nests a Qt loop and stalls the asyncio tasks): await :func:`signal_future`.
- Every test gets QSettings pointed at ``tmp_path`` (IniFormat, a test organization) and an
  in-memory keyring backend, so no test touches the real user's settings or keychain.
- ``window``: the real main window over a real controller, shown, for the live tests (with the
  suite-wide ``server`` and ``peers`` fixtures of tests/conftest.py); a module overrides
  ``window_options`` to restore saved tabs or set the size. :func:`js_subscribed` is a
  realtime-js peer subscribed to a channel of that server.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_API", "pyside6")

import keyring
import pytest
import qasync
from keyring.backend import KeyringBackend
from peers import Peer, PeerPool
from PySide6.QtCore import QCoreApplication, QSettings
from PySide6.QtWidgets import QApplication, QLayout

from inspector.server import RealtimeServer
from inspector.ui.controller import InspectorController
from inspector.ui.main_window import MainWindow


def pytest_asyncio_loop_factories(config: Any, item: Any) -> dict[str, Callable[[], Any]]:
    return {"qasync": lambda: qasync.QEventLoop(QApplication.instance() or QApplication([]))}


class MemoryKeyring(KeyringBackend):
    """A keyring backend that keeps passwords in a dict (tests only)."""

    priority = 1  # type: ignore[assignment]
    name = "in-memory test keychain"  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}
        self.writes = 0

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.writes += 1
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.store.pop((service, username), None)


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path: Path) -> Path:
    """QSettings of every scope and format under tmp_path; a test organization name."""
    folder = tmp_path / "settings"
    folder.mkdir()
    for fmt in (QSettings.Format.IniFormat, QSettings.Format.NativeFormat):
        for scope in (QSettings.Scope.UserScope, QSettings.Scope.SystemScope):
            QSettings.setPath(fmt, scope, str(folder))
    QCoreApplication.setOrganizationName("RealtimeInspectorTests")
    QCoreApplication.setApplicationName("realtime-inspector-tests")
    return folder


@pytest.fixture(autouse=True)
def memory_keyring() -> Iterator[MemoryKeyring]:
    """An in-memory keychain; tests of the no-keychain path replace it themselves."""
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


def signal_future(signal: Any, predicate: Callable[..., bool] | None = None) -> asyncio.Future[Any]:
    """A future resolved by the next emission of ``signal`` (whose args pass ``predicate``)."""
    fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()

    def slot(*args: Any) -> None:
        if fut.done() or (predicate is not None and not predicate(*args)):
            return
        fut.set_result(args)
        signal.disconnect(slot)

    signal.connect(slot)
    return fut


async def until(condition: Callable[[], bool], timeout: float = 10.0, what: str = "") -> None:
    """Await ``condition()`` becoming true, letting Qt and asyncio run in between.

    This polls the event loop (each ``sleep(0.01)`` runs Qt events and asyncio tasks); it is a
    wait on a condition with a deadline, not a fixed sleep.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what or condition}")
        await asyncio.sleep(0.01)


@pytest.fixture(autouse=True)
def _app(qapp: QApplication) -> QApplication:
    """Every GUI test has the QApplication before it builds models or widgets."""
    return qapp


# ------------------------------------------------------------------------------ live window


@dataclass(frozen=True)
class WindowOptions:
    """How the ``window`` fixture builds the main window."""

    #: reopen the profile's saved tabs on connect (what the app does outside the demo).
    restore_tabs: bool = False
    #: ``resize(width, height)`` before showing; None keeps the window's own size.
    size: tuple[int, int] | None = None


@pytest.fixture
def window_options() -> WindowOptions:
    """Override in a test module to build the ``window`` differently."""
    return WindowOptions()


@pytest.fixture
async def window(qtbot: Any, window_options: WindowOptions) -> AsyncIterator[MainWindow]:
    """The real main window over a real :class:`InspectorController`, shown. The controller
    shuts down at teardown; qtbot closes the window."""
    controller = InspectorController()
    win = MainWindow(controller, restore_tabs=window_options.restore_tabs)
    qtbot.addWidget(win)
    if window_options.size is not None:
        win.resize(*window_options.size)
    win.show()
    try:
        yield win
    finally:
        await controller.shutdown()


async def js_subscribed(
    peers: PeerPool, server: RealtimeServer, name: str, *, channel: str = "a", **options: Any
) -> Peer:
    """A realtime-js peer whose client ``c`` has subscribed its channel ``channel`` to ``name``
    on ``server`` (``options``: the peer's ``config``/``listen`` of the channel)."""
    js = await peers.js()
    await js.call("client", id="c", url=server.realtime_url, key=server.anon_key)
    await js.call("channel", id=channel, client="c", name=name, **options)
    await js.call("subscribe", channel=channel)
    await js.expect(ev="status", channel=channel, status="SUBSCRIBED")
    return js


# ------------------------------------------------------------------------------ screenshots

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
DOCS_SCREENSHOTS = ROOT / "docs" / "screenshots"
_saved: list[Path] = []


def save_screenshot(widget: Any, name: str) -> Path:
    """Grab ``widget`` to ``test-artifacts/screenshots/<name>.png`` (and to docs/screenshots
    when ``UPDATE_SCREENSHOTS=1``); fails when the image is blank."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    # Apply pending layout changes synchronously (a label that just got a third line), without
    # spinning an event loop inside a coroutine.
    for layout in [widget.layout(), *widget.findChildren(QLayout)]:
        if layout is not None:
            layout.activate()
    pixmap = widget.grab()
    image = pixmap.toImage()
    step = max(1, image.width() // 64)
    colours = {
        image.pixel(x, y)
        for x in range(0, image.width(), step)
        for y in range(0, image.height(), step)
    }
    assert len(colours) > 8, f"screenshot {name} looks blank ({len(colours)} colours)"
    path = SCREENSHOTS / f"{name}.png"
    assert pixmap.save(str(path)), f"could not write {path}"
    _saved.append(path)
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        assert pixmap.save(str(DOCS_SCREENSHOTS / f"{name}.png"))
    return path


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _saved:
        terminalreporter.write_line(f"GUI screenshots ({len(_saved)}) saved to {SCREENSHOTS}")
