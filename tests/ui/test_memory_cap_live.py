"""Byte cap in a live window (issue #10 item 11): large messages from the real local server
through the real socket; the tab's log and the Frames log never keep more than their budgets,
and the counts line says how many rows the size cap evicted. No timing asserted."""

from __future__ import annotations

from typing import Any

import pytest
from gui_helpers import until

from inspector.server import RealtimeServer, ServerConfig
from inspector.store import ChannelOptions, Preferences, Profile
from inspector.store.frames.frames import FRAME_KEEP_BYTES
from inspector.ui.controller import InspectorController
from inspector.ui.main_window import MainWindow

pytestmark = pytest.mark.gui

MEMORY_MB = 16  # the smallest budget Preferences allow
PAYLOAD = 1_000_000
COUNT = 40


async def test_large_messages_stay_within_the_byte_cap(qtbot: Any) -> None:
    prefs = Preferences(memory_mb=MEMORY_MB)
    controller = InspectorController(prefs)
    window = MainWindow(controller, restore_tabs=False)
    qtbot.addWidget(window)
    window.show()
    controller.set_preferences(prefs)
    cap = prefs.memory_bytes
    server = RealtimeServer(ServerConfig(port=0))
    await server.start()
    try:
        window.add_session_profile(Profile("big", "Big", server.url), server.anon_key)
        window.connect_current()
        window.join(ChannelOptions("big"))
        await until(lambda: controller.channels["big"].status.state.value == "joined")
        panel = window.panels["big"]
        log = controller.channels["big"].log
        most = 0

        def watch(_inserted: int, _evicted: int) -> None:
            nonlocal most
            most = max(most, log.retained_bytes)

        class Watcher:
            log_changed = staticmethod(watch)

            def log_reset(self) -> None:
                pass

            def log_updated(self, _record: object) -> None:
                pass

        log.add_listener(Watcher())
        for n in range(COUNT):
            server.publish_user("big", "blob", {"n": n, "pad": "x" * PAYLOAD})
            if n % 5 == 4:
                # Five at a time: the server drops a socket with 16 MB unsent (a slow
                # consumer, issue #10 item 4), and this test is about the window's budget.
                await until(lambda n=n: log.received_count >= n + 2, timeout=60, what="a batch")
        await until(lambda: log.received_count == COUNT + 1, timeout=60, what="all received")
        await until(lambda: not panel.model.has_pending(), what="last batch shown")
        assert most <= cap
        assert log.retained_bytes <= cap
        assert controller.message_budget.used <= cap
        assert log.evicted_by_size > 0
        assert len(log) < COUNT
        assert log.received_count == len(log) + log.evicted_count
        assert panel.model.rowCount() == len(log)
        assert f"{log.evicted_by_size:,} size cap" in panel.counts_label.text()
        last = log[-1]
        assert last.payload_json()["n"] == COUNT - 1
        # The Frames log kept only the head of each large frame, within its own budget.
        frames = controller.frames
        big = [f for f in frames if f.size > FRAME_KEEP_BYTES]
        assert big
        assert all(f.cut and len(f.data) == FRAME_KEEP_BYTES for f in big)
        assert frames.retained_bytes <= frames.budget.limit  # type: ignore[operator]
    finally:
        await controller.shutdown()
        await server.stop()
