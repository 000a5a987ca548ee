"""FramesTableModel / FramesFilterProxyModel: Qt model contracts, coalescing, evictions, the
inactive state of a closed dock, reveal; the Frames dock's reveal ends when it closes."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMainWindow, QMenu

from inspector.protocol.jwt import demo_key
from inspector.store.frames.frames import FrameFilter, FrameLog, FrameRow
from inspector.ui.frames.frames_model import (
    COL_DATA,
    COL_EVENT,
    COL_TOPIC,
    FramesFilterProxyModel,
    FramesTableModel,
)
from inspector.ui.frames.frames_panel import FramesDock

KEY = demo_key("anon")


def frame(n: int, direction: str = "in") -> FrameRow:
    data = f'[null,"{n}","phoenix","heartbeat",{{"k":"{KEY}"}}]'
    return FrameRow(float(n), direction, "text", len(data), data, "2.0.0")


def test_models_pass_qtmodeltester(qtmodeltester: Any) -> None:
    log = FrameLog(50)
    model = FramesTableModel(log)
    for n in range(80):
        log.append(frame(n, "in" if n % 2 else "out"))
    model.flush()
    qtmodeltester.check(model)
    proxy = FramesFilterProxyModel()
    proxy.setSourceModel(model)
    proxy.set_frame_filter(FrameFilter(direction="in"))
    qtmodeltester.check(proxy)
    assert proxy.rowCount() == 25


def test_coalesced_insert_and_eviction() -> None:
    log = FrameLog(10)
    model = FramesTableModel(log)
    flushes: list[tuple[int, int]] = []
    model.flushed.connect(lambda a, r: flushes.append((a, r)))
    for n in range(15):
        log.append(frame(n))
    assert model.rowCount() == 0  # nothing until the flush
    assert model.has_pending()
    model.flush()
    assert model.rowCount() == 10
    assert flushes == [(10, 0)]
    first = model.frame_at(0)
    assert first is not None
    assert first.seq == 5
    for n in range(15, 18):
        log.append(frame(n))
    model.flush()
    assert flushes[-1] == (3, 3)
    assert model.index(0, COL_EVENT).data() == "heartbeat"


def test_inactive_model_does_nothing_until_activated() -> None:
    log = FrameLog(100)
    model = FramesTableModel(log)
    model.set_active(False)
    resets: list[int] = []
    model.modelReset.connect(lambda: resets.append(1))
    for n in range(20):
        log.append(frame(n))
    assert not model._timer.isActive()
    assert model.rowCount() == 0
    model.set_active(True)
    assert resets == [1]
    assert model.rowCount() == 20
    assert not model.has_pending()


def test_reveal_switches_the_data_column() -> None:
    log = FrameLog(10)
    model = FramesTableModel(log)
    log.append(frame(1))
    model.flush()
    index = model.index(0, COL_DATA)
    shown = str(index.data())
    leaked = KEY[:30] in shown  # a bool: never printed
    assert not leaked
    assert "[redacted]" in shown
    changed: list[int] = []
    model.dataChanged.connect(lambda *_a: changed.append(1))
    model.set_reveal(True)
    assert changed == [1]
    revealed = KEY[:30] in str(index.data(Qt.ItemDataRole.DisplayRole))
    assert revealed


def test_a_token_in_a_topic_or_event_is_redacted_unless_revealed() -> None:
    """A peer can name a channel or an event with a token; the Topic and Event columns hide
    it as the Data column does (exports already did)."""
    log = FrameLog(10)
    model = FramesTableModel(log)
    data = f'[null,"1","realtime:{KEY}","{KEY}",{{}}]'
    log.append(FrameRow(1.0, "in", "text", len(data), data, "2.0.0"))
    model.flush()
    cells = [str(model.index(0, col).data()) for col in (COL_TOPIC, COL_EVENT)]
    leaked = any(KEY[:30] in cell for cell in cells)  # a bool: never printed
    assert not leaked
    assert cells == ["realtime:[redacted]", "[redacted]"]
    model.set_reveal(True)
    revealed = [str(model.index(0, col).data()) for col in (COL_TOPIC, COL_EVENT)]
    assert revealed == [f"realtime:{KEY}", KEY]


def test_dock_activates_its_model_and_forgets_reveal(qtbot: Any) -> None:
    window = QMainWindow()
    qtbot.addWidget(window)
    log = FrameLog(10)
    dock = FramesDock.install(window, log, QMenu(window))
    window.show()
    assert not dock.panel.model.active
    log.append(frame(1))
    dock.toggleViewAction().trigger()
    assert dock.isVisible()
    assert dock.panel.model.active
    assert dock.panel.model.rowCount() == 1
    dock.panel.reveal_check.setChecked(True)
    assert dock.panel.model.reveal
    dock.toggleViewAction().trigger()
    assert not dock.panel.model.active
    assert not dock.panel.model.reveal
    assert not dock.panel.reveal_check.isChecked()
