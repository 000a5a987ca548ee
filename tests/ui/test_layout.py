"""Layout and small window fixes of issue #10 item 19: geometry from the available screen,
the payload column, fixed-width buttons, the paused badge, tab marks, chip tooltips, About,
and the export extension."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from gui_fakes import FakeController
from PySide6.QtCore import QPoint, QRect
from PySide6.QtWidgets import QApplication, QWidget

from inspector.store import ChannelOptions, ChannelStatus, Direction, MessageRecord, TabState
from inspector.ui.channels.channel_panel import ChannelPanel
from inspector.ui.common.file_dialogs import with_default_suffix
from inspector.ui.main_window import MainWindow
from inspector.ui.messages.message_table_model import COL_PAYLOAD
from inspector.ui.open_channel import OpenChannel
from inspector.ui.settings import AppSettings
from inspector.ui.transfer.transfer import CSV_FILTER, NDJSON_FILTER
from inspector.ui.window_persistence import first_geometry, fit_rect

pytestmark = pytest.mark.gui


def available() -> QRect:
    screen = QApplication.primaryScreen()
    assert screen is not None
    return screen.availableGeometry()


def inside_screen(widget: QWidget) -> bool:
    top_left = widget.mapToGlobal(QPoint(0, 0))
    return available().contains(QRect(top_left, widget.size()))


def test_first_window_fits_the_available_screen(qtbot: Any) -> None:
    """The first window was a fixed 1280x800: off a smaller (or scaled) screen."""
    window = MainWindow(FakeController())
    qtbot.addWidget(window)
    window.show()
    window.controller.join(ChannelOptions("room", ack=True))
    panel = window.panels["room"]
    QApplication.processEvents()
    assert available().contains(window.frameGeometry())
    assert inside_screen(panel.composer.send_button)
    assert inside_screen(panel.composer.payload_edit)


def test_restored_geometry_is_kept_on_screen(qtbot: Any) -> None:
    settings = AppSettings()
    other = QWidget()
    qtbot.addWidget(other)
    other.setGeometry(5000, 4000, 3000, 2000)  # saved on a larger screen that is gone
    settings.save_window_state(other.saveGeometry(), QMainWindowState.empty())
    window = MainWindow(FakeController(), settings)
    qtbot.addWidget(window)
    window.show()
    assert available().contains(window.frameGeometry())


class QMainWindowState:
    @staticmethod
    def empty() -> Any:
        from PySide6.QtCore import QByteArray

        return QByteArray()


@pytest.mark.parametrize(
    ("screen", "expected"),
    [
        (QRect(0, 0, 1920, 1080), QRect(320, 140, 1280, 800)),
        (QRect(0, 0, 800, 500), QRect(32, 20, 736, 460)),  # 1600x1000 at scale factor 2
        (QRect(100, 50, 1024, 700), QRect(141, 78, 942, 644)),
    ],
)
def test_first_geometry_from_the_screen(screen: QRect, expected: QRect) -> None:
    rect = first_geometry(screen)
    assert rect == expected
    assert screen.contains(rect)


def test_fit_rect_moves_and_shrinks_into_the_screen() -> None:
    screen = QRect(0, 0, 800, 500)
    assert fit_rect(QRect(700, 400, 300, 200), screen) == QRect(500, 300, 300, 200)
    assert fit_rect(QRect(-50, -50, 2000, 2000), screen) == screen


def panel_with_rows(qtbot: Any, capacity: int = 100) -> ChannelPanel:
    channel = OpenChannel(ChannelOptions("room", ack=True), capacity)
    panel = ChannelPanel(channel)
    qtbot.addWidget(panel)
    return panel


def rec(n: int) -> MessageRecord:
    return MessageRecord(
        time=float(n), direction=Direction.IN, event="tick", payload=b'{"n":%d}' % n
    )


def test_payload_column_gets_most_of_the_width(qtbot: Any) -> None:
    window = MainWindow(FakeController())  # places itself on the 800 px test screen
    qtbot.addWidget(window)
    window.show()
    window.controller.join(ChannelOptions("room"))
    panel = window.panels["room"]
    QApplication.processEvents()
    header = panel.table.horizontalHeader()
    payload = header.sectionSize(COL_PAYLOAD)
    others = [header.sectionSize(c) for c in range(header.count()) if c != COL_PAYLOAD]
    assert payload > max(others)
    # The test screen is 800 px wide (the window is kept on it): still a readable preview.
    assert window.width() <= available().width()
    assert payload >= panel.table.fontMetrics().averageCharWidth() * 20


def test_buttons_keep_their_place_and_badge_counts_arrivals(qtbot: Any) -> None:
    panel = panel_with_rows(qtbot, capacity=100)
    panel.resize(1000, 600)
    panel.show()
    QApplication.processEvents()
    xs = [b.x() for b in (panel.follow_button, panel.pause_button, panel.clear_button)]
    width = panel.pause_button.width()
    panel.pause_button.click()
    panel.channel.log.extend(rec(n) for n in range(150_000 // 100))
    panel.model.flush()
    QApplication.processEvents()
    assert panel.pause_button.width() == width
    assert [b.x() for b in (panel.follow_button, panel.pause_button, panel.clear_button)] == xs
    assert "1,500 new (100 held)" in panel.counts_label.text()


def test_tab_mark_and_chip_tooltips(qtbot: Any) -> None:
    window = MainWindow(FakeController())
    qtbot.addWidget(window)
    window.show()
    window.controller.join(ChannelOptions("room", ack=True, broadcast_self=True))
    panel = window.panels["room"]
    index = window.tabs.indexOf(panel)
    assert "waiting" in window.tabs.tabToolTip(index)
    window.controller._set_channel_status("room", ChannelStatus(TabState.JOINED))
    assert "joined" in window.tabs.tabToolTip(index)
    assert not window.tabs.tabIcon(index).isNull()
    window.controller._set_channel_status("room", ChannelStatus(TabState.ERRORED, "boom"))
    assert "errored" in window.tabs.tabToolTip(index)
    tips = {}
    for i in range(panel.chips.count()):
        item = panel.chips.itemAt(i)
        label = item.widget() if item is not None else None
        if label is not None:
            tips[label.text()] = label.toolTip()
    assert set(tips) >= {"self", "ack", "public"}
    assert all(tips[k] and tips[k] != k for k in ("self", "ack", "public"))


def test_chips_keep_their_height_next_to_a_long_refusal(qtbot: Any) -> None:
    """QA (issue #13): a refusal that wraps the state label over many lines stretched the
    "as carol" and "private" chips into tall empty pills as high as the text."""
    window = MainWindow(FakeController())
    qtbot.addWidget(window)
    window.resize(1024, 700)
    window.show()
    window.controller.join(ChannelOptions("team-x", private=True))
    panel = window.panels["team-x"]
    panel.set_identity("carol")
    reason = (
        "Unauthorized: You do not have permissions to read from this Channel topic: team-x. "
        "The rules of this private channel do not let the identity “carol” join it: join as "
        "another identity, or change its role or claims in Profiles…"
    )
    window.controller._set_channel_status("team-x", ChannelStatus(TabState.ERRORED, reason))
    QApplication.processEvents()
    # the premise: the state wraps (to about three lines: since the stats strip gives way to a
    # long state it no longer reaches ten), so a chip stretched with it would show
    assert panel.state_label.height() > 2 * panel.identity_label.sizeHint().height()
    chips = [panel.identity_label]
    for i in range(panel.chips.count()):
        item = panel.chips.itemAt(i)
        if item is not None and item.widget() is not None:
            chips.append(item.widget())
    assert len(chips) >= 2
    for chip in chips:
        assert chip.height() == chip.sizeHint().height(), chip.text()


def test_about_shows_real_versions_licence_docs_and_about_qt(qtbot: Any) -> None:
    window = MainWindow(FakeController())
    qtbot.addWidget(window)
    from importlib import metadata

    text = window.about_text()
    assert f"qasync {metadata.version('qasync')}" in text
    assert "?" not in text
    assert "Licence: MIT" in text
    assert "Documentation:" in text
    box = window.show_about()
    assert window.about_qt_button.text() == "About Qt"
    box.close()


def test_export_adds_the_extension_when_none_was_typed(tmp_path: Path) -> None:
    assert with_default_suffix(tmp_path / "out", NDJSON_FILTER) == tmp_path / "out.ndjson"
    assert with_default_suffix(tmp_path / "out", CSV_FILTER) == tmp_path / "out.csv"
    assert with_default_suffix(tmp_path / "out.txt", CSV_FILTER) == tmp_path / "out.txt"
    assert with_default_suffix(tmp_path / ".rc", CSV_FILTER) == tmp_path / ".rc"
    # QA: a dot in a date is no extension, a trailing dot is no extension, "All files" adds none.
    dated = with_default_suffix(tmp_path / "export-2026.12.05", NDJSON_FILTER)
    assert dated == tmp_path / "export-2026.12.05.ndjson"
    assert with_default_suffix(tmp_path / "out.", CSV_FILTER) == tmp_path / "out.csv"
    assert with_default_suffix(tmp_path / "out", "All files (*)") == tmp_path / "out"


def focus_walk(start: QWidget, steps: int) -> list[QWidget]:
    """What Tab visits from ``start``: the focus chain's visible, enabled Tab-focus widgets."""
    from PySide6.QtCore import Qt

    out: list[QWidget] = []
    current = start
    for _ in range(steps):
        current = current.nextInFocusChain()
        while not (
            current.focusPolicy() & Qt.FocusPolicy.TabFocus
            and current.isVisible()
            and current.isEnabled()
        ):
            current = current.nextInFocusChain()
        out.append(current)
    return out


def test_tab_walks_the_tab_in_reading_order(qtbot: Any) -> None:
    """Tab went table -> composer event -> Follow/Pause/Clear -> detail -> composer again."""
    window = MainWindow(FakeController())
    qtbot.addWidget(window)
    window.show()
    window.controller.join(ChannelOptions("room", ack=True))
    panel = window.panels["room"]
    c = panel.composer
    c.event_edit.setText("ping")  # Send enabled
    walk = focus_walk(panel.filter_edit, 30)
    expected = [
        panel.event_filter_edit,
        panel.follow_button,
        panel.pause_button,
        panel.clear_button,
        panel.table,
        c.event_edit,
        c.history_combo,
        c.payload_edit,
        c.kind_combo,
        c.ack_check,
        c.self_check,
        c.transport_combo,
        c.send_button,
    ]
    positions = [walk.index(w) for w in expected]
    assert positions == sorted(positions)
    # Nothing of the composer comes between the filters and the table.
    composer_widgets = set(expected[5:])
    assert not composer_widgets & set(walk[: positions[4]])


def test_presence_text_is_never_cut_off(qtbot: Any) -> None:
    """The timeline's explanation lost its last lines in a short panel: it scrolls now."""
    window = MainWindow(FakeController())
    qtbot.addWidget(window)
    window.resize(1024, 700)
    window.show()
    window.controller.join(ChannelOptions("lobby", presence=True, presence_key="me"))
    window.controller._set_channel_status("lobby", ChannelStatus(TabState.JOINED))
    panel = window.panels["lobby"]
    panel.presence_button.setChecked(True)
    QApplication.processEvents()
    pp = panel.presence_panel
    for label in (pp.why_label, pp.own_label, pp.state_label):
        assert label.height() >= label.heightForWidth(label.width()), label.text()


def test_detail_buttons_drop_their_labels_rather_than_clip_them(qtbot: Any) -> None:
    """A narrow detail pane (scale factor 2, a small screen) shows the copy buttons as icons with
    the label in the tooltip; a wide one shows the labels whole (no clipped text either way)."""
    from inspector.ui.messages.message_detail_panel import MessageDetailPanel

    panel = MessageDetailPanel("room-1")
    qtbot.addWidget(panel)
    buttons = (panel.copy_payload_button, panel.copy_row_button, panel.copy_as_button)
    panel.resize(900, 400)
    panel.show()
    qtbot.waitUntil(lambda: panel.width() == 900)
    assert not panel.compact_buttons
    assert [b.text() for b in buttons] == ["Copy payload", "Copy row as JSON", "Copy as"]
    assert all(b.width() >= b.sizeHint().width() for b in buttons)
    panel.resize(260, 400)
    qtbot.waitUntil(lambda: panel.compact_buttons)
    assert [b.text() for b in buttons] == ["", "", ""]
    assert panel.copy_payload_button.toolTip().startswith("Copy payload")
    assert panel.copy_as_button.toolTip().startswith("Copy as: A command that sends")
    assert all(b.width() >= b.sizeHint().width() for b in buttons)
    panel.resize(900, 400)
    qtbot.waitUntil(lambda: not panel.compact_buttons)
    assert panel.copy_row_button.text() == "Copy row as JSON"


def test_the_status_bar_keeps_the_whole_attention_line_in_a_small_window(qtbot: Any) -> None:
    """QA finding (items 17, 19): at 1024x700 the toolbar cut the token countdown off, and at
    scale factor 2 it moved the status into its overflow menu. The status bar repeats the line
    whenever the connection needs attention, whole; it is hidden when all is well."""
    from inspector.store import ConnectionStatus, LinkState
    from inspector.ui.connection_status import token_note

    window = MainWindow(FakeController())
    qtbot.addWidget(window)
    window.resize(1024, 700)
    window.show()
    status = window.status_widget
    mirror = status.mirror
    status.set_status(ConnectionStatus(LinkState.CONNECTED, rtt_ms=0.8), 0.0)
    QApplication.processEvents()
    assert not mirror.isVisible()
    status.set_token_note(token_note(1_000.0 + 200, 1_000.0), 0.0)
    QApplication.processEvents()
    assert mirror.isVisible()
    assert "token expires in 3:20" in mirror.text()
    assert mirror.width() >= mirror.sizeHint().width()
    assert window.statusBar().isVisible()
    status.set_token_note(None, 0.0)
    status.set_status(ConnectionStatus(LinkState.RECONNECTING, retry_at=5.0, attempt=3), 0.0)
    QApplication.processEvents()
    assert mirror.isVisible()
    assert "reconnecting" in mirror.text()
    status.set_status(ConnectionStatus(LinkState.CONNECTED, rtt_ms=0.8), 0.0)
    QApplication.processEvents()
    assert not mirror.isVisible()
