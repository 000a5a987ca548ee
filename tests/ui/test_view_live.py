"""Issue #15 items 3-5 in the real window over the real controller and the local server:
the stats strip and dialog, the diff of two rows, regex/exclusion/JSONPath filters with an
error shown in the field, custom columns (kept per channel), Copy rows as NDJSON/JSON/TSV.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from gui_fakes import FakeController
from gui_helpers import WindowOptions, save_screenshot, until
from PySide6.QtCore import QItemSelectionModel
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QHeaderView

from inspector.server import RealtimeServer
from inspector.store import (
    ChannelOptions,
    Direction,
    MessageFilter,
    MessageLog,
    MessageRecord,
    Profile,
)
from inspector.ui.channels.channel_panel import ChannelPanel
from inspector.ui.main_window import MainWindow
from inspector.ui.messages.message_filter_proxy import MessageFilterProxyModel
from inspector.ui.messages.message_table_model import COL_PAYLOAD, HEADERS, MessageTableModel
from inspector.ui.messages.payload_views import TREE
from inspector.ui.open_channel import SendRequest

pytestmark = [pytest.mark.gui]

ROOM = "view-room"


@pytest.fixture
def window_options() -> WindowOptions:
    return WindowOptions(size=(1280, 800))


async def connect_and_join(
    window: MainWindow, server: RealtimeServer, name: str = ROOM, **options: Any
) -> ChannelPanel:
    window.add_session_profile(Profile("live", "Local", server.url), server.anon_key)
    assert window.connect_current() is None
    assert window.join(ChannelOptions(name, **options)) is None
    c = window.controller
    await until(
        lambda: c.connected and c.channels[name].status.state.value == "joined",
        what="connected and joined",
    )
    return window.panels[name]


def received(panel: ChannelPanel) -> list[MessageRecord]:
    return [r for r in panel.channel.log if r.direction is Direction.IN]


async def publish(server: RealtimeServer, panel: ChannelPanel, *items: tuple[str, Any]) -> None:
    before = len(received(panel))
    for event, payload in items:
        server.publish(panel.name, event, payload)
    await until(lambda: len(received(panel)) == before + len(items), what="rows arrived")
    await until(lambda: not panel.model.has_pending(), what="table flushed")


def select(panel: ChannelPanel, *records: MessageRecord) -> None:
    selection = panel.table.selectionModel()
    selection.clearSelection()
    flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
    for record in records:
        row = panel.proxy.row_of(record)
        assert row is not None
        selection.select(panel.proxy.index(row, 0), flags)
        selection.setCurrentIndex(panel.proxy.index(row, 0), flags)


def shown_events(panel: ChannelPanel) -> list[str]:
    return [panel.proxy.record_at(r).event for r in range(panel.proxy.rowCount())]


# ------------------------------------------------------------------------------ item 3: stats


async def test_stats_strip_and_dialog_count_a_live_tab(
    window: MainWindow, server: RealtimeServer
) -> None:
    panel = await connect_and_join(window, server, ack=True)
    c = window.controller
    # bursts in four consecutive seconds of the controller's clock, so the sparklines move
    for burst in (8, 14, 5, 3):
        second = int(c.clock())
        await publish(server, panel, *[("chat", {"n": i, "text": "x" * 50}) for i in range(burst)])
        await until(lambda s=second: int(c.clock()) > s, what="the next second")
    await publish(server, panel, *[("cursor", {"x": i}) for i in range(12)])
    for i in range(5):
        window.controller.send(ROOM, SendRequest("chat", json.dumps({"mine": i}).encode()))
    await until(lambda: c.channels[ROOM].stats.round_trips == 5, what="five acks")
    stats = panel.channel.stats
    assert stats is not None
    assert (stats.received, stats.sent) == (42, 5)
    # the socket goes away and comes back: a disconnected row (an error) and a reconnect
    await server.close_all(1011, "going away")
    await until(lambda: stats.reconnects == 1, timeout=20, what="reconnected")
    await until(lambda: stats.rejoins == 1, timeout=20, what="rejoined")
    panel.tick(c.clock() + 1.0)  # the window's one-second tick draws the strip
    strip = panel.stats_strip
    assert strip.isVisible()
    assert strip.rtt_label.text().startswith("ack p50 ")
    assert strip.errors_label.text() == "1 error"
    assert strip.reconnects_label.text() == "1 reconnect"
    assert sum(strip.msgs_spark.values) == 47
    assert sum(strip.bytes_spark.values) == stats.received_bytes + stats.sent_bytes
    panel.table_actions.stats_action.trigger()  # the table's context menu; Stats… does the same
    dialog = panel.stats_dialog
    assert dialog is not None
    assert dialog.isVisible()
    events = {
        dialog.events.item(r, 0).text(): (
            dialog.events.item(r, 1).text(),
            dialog.events.item(r, 2).text(),
        )
        for r in range(dialog.events.rowCount())
    }
    assert events == {"chat": ("30", "5"), "cursor": ("12", "0")}
    assert dialog.values["acks"].text() == "5"
    assert dialog.values["p99"].text().endswith("ms")
    assert dialog.values["reconnects"].text() == "1 (rejoins: 1)"
    assert dialog.values["errors"].text() == ("1 (failed sends 0, timed out 0, channel errors 1)")
    save_screenshot(window, "stats-strip")
    save_screenshot(dialog, "stats-dialog")
    dialog.reset_button.click()
    assert stats.received == 0
    panel.clear()
    assert stats.snapshot(c.clock()).received == 0


# ------------------------------------------------------------------------------ item 4: diff


async def test_diff_of_two_selected_rows(window: MainWindow, server: RealtimeServer) -> None:
    panel = await connect_and_join(window, server)
    await publish(
        server,
        panel,
        ("order", {"id": 7, "amount": 120, "items": [{"sku": "a", "qty": 1}], "note": "first"}),
        ("order", {"id": 7, "amount": "130", "items": [{"sku": "a", "qty": 2}, {"sku": "b"}]}),
    )
    first, second = received(panel)
    actions = panel.table_actions
    select(panel, first)
    menu = actions._build_row_menu()
    assert not actions.diff_action.isEnabled()  # one row: nothing to compare
    menu.close()
    select(panel, second, first)  # selection order does not matter: the older row is first
    actions._build_row_menu().close()
    assert actions.diff_action.isEnabled()
    assert actions.diff_action.shortcut().toString() == "Ctrl+Shift+D"
    actions.diff_action.trigger()
    dialog = actions.dialogs[-1]
    assert dialog.isVisible()
    rows = [
        [dialog.table.item(r, c).text() for c in range(5)] for r in range(dialog.table.rowCount())
    ]
    assert rows == [
        ["payload", "type", "$.amount", "120", '"130"'],
        ["payload", "changed", "$.items[0].qty", "1", "2"],
        ["payload", "added", "$.items[1]", "", '{"sku":"b"}'],
        ["payload", "removed", "$.note", '"first"', ""],
        ["row", "changed", "$.size", str(first.size), str(second.size)],
    ]
    assert dialog.summary.text() == "Payload: 1 added, 1 removed, 1 changed, 1 retyped"
    assert '-  "amount": 120,' in dialog.text.toPlainText()
    dialog.resize(820, 420)
    save_screenshot(dialog, "diff-dialog")
    dialog.close()


# ------------------------------------------------------------------------------ item 5: filters


async def test_regex_exclusion_and_payload_filters_live(
    window: MainWindow, server: RealtimeServer
) -> None:
    panel = await connect_and_join(window, server)
    await publish(
        server,
        panel,
        ("chat", {"text": "hello", "amount": 150}),
        ("chat", {"text": "typing...", "amount": 5}),
        ("cursor-move", {"x": 1}),
        ("typing", {"who": "ann"}),
    )

    def apply(text: str = "", events: str = "", payload: str = "") -> None:
        panel.filter_edit.setText(text)
        panel.event_filter_edit.setText(events)
        panel.payload_filter_edit.setText(payload)
        panel.payload_filter_edit.returnPressed.emit()

    apply("/typ(e|ing)/")
    assert shown_events(panel) == ["chat", "typing"]
    apply("!typing")  # the tab's system rows are rows too
    assert shown_events(panel) == ["joined", "chat", "cursor-move"]
    apply(events="-chat")
    assert shown_events(panel) == ["joined", "cursor-move", "typing"]
    apply(events="/^c/, !cursor*")
    assert shown_events(panel) == ["chat", "chat"]
    apply(payload="$.amount > 100")
    assert [panel.proxy.record_at(0).payload_json()] == [{"text": "hello", "amount": 150}]
    assert panel.proxy.rowCount() == 1
    assert panel.filter_error is None
    # an invalid regex: the field turns red and says why; the table keeps its filter
    apply(text="/typ(ing/", payload="$.amount > 100")
    assert panel.filter_error is not None
    assert panel.filter_error[0] is panel.filter_edit
    assert "invalid regular expression /typ(ing/" in panel.filter_edit.toolTip()
    assert panel.filter_edit.property("filterError")
    assert "border" in panel.filter_edit.styleSheet()
    assert panel.proxy.rowCount() == 1
    # new rows keep being filtered incrementally by the last valid filter
    await publish(server, panel, ("chat", {"amount": 999}), ("chat", {"amount": 1}))
    assert panel.proxy.rowCount() == 2
    panel.table.selectRow(0)
    save_screenshot(window, "filter-error")
    apply(payload="$.amount >")
    assert panel.filter_error is not None
    assert panel.filter_error[0] is panel.payload_filter_edit
    assert panel.filter_edit.styleSheet() == ""
    # a regex literal that re refuses is a red field too, not an exception in the slot
    apply(payload="$.text =~ /(/")
    assert panel.filter_error is not None
    assert panel.filter_error[0] is panel.payload_filter_edit
    assert "invalid JSONPath predicate" in panel.payload_filter_edit.toolTip()
    apply()
    assert panel.filter_error is None
    assert panel.payload_filter_edit.styleSheet() == ""
    assert panel.proxy.rowCount() == 7


# ------------------------------------------------------------------------------ item 5: columns


async def test_show_as_column_and_copy_rows(window: MainWindow, server: RealtimeServer) -> None:
    panel = await connect_and_join(window, server)
    await publish(
        server,
        panel,
        ("order", {"user": {"name": "ann"}, "amount": 120}),
        ("order", {"user": {"name": "bob"}, "amount": 80, "token": "sb_secret_abcdefghijkl"}),
        ("ping", {"n": 1}),
    )
    rows = received(panel)
    panel.table.selectRow(panel.proxy.row_of(rows[0]))
    panel.detail.views.setCurrentIndex(TREE)
    tree = panel.detail.views.tree
    model = tree.tree_model
    user = next(r for r in range(model.rowCount()) if model.index(r, 0).data() == "user")
    tree.expandAll()
    name_index = model.index(0, 0, model.index(user, 0))
    tree.setCurrentIndex(name_index)
    assert tree.column_action.isEnabled()
    assert tree.show_as_column() == "$.user.name"
    assert panel.model.custom_columns == ("$.user.name",)
    col = len(HEADERS)
    # the selected row stays selected across the new column
    assert panel.table.selectionModel().isSelected(
        panel.proxy.index(panel.proxy.row_of(rows[0]), col)
    )
    header = panel.proxy.headerData(col, panel.table.horizontalHeader().orientation())
    assert header == "$.user.name"
    values = [panel.proxy.index(r, col).data() for r in range(panel.proxy.rowCount())]
    assert values[-3:] == ["ann", "bob", ""]
    panel.table_actions.add_column("$.amount")
    assert panel.model.custom_columns == ("$.user.name", "$.amount")
    save_screenshot(window, "custom-column")
    assert panel.table_actions.add_column("$.a[") is not None  # refused, with the reason

    # Copy rows: the two orders, oldest first, redacted like an export
    select(panel, rows[1], rows[0])
    assert panel.table_actions.copy_ndjson_action.shortcut().toString() == "Ctrl+C"
    panel.table_actions.copy_ndjson_action.trigger()
    lines = QGuiApplication.clipboard().text().splitlines()
    data = [json.loads(line) for line in lines]
    assert [d["payload"]["user"]["name"] for d in data] == ["ann", "bob"]
    assert data[1]["payload"]["token"] == "[redacted]"
    assert {d["channel"] for d in data} == {ROOM}
    panel.table_actions.copy_json_action.trigger()
    array = json.loads(QGuiApplication.clipboard().text())
    assert array == data
    panel.table_actions.copy_tsv_action.trigger()
    tsv = QGuiApplication.clipboard().text().split("\r\n")
    assert tsv[0] == "\t".join([*HEADERS, "$.user.name", "$.amount"])
    cells = tsv[1].split("\t")
    assert cells[2] == "order"
    assert cells[-2:] == ["ann", "120"]
    assert "sb_secret" not in QGuiApplication.clipboard().text()

    # the header's context menu removes a custom column
    menu = panel.table_actions.build_header_menu(col)
    texts = [a.text() for a in menu.actions()]
    assert texts == ["Remove column $.user.name", "Remove all custom columns"]
    menu.actions()[0].trigger()
    assert panel.model.custom_columns == ("$.amount",)
    fixed = panel.table_actions.build_header_menu(0)
    assert [a.text() for a in fixed.actions()] == ["Remove all custom columns"]


async def test_payload_column_keeps_a_readable_width_beside_custom_columns(
    window: MainWindow, server: RealtimeServer
) -> None:
    """QA of issue #15 item 5: the Payload column stretches over the free width; with a few
    custom columns there was none left and it shrank to a sliver ("{…"), the table scrolling
    sideways anyway. It keeps a readable width then, and stretches again without them."""
    panel = await connect_and_join(window, server)
    await publish(server, panel, ("order", {"a": 1, "b": 2, "c": 3, "d": 4, "e": 5, "f": 6}))
    header = panel.table.horizontalHeader()
    readable = panel.table.fontMetrics().averageCharWidth() * 30
    assert header.sectionSize(COL_PAYLOAD) >= readable  # the fixed columns leave it room
    for key in "abcdef":
        assert panel.table_actions.add_column(f"$.{key}") is None
    panel.table.updateGeometries()
    assert header.sectionSize(COL_PAYLOAD) >= readable
    # and the first custom column is in sight, not pushed out to the right
    first = header.sectionViewportPosition(len(HEADERS))
    assert 0 <= first < panel.table.viewport().width()
    assert header.sectionResizeMode(COL_PAYLOAD) is QHeaderView.ResizeMode.Interactive
    panel.table_actions.remove_all_columns()
    assert header.sectionResizeMode(COL_PAYLOAD) is QHeaderView.ResizeMode.Stretch
    # restored columns (a tab opened again) get the same treatment
    panel.table_actions.set_columns([f"$.{key}" for key in "abcdef"])
    assert header.sectionResizeMode(COL_PAYLOAD) is QHeaderView.ResizeMode.Interactive
    assert header.sectionSize(COL_PAYLOAD) >= readable


def test_custom_columns_are_kept_per_channel(qtbot: Any, isolated_settings: Any) -> None:
    """The columns of a tab come back when a tab of that channel opens again."""
    window = MainWindow(FakeController())
    qtbot.addWidget(window)
    window.controller.join(ChannelOptions("kept"))
    panel = window.panels["kept"]
    assert panel.table_actions.add_column("$.user.name") is None
    assert panel.table_actions.add_column("$.amount") is None
    panel.table_actions.remove_column("$.user.name")
    window.close()
    window2 = MainWindow(FakeController())
    qtbot.addWidget(window2)
    window2.controller.join(ChannelOptions("kept"))
    window2.controller.join(ChannelOptions("other"))
    assert window2.panels["kept"].model.custom_columns == ("$.amount",)
    assert window2.panels["kept"].model.columnCount() == len(HEADERS) + 1
    assert window2.panels["other"].model.custom_columns == ()
    window2.close()


def test_custom_columns_and_new_filters_pass_qtmodeltester(qtmodeltester: Any) -> None:
    """Columns added and removed, and the regex/exclusion/payload filters, keep the table
    model and its proxy consistent while rows arrive and are evicted."""
    log = MessageLog(capacity=40)
    model = MessageTableModel(log)
    proxy = MessageFilterProxyModel()
    proxy.setSourceModel(model)

    def rows(start: int, stop: int) -> list[MessageRecord]:
        return [
            MessageRecord(
                time=float(n),
                direction=Direction.IN,
                event="chat" if n % 3 == 0 else "cursor",
                payload=json.dumps({"n": n, "user": {"name": f"u{n}"}}).encode(),
            )
            for n in range(start, stop)
        ]

    log.extend(rows(0, 30))
    model.flush()
    qtmodeltester.check(proxy, force_py=True)  # stays connected for the changes below
    assert model.add_column("$.user.name") == len(HEADERS)
    assert model.add_column("$.n") == len(HEADERS) + 1
    assert model.add_column("$.n") == len(HEADERS) + 1  # already shown
    assert proxy.columnCount() == len(HEADERS) + 2
    assert proxy.index(0, len(HEADERS)).data() == "u0"
    proxy.set_message_filter(MessageFilter.from_inputs("!/u1\\d/", "-cursor", "$.n >= 3"))
    assert [proxy.index(r, len(HEADERS) + 1).data() for r in range(proxy.rowCount())] == [
        "3",
        "6",
        "9",
        "21",
        "24",
        "27",
    ]
    log.extend(rows(30, 60))  # evicts 20, filters the new ones
    model.flush()
    assert proxy.rowCount() == sum(
        1 for r in log if r.event == "chat" and not 10 <= json.loads(r.payload)["n"] <= 19
    )
    assert model.remove_column("$.user.name")
    first = proxy.record_at(0)
    assert first is not None
    assert proxy.index(0, len(HEADERS)).data() == str(first.payload_json()["n"])
    model.set_columns([])
    assert proxy.columnCount() == len(HEADERS)
