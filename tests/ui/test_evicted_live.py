"""Issue #10 item 14: a flood from the real local server evicts the selected row; the detail
pane keeps that message (Copy payload copies it), says it is no longer in the table, and never
switches to the row that took its place. The same with a filter active, and in the Frames dock.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from gui_helpers import save_screenshot, until
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication

from inspector.server import RealtimeServer, ServerConfig
from inspector.store import ChannelOptions, Preferences, Profile, TabState
from inspector.ui.controller import InspectorController
from inspector.ui.main_window import MainWindow

pytestmark = pytest.mark.gui

CAPACITY = 100  # the smallest row cap Preferences allows


async def _window(qtbot: Any, server: RealtimeServer) -> tuple[InspectorController, MainWindow]:
    prefs = Preferences(ring_capacity=CAPACITY)
    controller = InspectorController(prefs)
    window = MainWindow(controller, restore_tabs=False)
    qtbot.addWidget(window)
    window.settings.save_preferences(prefs)
    controller.set_preferences(prefs)
    window.resize(1200, 800)
    window.show()
    window.add_session_profile(Profile("evict", "Evict", server.url), server.anon_key)
    window.connect_current()
    window.join(ChannelOptions("flood"))
    await until(lambda: controller.channels["flood"].status.state is TabState.JOINED)
    return controller, window


async def _publish(server: RealtimeServer, start: int, count: int, until_seen: Any) -> None:
    for n in range(start, start + count):
        server.publish_user("flood", "even" if n % 2 == 0 else "odd", {"n": n})
    await until(until_seen, what="flood received and shown")


def _click_row(qtbot: Any, table: Any, row: int) -> None:
    index = table.model().index(row, 0)
    table.scrollTo(index)
    qtbot.mouseClick(
        table.viewport(), Qt.MouseButton.LeftButton, pos=table.visualRect(index).center()
    )


@pytest.mark.parametrize("event_filter", ["", "odd"])
async def test_evicted_selection_stays_in_the_detail_pane(qtbot: Any, event_filter: str) -> None:
    server = RealtimeServer(ServerConfig(port=0))
    await server.start()
    controller, window = await _window(qtbot, server)
    try:
        panel = window.panels["flood"]
        log = controller.channels["flood"].log
        await _publish(
            server,
            0,
            CAPACITY,
            lambda: log.received_count > CAPACITY and not panel.model.has_pending(),
        )
        if event_filter:
            panel.event_filter_edit.setText(event_filter)
            panel.event_filter_edit.returnPressed.emit()
        # The oldest row on screen: the next batch evicts it while its neighbour moves up.
        _click_row(qtbot, panel.table, 0)
        selected = panel.detail.record
        assert selected is not None
        assert selected.payload_json()["n"] in (0, 1)
        total = log.received_count
        await _publish(
            server,
            CAPACITY,
            30,
            lambda: log.received_count == total + 30 and not panel.model.has_pending(),
        )
        assert not log.contains(selected)
        assert panel.detail.record is selected
        assert panel.detail.evicted_note.isVisibleTo(panel)
        assert "no longer in the table" in panel.detail.evicted_note.text()
        assert panel.table.selectionModel().selectedRows() == []
        window.copy_payload_action.trigger()
        copied = json.loads(QGuiApplication.clipboard().text())
        assert copied == selected.payload_json()
        # A row the user picks afterwards replaces it, and the note goes.
        _click_row(qtbot, panel.table, 0)
        assert panel.detail.record is not selected
        assert not panel.detail.evicted_note.isVisibleTo(panel)
        if not event_filter:
            _click_row(qtbot, panel.table, 0)
            await _publish(server, CAPACITY + 30, 30, lambda: not log.contains(panel.detail.record))
            await until(lambda: not panel.model.has_pending())
            save_screenshot(panel, "detail-evicted-row")
    finally:
        await controller.shutdown()
        await server.stop()


async def test_evicted_frame_stays_in_the_frames_detail(qtbot: Any) -> None:
    server = RealtimeServer(ServerConfig(port=0))
    await server.start()
    controller, window = await _window(qtbot, server)
    try:
        window.frames_dock.show()
        frames = window.frames_dock.panel
        controller.frames.set_capacity(CAPACITY)
        log = controller.channels["flood"].log
        await _publish(
            server,
            0,
            CAPACITY,
            lambda: log.received_count > CAPACITY and not frames.model.has_pending(),
        )
        frames.filter_edit.setText("flood")
        frames.apply_filter()
        _click_row(qtbot, frames.table, 0)
        selected = frames.selected_frame
        assert selected is not None
        detail = frames.detail_text()
        total = log.received_count
        await _publish(
            server,
            CAPACITY,
            30,
            lambda: log.received_count == total + 30 and not frames.model.has_pending(),
        )
        await asyncio.sleep(0)
        assert not controller.frames.contains(selected)
        assert frames.selected_frame is selected
        assert frames.detail_text() == detail
        assert frames.evicted_note.isVisibleTo(frames)
        assert frames.table.selectionModel().selectedRows() == []
    finally:
        await controller.shutdown()
        await server.stop()
