"""One tab under load: flood counts, follow tail, selection kept across evictions, pause,
filters, unread counts; driven by the fake session."""

from __future__ import annotations

from typing import Any

import pytest
from gui_fakes import FakeController
from PySide6.QtCore import Qt, QTimer

from inspector.store import ChannelOptions, ChannelStatus, Preferences, TabState
from inspector.ui.channels.channel_panel import ChannelPanel

pytestmark = pytest.mark.gui


def make_panel(
    qtbot: Any, capacity: int = 10_000, **opts: Any
) -> tuple[FakeController, ChannelPanel]:
    session = FakeController(preferences=Preferences(ring_capacity=capacity))
    assert session.join(ChannelOptions("room-1", **opts)) is None
    panel = ChannelPanel(session.channels["room-1"], coalesce_ms=30)
    panel.set_current(True)
    qtbot.addWidget(panel)
    panel.resize(1000, 700)
    panel.show()
    return session, panel


def test_flood_of_50000_keeps_counts_exact_and_bound(qtbot: Any) -> None:
    """50,000 messages pushed in bursts from a timer, while the user types in the composer."""
    session, panel = make_panel(qtbot, capacity=10_000)
    total, burst = 50_000, 2_500
    pushed = [0]

    def produce() -> None:
        for _ in range(burst):
            session.push("room-1", "cursor", {"x": pushed[0], "y": 1})
            pushed[0] += 1
        if pushed[0] >= total:
            timer.stop()

    timer = QTimer()
    timer.setInterval(5)
    timer.timeout.connect(produce)
    timer.start()
    # Typing keeps working while the flood runs (the producer and the keys share the loop).
    panel.composer.event_edit.setFocus()
    qtbot.keyClicks(panel.composer.event_edit, "typed-during-flood")
    qtbot.waitUntil(lambda: pushed[0] >= total and not panel.model.has_pending(), timeout=60_000)
    log = session.channels["room-1"].log
    assert panel.composer.event_edit.text() == "typed-during-flood"
    assert log.received_count == total
    assert panel.model.rowCount() == len(log) == 10_000
    assert panel.proxy.rowCount() + log.evicted_count == total
    assert log.evicted_count == 40_000
    assert "10,000 shown" in panel.counts_label.text()
    assert "40,000 evicted" in panel.counts_label.text()
    # The newest row is the last one shown; follow-tail kept it in view.
    assert panel.model.record_at(9_999) is log[-1]
    assert panel.table.follow_tail
    assert panel.table.is_row_visible(9_999)


def test_selected_row_stays_selected_and_shown_while_rows_are_evicted(qtbot: Any) -> None:
    session, panel = make_panel(qtbot, capacity=500)
    for n in range(500):
        session.push("room-1", "chat", {"n": n})
    panel.model.flush()
    panel.table.set_follow_tail(False)
    panel.table.scrollTo(panel.proxy.index(300, 0))
    panel.table.selectRow(300)
    selected = panel.proxy.record_at(300)
    assert selected is not None
    assert panel.detail.record is selected
    for n in range(500, 700):
        session.push("room-1", "chat", {"n": n})
    panel.model.flush()
    rows = panel.table.selectionModel().selectedRows()
    assert len(rows) == 1
    assert rows[0].row() == 100
    assert panel.proxy.record_at(100) is selected
    assert panel.table.is_row_visible(100)
    assert not panel.table.follow_tail
    # Evicted entirely: the detail pane keeps the record and says so.
    for n in range(700, 1300):
        session.push("room-1", "chat", {"n": n})
    panel.model.flush()
    assert panel.detail.record is selected
    assert panel.detail.evicted_note.isVisibleTo(panel)


def test_scrolling_up_turns_follow_off_and_end_turns_it_on(qtbot: Any) -> None:
    session, panel = make_panel(qtbot)
    for n in range(300):
        session.push("room-1", "chat", {"n": n})
    panel.model.flush()
    bar = panel.table.verticalScrollBar()
    assert bar.value() == bar.maximum()
    bar.setValue(10)
    assert not panel.table.follow_tail
    assert not panel.follow_button.isChecked()
    session.push("room-1", "chat", {"n": 300})
    panel.model.flush()
    assert bar.value() == 10
    panel.follow_button.click()
    assert panel.table.follow_tail
    assert bar.value() == bar.maximum()


def test_pause_buffers_with_badge_and_resume_inserts_in_order(qtbot: Any) -> None:
    session, panel = make_panel(qtbot)
    session.push("room-1", "chat", {"n": 0})
    panel.model.flush()
    panel.pause_button.click()
    for n in range(1, 6):
        session.push("room-1", "chat", {"n": n})
    panel.model.flush()
    assert panel.model.rowCount() == 1
    assert panel.pause_button.text() == "Resume"
    assert "5 new" in panel.counts_label.text()
    panel.pause_button.click()
    assert panel.model.rowCount() == 6
    assert [panel.model.record_at(r).payload_json()["n"] for r in range(6)] == list(range(6))  # type: ignore[union-attr]
    assert panel.pause_button.text() == "Pause"


def test_filters_and_clear(qtbot: Any) -> None:
    session, panel = make_panel(qtbot)
    for n in range(20):
        session.push("room-1", "chat" if n % 2 else "cursor-move", {"text": f"hello {n}"})
    panel.model.flush()
    qtbot.keyClicks(panel.event_filter_edit, "cursor*")
    qtbot.keyClick(panel.event_filter_edit, Qt.Key.Key_Return)
    assert panel.proxy.rowCount() == 10
    qtbot.keyClicks(panel.filter_edit, "HELLO 1")
    qtbot.keyClick(panel.filter_edit, Qt.Key.Key_Return)
    # cursor-move rows are the even ones: "hello 10", "hello 12", ... "hello 18"
    assert panel.proxy.rowCount() == 5
    assert "5 shown" in panel.counts_label.text()
    assert "of 20" in panel.counts_label.text()
    panel.clear_button.click()
    panel.model.flush()
    assert panel.model.rowCount() == 0
    assert "0 shown" in panel.counts_label.text()


def test_event_filter_option_and_unread_counts(qtbot: Any) -> None:
    session, panel = make_panel(qtbot, events=("chat",))
    assert session.push("room-1", "chat", {"a": 1})
    assert not session.push("room-1", "cursor", {"a": 1})
    panel.set_current(False)
    titles: list[str] = []
    panel.title_changed.connect(lambda: titles.append(panel.title()))
    session.push("room-1", "CHAT", {"a": 2})
    panel.model.flush()
    assert panel.unread == 2
    assert titles[-1] == "room-1 (2)"
    assert "1 not matching the tab's events" in panel.counts_label.text()
    panel.set_current(True)
    assert panel.title() == "room-1"


def test_status_header_and_chips(qtbot: Any) -> None:
    _session, panel = make_panel(qtbot, ack=True, private=True)
    panel.set_status(
        ChannelStatus(TabState.ERRORED, "Unauthorized: You do not have permissions", 12.0), 10.0
    )
    assert "errored: Unauthorized: You do not have permissions" in panel.state_label.text()
    assert "retrying in 2 s" in panel.state_label.text()
    chips = [panel.chips.itemAt(i).widget().text() for i in range(panel.chips.count())]  # type: ignore[union-attr]
    assert chips == ["ack", "private"]
    assert panel.title().endswith("room-1")
    assert panel.composer.ack_check.isChecked()
