"""50,000 broadcasts from the real local server through the real socket into one tab.

The server publishes in bursts on the same loop as the window, so the window's timers, the
client and the model all run in between (a flood, not one blocking call). Checked: every
message arrives, shown + evicted == received, the ring bound holds, the table shows the newest
rows, and the composer keeps taking keys. Timing is not asserted here (benchmarks/ is for that).
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from gui_helpers import until

from inspector.server import RealtimeServer, ServerConfig
from inspector.store import ChannelOptions, Preferences, Profile
from inspector.ui.controller import InspectorController
from inspector.ui.main_window import MainWindow

pytestmark = pytest.mark.gui

TOTAL = 50_000
BURST = 1_000
CAPACITY = 5_000


async def test_flood_through_the_real_socket(qtbot: Any) -> None:
    controller = InspectorController(Preferences(ring_capacity=CAPACITY))
    window = MainWindow(controller, restore_tabs=False)
    qtbot.addWidget(window)
    window.show()
    window.settings.save_preferences(Preferences(ring_capacity=CAPACITY))
    controller.set_preferences(Preferences(ring_capacity=CAPACITY))
    server = RealtimeServer(ServerConfig(port=0))
    await server.start()
    try:
        window.add_session_profile(Profile("flood", "Flood", server.url), server.anon_key)
        window.connect_current()
        window.join(ChannelOptions("flood"))
        await until(lambda: controller.channels["flood"].status.state.value == "joined")
        panel = window.panels["flood"]
        log = controller.channels["flood"].log
        panel.composer.event_edit.setFocus()
        for start in range(0, TOTAL, BURST):
            for n in range(start, start + BURST):
                server.publish_user("flood", "tick", {"n": n, "pad": "x" * 40})
            qtbot.keyClicks(panel.composer.event_edit, "k")
            await asyncio.sleep(0)  # let the socket, the client and the model run
        # Plus one: the "joined" system row that opened the tab.
        expected = TOTAL + 1
        await until(lambda: log.received_count == expected, timeout=60, what="all received")
        await until(lambda: not panel.model.has_pending(), what="last batch shown")
        assert len(log) == CAPACITY
        assert log.evicted_count == expected - CAPACITY
        assert panel.model.rowCount() + log.evicted_count == log.received_count
        last = panel.model.record_at(panel.model.rowCount() - 1)
        assert last is not None
        assert last.payload_json()["n"] == TOTAL - 1
        assert f"{CAPACITY:,} shown" in panel.counts_label.text()
        assert f"{expected - CAPACITY:,} evicted" in panel.counts_label.text()
        assert panel.composer.event_edit.text() == "k" * (TOTAL // BURST)
        assert panel.table.is_row_visible(panel.proxy.rowCount() - 1)
    finally:
        await controller.shutdown()
        await server.stop()
