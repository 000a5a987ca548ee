"""GUI test setup: offscreen Qt, async tests on a qasync loop, isolated settings and keychain.

- ``async def`` tests run on a :class:`qasync.QEventLoop` over the pytest-qt QApplication, so
  ``await asyncio.sleep()`` also processes Qt events. Never call ``qtbot.wait*`` inside a
  coroutine (it nests a Qt loop and stalls the asyncio tasks): await
  ``gui_helpers.signal_future`` or ``gui_helpers.until``. Pending asyncio work that Qt event
  processing steps between the loop's runs (qasync's last pass, pytest-qt's after each phase)
  still sees the loop running; the loop has the noise guard's exception handler.
- Every test gets QSettings pointed at ``tmp_path`` (IniFormat, a test organization) and an
  in-memory keyring backend, so no test touches the real user's settings or keychain.
- ``window``: the real main window over a real controller, shown, for the live tests (with the
  suite-wide ``server`` and ``peers`` fixtures of tests/conftest.py); a module overrides
  ``window_options`` (a ``gui_helpers.WindowOptions``) to restore saved tabs or set the size.
- Tests import their helpers from ``gui_helpers``, never from this module: ``from conftest
  import …`` finds whichever suite's conftest pytest loaded last.
"""

from __future__ import annotations

import asyncio
import os
import weakref
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_API", "pyside6")

import keyring
import pytest
import pytestqt.plugin
import qasync
from gui_helpers import SAVED, SCREENSHOTS, WindowOptions
from keyring.backend import KeyringBackend
from noise_guards import guard_loop
from PySide6.QtCore import QCoreApplication, QSettings
from PySide6.QtWidgets import QApplication

from inspector.ui.controller import InspectorController
from inspector.ui.main_window import MainWindow


@contextmanager
def _running(loop: asyncio.AbstractEventLoop) -> Iterator[None]:
    """``loop`` is the running loop inside the block (as in ``run_forever``)."""
    asyncio.events._set_running_loop(loop)
    try:
        yield
    finally:
        asyncio.events._set_running_loop(None)


class _TestLoop(qasync.QEventLoop):  # type: ignore[misc]
    """qasync's loop, where no asyncio callback runs with no running loop.

    qasync delivers asyncio callbacks and socket readiness through Qt events, and its
    ``run_until_complete`` processes the pending Qt events once more after ``run_forever``
    returned: tasks stepped there find no running loop (``asyncio.get_running_loop()`` raises;
    a connection the local server accepted as a test ended failed so). pytest-asyncio calls
    ``run_until_complete`` for the test and for each async fixture, so here that last pass runs
    with the loop set as running, as everything else on the loop does.
    """

    _until_complete = False

    def run_forever(self) -> Any:
        try:
            return super().run_forever()
        finally:
            if self._until_complete:  # qasync's last pass follows; reset below
                asyncio.events._set_running_loop(self)

    def run_until_complete(self, future: Any) -> Any:
        self._until_complete = True
        try:
            return super().run_until_complete(future)
        finally:
            self._until_complete = False
            asyncio.events._set_running_loop(None)


_test_loop: weakref.ref[_TestLoop] | None = None


def _new_test_loop() -> _TestLoop:
    """The test's qasync loop, with the noise guard's exception handler (tests/noise_guards.py)."""
    global _test_loop
    loop = _TestLoop(QApplication.instance() or QApplication([]))
    _test_loop = weakref.ref(loop)
    guard_loop(loop)
    return loop


def pytest_asyncio_loop_factories(config: Any, item: Any) -> dict[str, Callable[[], Any]]:
    return {"qasync": _new_test_loop}


def _process_events() -> None:
    """pytest-qt's ``_process_events`` (run after each phase of a test, between the runs of
    the test's loop), with the test's loop set as running while it is open: the same reason
    as :class:`_TestLoop`."""
    app = QApplication.instance()
    if app is None:
        return
    loop = _test_loop() if _test_loop is not None else None
    if loop is None or loop.is_closed() or loop.is_running():
        app.processEvents()
        return
    with _running(loop):
        app.processEvents()


pytestqt.plugin._process_events = _process_events  # its hooks look the name up at each call


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
def isolated_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """QSettings of every scope and format under tmp_path; a test organization name; the
    message library (``RI_LIBRARY``) under tmp_path too."""
    monkeypatch.setenv("RI_LIBRARY", str(tmp_path / "library.json"))
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


@pytest.fixture(autouse=True)
def _app(qapp: QApplication) -> QApplication:
    """Every GUI test has the QApplication before it builds models or widgets."""
    return qapp


# ------------------------------------------------------------------------------ live window


@pytest.fixture
def window_options() -> WindowOptions:
    """Override in a test module to build the ``window`` differently."""
    return WindowOptions()


@pytest.fixture
async def window(qtbot: Any, window_options: WindowOptions) -> AsyncIterator[MainWindow]:
    """The real main window over a real :class:`InspectorController`, shown. At teardown the
    controller shuts down first, then the window is closed and deleted.

    Not ``qtbot.addWidget``: pytest-qt closes and deletes registered widgets before fixture
    finalizers run, so a peer that leaves at teardown (the ``peers`` fixture) would reach a
    controller still delivering to deleted models ("Internal C++ object already deleted")."""
    controller = InspectorController()
    win = MainWindow(controller, restore_tabs=window_options.restore_tabs)
    if window_options.size is not None:
        win.resize(*window_options.size)
    win.show()
    try:
        yield win
    finally:
        try:
            await controller.shutdown()
        finally:
            win.close()
            win.deleteLater()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if SAVED:
        terminalreporter.write_line(f"GUI screenshots ({len(SAVED)}) saved to {SCREENSHOTS}")
