"""Errors explained in the window (issue #15 item 6): the real server refuses, the window shows
the raw reason and, next to it, the plain-words explanation from the one table
(inspector/protocol/explain.py): under the tab's state and in its tooltip, in the status area
and its tooltip, and in the detail pane of the row."""

from __future__ import annotations

import pytest
from gui_helpers import WindowOptions, save_screenshot, until
from PySide6.QtWidgets import QApplication, QToolTip, QWidget

from inspector.protocol import jwt
from inspector.protocol.explain import explain
from inspector.server import RealtimeServer
from inspector.store import ChannelOptions, LinkState, TabState
from inspector.ui.controller import InspectorController
from inspector.ui.main_window import MainWindow

pytestmark = [pytest.mark.gui]


def tooltip_of(widget: QWidget) -> QWidget:
    """Show ``widget``'s tooltip as hovering does, and return the tooltip window."""
    QToolTip.showText(widget.mapToGlobal(widget.rect().center()), widget.toolTip(), widget)
    tips = [w for w in QApplication.topLevelWidgets() if w.inherits("QTipLabel") and w.isVisible()]
    assert tips, "no tooltip shown"
    return tips[0]


@pytest.fixture
def window_options() -> WindowOptions:
    return WindowOptions(restore_tabs=True)


def _profile(window: MainWindow, url: str, key: str) -> InspectorController:
    c = window.controller
    assert isinstance(c, InspectorController)
    dialog = window.open_profiles()
    dialog.name_edit.setText("Local")
    dialog.url_edit.setText(url)
    dialog.key_field.setText(key)
    dialog.connect_button.click()
    return c


@pytest.mark.qt_log_ignore("This plugin does not support raise")  # the tooltip, offscreen
async def test_refused_private_join_is_explained_in_the_tab_and_the_detail_pane(
    window: MainWindow, server: RealtimeServer
) -> None:
    c = _profile(window, server.url, server.anon_key)
    await until(lambda: c.connected, what="connected")
    window.join(ChannelOptions("vault", private=True))
    await until(lambda: c.channels["vault"].status.state is TabState.ERRORED, what="join error")
    panel = window.panels["vault"]
    entry = explain(c.channels["vault"].status.reason)
    assert entry is not None
    assert entry.text.startswith("Unauthorized: You do not have permissions")
    # next to the raw reason: a line under the state, and the state's tooltip
    assert "errored: Unauthorized" in panel.state_label.text()
    assert panel.explain_label.isVisibleTo(panel)
    assert entry.meaning in panel.explain_label.text()
    tip = panel.state_label.toolTip()
    assert tip.startswith("Unauthorized: You do not have permissions to read")
    assert f"Likely cause: {entry.cause}" in tip
    assert f"What to do: {entry.action}" in tip
    # the system row's detail pane
    log = c.channels["vault"].log
    await until(lambda: any(r.event == "join error" for r in log), what="join error row")
    row = next(r for r in log if r.event == "join error")
    await until(lambda: not panel.model.has_pending(), what="table flushed")
    index = panel.proxy.row_of(row)
    assert index is not None
    panel.table.selectRow(index)
    assert panel.detail.record is row
    assert panel.detail.explanation.isVisibleTo(panel.detail)
    text = panel.detail.explanation.text()
    assert entry.meaning in text
    assert "What to do:" in text
    window.resize(1280, 800)
    save_screenshot(window, "explained-error-tab")
    save_screenshot(panel.detail, "explained-error-detail")
    save_screenshot(tooltip_of(panel.state_label), "explained-error-tab-tooltip")
    QToolTip.hideText()
    # a row without a reason shows no explanation
    joined = [r for r in log if r.event != "join error"]
    if joined:
        panel.detail.show_record(joined[0])
        assert not panel.detail.explanation.isVisibleTo(panel.detail)


@pytest.mark.qt_log_ignore("This plugin does not support raise")
async def test_refused_connection_is_explained_in_the_status_area(
    window: MainWindow, server: RealtimeServer
) -> None:
    bad = jwt.sign({"role": "anon", "exp": 4_000_000_000}, "not-the-server-secret-" * 2)
    c = _profile(window, server.url, bad)
    await until(
        lambda: c.connection.state is LinkState.DISCONNECTED and c.connection.reason,
        what="refused",
    )
    status = window.status_widget
    assert "HTTP 401: Failed to validate JWT signature" in status.text()
    tip = status.toolTip()
    assert tip.startswith("HTTP 401: Failed to validate JWT signature\n\n")
    assert "signature does not verify" in tip
    assert "What to do:" in tip
    assert "signature does not verify" in status.mirror.text()  # the status bar's line
    assert bad not in tip
    window.resize(1280, 800)
    save_screenshot(window, "explained-error-status")
    save_screenshot(tooltip_of(status), "explained-error-status-tooltip")
    QToolTip.hideText()


@pytest.mark.parametrize("size", [(1024, 700), (1280, 800)])
async def test_a_long_refusal_keeps_the_tab_header_low(
    window: MainWindow, server: RealtimeServer, size: tuple[int, int]
) -> None:
    """QA of issue #15 items 3 and 6: the stats strip shares the header row with the state; a
    long refusal (state, hint and retry) was squeezed into a narrow column 13 lines tall at
    1024x700, the table lost that height and the chips stretched into tall ovals. The state
    takes the row's width first (the strip gives way piece by piece, as it is made to)."""
    window.resize(*size)
    c = _profile(window, server.url, server.anon_key)
    await until(lambda: c.connected, what="connected")
    window.join(ChannelOptions("vault", private=True))
    await until(lambda: c.channels["vault"].status.state is TabState.ERRORED, what="join error")
    panel = window.panels["vault"]
    window.tabs.setCurrentWidget(panel)
    panel.layout().activate()
    line = panel.state_label.fontMetrics().lineSpacing()
    assert len(panel.state_label.text()) > 300  # the long refusal with its hint
    assert panel.state_label.height() <= 4 * line + 4, panel.state_label.height()
    chips = [panel.chips.itemAt(i).widget() for i in range(panel.chips.count())]
    assert chips
    for chip in chips:
        assert chip.height() <= 2 * line, chip.height()
    assert panel.stats_strip.details_button.isVisibleTo(panel)  # Stats… stays reachable
    # joined again (short state): the strip has its room back
    c.close_channel("vault")
    window.join(ChannelOptions("open-room"))
    await until(lambda: c.channels["open-room"].status.state is TabState.JOINED, what="joined")
    room = window.panels["open-room"]
    window.tabs.setCurrentWidget(room)
    room.layout().activate()
    assert room.stats_strip.msgs_spark.isVisibleTo(room)
    assert room.stats_strip.errors_label.isVisibleTo(room)
