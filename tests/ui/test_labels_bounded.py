"""Labels that show peer or typed text never widen the window (QA of issues #11/#12): the
"Next send:" preview, the detail pane's "Payload typed:" line and the other new labels stay
inside the width the user gave the window, with the full text in the tooltip."""

from __future__ import annotations

from typing import Any

import pytest
from gui_fakes import FakeController
from gui_helpers import save_screenshot
from PySide6.QtWidgets import QApplication

from inspector.store import ChannelOptions, Direction, MessageRecord, Transport
from inspector.store.messages.records import SendInfo
from inspector.ui.main_window import MainWindow

pytestmark = pytest.mark.gui

LONG_JWT = "eyJhbGciOiJIUzI1NiJ9." + "x" * 2500 + ".sig"


def window_with_channel(qtbot: Any, width: int) -> Any:
    window = MainWindow(FakeController())
    qtbot.addWidget(window)
    window.show()
    window.controller.join(ChannelOptions("room", ack=True))
    window.resize(width, 600)
    QApplication.processEvents()
    return window


def test_long_templated_payload_keeps_the_window_width(qtbot: Any) -> None:
    window = window_with_channel(qtbot, 780)
    width = window.width()
    composer = window.panels["room"].composer
    composer.event_edit.setText("e")
    composer.payload_edit.setPlainText('{"n": "{{seq}}", "long": "' + "y" * 3000 + '"}')
    composer.refresh_preview()
    QApplication.processEvents()
    assert composer.preview_label.isVisibleTo(composer)
    assert composer.preview_label.text().startswith("Next send: e  ")
    assert "y" * 200 in composer.preview_label.toolTip()
    assert window.width() == width
    window.library_dock.show()
    window.checks_dock.show()
    QApplication.processEvents()
    width = window.width()  # the docks may need more than 780 px on their own
    composer.payload_edit.setPlainText('{"n": "{{seq}}", "x": "' + "z" * 200 + '"}')
    composer.refresh_preview()
    QApplication.processEvents()
    assert window.width() == width
    # a template error quoting a long unbroken word stays inside too
    composer.payload_edit.setPlainText('{"n": "{{' + "v" * 400 + '}}"}')
    composer.refresh_preview()
    QApplication.processEvents()
    assert window.width() == width
    save_screenshot(window, "long_preview_window")


def test_payload_typed_line_keeps_the_width_and_the_table(qtbot: Any) -> None:
    window = window_with_channel(qtbot, 780)
    width = window.width()
    panel = window.panels["room"]
    table_height = panel.table.height()
    record = MessageRecord(
        time=1.0,
        direction=Direction.OUT,
        event="e",
        payload=b'{"token":"abc"}',
        send=SendInfo(
            Transport.WEBSOCKET,
            template_event="e",
            template_payload='{"token": "' + LONG_JWT + '"}',
        ),
    )
    panel.channel.log.append(record)
    panel.model.flush()
    panel.table.selectRow(0)
    QApplication.processEvents()
    detail = panel.detail
    assert detail.template_label.isVisibleTo(detail)
    assert LONG_JWT[:200] in detail.template_label.toolTip()
    assert window.width() == width
    # two short lines at most: the table keeps most of its height
    assert detail.template_label.height() <= 3 * detail.template_label.fontMetrics().height()
    assert panel.table.height() >= table_height * 0.6
    save_screenshot(window, "long_payload_typed_detail")


def test_sequence_button_count_stays_compact() -> None:
    """QA: "Sequence (99,999,999,999,999,999,998 missing)" squeezed the filter fields."""
    from inspector.ui.messages.seq_track import compact_count

    assert [compact_count(n) for n in (0, 99_999, 123_456, 1_234_567, 3_400_000_000)] == [
        "0",
        "99,999",
        "123k",
        "1.2M",
        "3.4B",
    ]
    assert compact_count(10**20) == "many"
