"""GUI composition root: QApplication, the qasync loop, the error handler, the main window.

``realtime-inspector`` opens the window with the saved profiles. ``realtime-inspector --demo``
also starts the local server with demo traffic in-process on a free port, adds a session-only
"Local demo" profile, connects, and joins a chat-like channel and a fast cursor channel, so a
first-time user sees live traffic within seconds and can send to it (issue #4 §5). The demo is
wired here, never in ``ui/`` (ui must not import the server).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
from dataclasses import replace
from typing import TYPE_CHECKING

from inspector import APP_ID, APP_NAME

if TYPE_CHECKING:
    from inspector.server import RealtimeServer
    from inspector.ui.main_window import MainWindow

ORGANIZATION = "RealtimeInspector"
APPLICATION = "realtime-inspector"


async def start_demo(window: MainWindow) -> RealtimeServer:
    """Start the demo server, add the "Local demo" profile, connect and join two channels."""
    from inspector.server import RealtimeServer, ServerConfig
    from inspector.server.demo import CHAT, CURSORS, DemoTraffic
    from inspector.store import ChannelOptions, Profile

    server = RealtimeServer(ServerConfig(port=0))
    await server.start()
    demo = DemoTraffic(server)
    demo.start()
    server.on_stop(demo.stop)  # stopping the server stops the traffic first
    # A local server answers in well under a millisecond: heartbeat often so the round trip
    # shows within seconds (the saved preference is left alone).
    window.controller.preferences = replace(window.controller.preferences, heartbeat_s=5.0)
    window.add_session_profile(Profile(Profile.new_id(), "Local demo", server.url), server.anon_key)
    window.connect_current()
    window.join(ChannelOptions(CHAT, broadcast_self=True, ack=True))
    window.join(ChannelOptions(CURSORS))
    examples = {
        CHAT: ("message", '{\n  "user": "me",\n  "text": "hello from the inspector"\n}'),
        CURSORS: ("cursor", '{"user": "me", "x": 0.5, "y": 0.5, "color": "#8250df"}'),
    }
    for name, (event, payload) in examples.items():
        window.prefill_composer(name, event, payload)
    window.tabs.setCurrentIndex(0)
    window.statusBar().showMessage(
        f"Demo: local server on {server.url}; type in the composer and press Ctrl+Enter", 15000
    )
    return server


async def _main(demo: bool) -> int:
    from PySide6.QtWidgets import QApplication

    from inspector.ui.controller import InspectorController
    from inspector.ui.main_window import MainWindow

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    controller = InspectorController()
    window = MainWindow(controller, restore_tabs=not demo)
    window.show()
    server = await start_demo(window) if demo else None
    loop = asyncio.get_running_loop()
    closed = loop.create_future()

    def window_closed() -> None:
        if not closed.done():
            closed.set_result(None)

    app.lastWindowClosed.connect(window_closed)
    for signum in (signal.SIGINT, signal.SIGTERM):
        # Ctrl+C or a service manager: close the window (which saves its state) and exit 0.
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(signum, window.close)
    try:
        await closed
    finally:
        await controller.shutdown()
        await window.compare.wait_closed()
        if server is not None:
            await server.stop()
    return 0


def run(*, demo: bool = False, self_test: bool = False, debug: bool = False) -> int:
    """Open the desktop window; returns the process exit code. ``debug`` logs at DEBUG level
    (stderr and the log file)."""
    if self_test:
        # Headless check of the real window against the embedded server (inspector/self_test.py).
        from inspector.self_test import run_self_test

        return run_self_test()
    os.environ.setdefault("QT_API", "pyside6")
    import qasync
    from PySide6.QtWidgets import QApplication

    from inspector.ui.common.icons import app_icon
    from inspector.ui.common.theme import ColorSchemeFollower
    from inspector.ui.error_handler import ErrorHandler, configure_logging
    from inspector.ui.log_location import install_window_log

    level = logging.DEBUG if debug else logging.INFO
    configure_logging(level)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    install_window_log(level)  # after the names: QStandardPaths uses them
    app.setApplicationDisplayName(APP_NAME)
    app.setDesktopFileName(APP_ID)
    app.setWindowIcon(app_icon())
    app.setQuitOnLastWindowClosed(False)
    _follower = ColorSchemeFollower(app)  # GNOME's dark mode without the GTK theme plugin
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    handler = ErrorHandler()
    handler.install(loop)
    try:
        with loop:
            code: int = loop.run_until_complete(_main(demo))
            return code
    finally:
        handler.uninstall()
