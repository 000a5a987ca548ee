"""qtmodeltester on every model, and the table model's coalescing, eviction and updates."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import QModelIndex, Qt

from inspector.store import (
    Direction,
    MessageFilter,
    MessageLog,
    MessageRecord,
    PayloadFormat,
    Profile,
    ProfileBook,
    SendHistory,
    SendInfo,
    SendState,
    SendTemplate,
    Transport,
)
from inspector.ui.composer.send_history_model import SendHistoryModel, TemplateRole
from inspector.ui.messages.message_filter_proxy import MessageFilterProxyModel
from inspector.ui.messages.message_table_model import (
    COL_DIRECTION,
    COL_EVENT,
    COL_PAYLOAD,
    COL_SIZE,
    COL_STATUS,
    COL_TIME,
    MessageTableModel,
    RecordRole,
    format_size,
)
from inspector.ui.profiles.profile_list_model import ProfileIdRole, ProfileListModel

pytestmark = pytest.mark.gui


def rec(n: int, event: str = "ping", direction: Direction = Direction.IN) -> MessageRecord:
    return MessageRecord(
        time=1_700_000_000.0 + n / 1000,
        direction=direction,
        event=event,
        payload=b'{"n":%d}' % n,
    )


def test_table_model_passes_qtmodeltester_through_changes(qtmodeltester: Any) -> None:
    log = MessageLog(capacity=50)
    model = MessageTableModel(log, coalesce_ms=10)
    log.extend(rec(n) for n in range(30))
    model.flush()
    # The tester stays connected: every later insert, eviction, reset and update is checked.
    qtmodeltester.check(model, force_py=True)
    log.extend(rec(n) for n in range(30, 90))
    model.flush()
    log.notify_updated(log[3])
    log.clear()
    log.extend(rec(n, "other") for n in range(5))
    model.flush()
    log.set_capacity(3)
    model.flush()
    assert model.rowCount() == 3


def test_proxy_passes_qtmodeltester_with_filters(qtmodeltester: Any) -> None:
    log = MessageLog(capacity=40)
    model = MessageTableModel(log)
    proxy = MessageFilterProxyModel()
    proxy.setSourceModel(model)
    log.extend(rec(n, "chat" if n % 3 == 0 else "cursor") for n in range(30))
    model.flush()
    qtmodeltester.check(proxy, force_py=True)  # stays connected for the changes below
    proxy.set_message_filter(MessageFilter.from_inputs(events="chat"))
    assert proxy.rowCount() == 10
    log.extend(rec(n, "chat" if n % 3 == 0 else "cursor") for n in range(30, 60))
    model.flush()
    assert model.rowCount() == 40
    assert proxy.rowCount() == sum(1 for r in log if r.event == "chat")
    proxy.set_message_filter(MessageFilter.from_inputs(text='"n":5'))
    assert {proxy.record_at(r).payload for r in range(proxy.rowCount())} == {  # type: ignore[union-attr]
        b'{"n":50}',
        b'{"n":51}',
        b'{"n":52}',
        b'{"n":53}',
        b'{"n":54}',
        b'{"n":55}',
        b'{"n":56}',
        b'{"n":57}',
        b'{"n":58}',
        b'{"n":59}',
    }
    proxy.set_message_filter(MessageFilter())
    assert proxy.rowCount() == 40
    last = log[-1]
    assert proxy.row_of(last) == 39
    assert proxy.row_of(rec(0)) is None


def test_profile_and_history_models_pass_qtmodeltester(qtmodeltester: Any) -> None:
    profiles = ProfileListModel(ProfileBook())
    qtmodeltester.check(profiles, force_py=True)
    a = profiles.add(Profile(Profile.new_id(), "Local", "http://127.0.0.1:54321"))
    b = profiles.duplicate(a.id)
    profiles.update(Profile(a.id, "Renamed", a.url))
    assert profiles.data(profiles.index(0, 0)) == "Renamed"
    assert profiles.data(profiles.index(1, 0), ProfileIdRole) == b.id
    assert "127.0.0.1" in profiles.data(profiles.index(1, 0), Qt.ItemDataRole.ToolTipRole)
    profiles.remove(a.id)
    profiles.remove("missing")
    assert profiles.rowCount() == 1
    assert profiles.row_of(b.id) == 0

    history = SendHistoryModel(SendHistory())
    history.add(SendTemplate("chat", '{"text":"hi"}'))
    history.add(SendTemplate("cursor", '{"x":1}'))
    qtmodeltester.check(history, force_py=True)
    assert history.data(history.index(0, 0), TemplateRole) == SendTemplate("cursor", '{"x":1}')
    assert history.data(history.index(1, 0)).startswith("chat")


def test_inserts_are_coalesced_into_one_batch(qtbot: Any) -> None:
    log = MessageLog(capacity=1000)
    model = MessageTableModel(log, coalesce_ms=30)
    inserts: list[tuple[int, int]] = []
    model.rowsInserted.connect(lambda _p, first, last: inserts.append((first, last)))
    for n in range(500):
        log.append(rec(n))
    assert model.rowCount() == 0
    assert model.has_pending()
    with qtbot.waitSignal(model.flushed, timeout=2000) as blocker:
        pass
    assert blocker.args == [500, 0]
    assert inserts == [(0, 499)]
    assert not model.has_pending()


def test_eviction_removes_rows_at_top_and_keeps_identity() -> None:
    log = MessageLog(capacity=10)
    model = MessageTableModel(log)
    removed: list[tuple[int, int]] = []
    model.rowsRemoved.connect(lambda _p, first, last: removed.append((first, last)))
    log.extend(rec(n) for n in range(10))
    model.flush()
    fifth = model.data(model.index(5, 0), RecordRole)
    log.extend(rec(n) for n in range(10, 13))
    # Evicted but not flushed yet: those rows show nothing instead of failing.
    assert model.data(model.index(0, COL_EVENT)) is None
    model.flush()
    assert removed == [(0, 2)]
    assert model.rowCount() == 10
    assert model.row_of(fifth) == 2
    # More than the capacity in one batch: everything shown is replaced.
    log.extend(rec(n) for n in range(13, 40))
    model.flush()
    assert model.rowCount() == 10
    assert model.data(model.index(0, COL_PAYLOAD)) == '{"n":30}'
    assert model.row_of(fifth) is None


def test_times_that_are_not_times_paint_as_a_dash(qtbot: Any) -> None:
    """QA 5: a row whose time cannot be a date (an imported 1e308, NaN) raised in
    ``format_time`` on every paint; now the Time cell, its tooltip and the detail read ``—``."""
    from inspector.ui.messages.message_detail_panel import row_json
    from inspector.ui.messages.message_table_view import MessageTableView

    log = MessageLog(capacity=10)
    model = MessageTableModel(log, coalesce_ms=10)
    for when in (1e308, -1e20, float("nan"), 1_700_000_000.0):
        log.append(MessageRecord(time=when, direction=Direction.IN, event="e", payload=b"{}"))
    model.flush()
    view = MessageTableView()
    qtbot.addWidget(view)
    view.setModel(model)
    view.show()
    view.grab()  # paints every cell
    times = [model.index(r, COL_TIME).data() for r in range(4)]
    assert times[:3] == ["—"] * 3
    assert times[3] != "—"
    assert model.index(0, COL_TIME).data(Qt.ItemDataRole.ToolTipRole) == "—"
    assert '"time_iso": "—"' in row_json(log[0], "c")


def test_every_size_fits_its_column(qtbot: Any) -> None:
    """QA 13: "3133.0 kB" was cut off ("3133.0 …") in the Size column; sizes now have at most
    four digits and the column is as wide as the widest of them."""
    from PySide6.QtGui import QFontMetrics

    from inspector.ui.common import theme
    from inspector.ui.messages.message_table_view import MessageTableView

    assert [format_size(n) for n in (999, 1000, 3_133_000, 999_949, 999_950, 5_000_000)] == [
        "999 B",
        "1.0 kB",
        "3.1 MB",
        "999.9 kB",
        "1.0 MB",
        "5.0 MB",
    ]
    view = MessageTableView()
    qtbot.addWidget(view)
    view.setModel(MessageTableModel(MessageLog(capacity=10)))
    metrics = QFontMetrics(theme.mono_font())
    for size in (9_999, 99_999, 999_949, 3_133_000, 999_949_999, 12_345_678_901):
        text = format_size(size)
        assert metrics.horizontalAdvance(text) + 12 <= view.columnWidth(COL_SIZE), text


def test_display_roles_and_status_updates(qtbot: Any) -> None:
    log = MessageLog()
    model = MessageTableModel(log)
    out = MessageRecord(
        time=1_700_000_000.1234,
        direction=Direction.OUT,
        event="ping",
        payload=b'{"a":1}',
        send=SendInfo(Transport.WEBSOCKET, ack=True, state=SendState.PENDING),
    )
    blob = MessageRecord(
        time=1_700_000_001.0,
        direction=Direction.IN,
        event="blob",
        payload=bytes(20_000),
        format=PayloadFormat.BINARY,
    )
    log.extend([out, blob])
    model.flush()
    idx = model.index
    assert model.data(idx(0, COL_TIME)).endswith(".123")
    assert model.data(idx(0, COL_DIRECTION)) == "out"
    assert model.data(idx(0, COL_STATUS)) == "pending"
    assert model.data(idx(1, COL_PAYLOAD)) == "<binary, 20000 bytes>"
    assert model.data(idx(1, COL_SIZE)) == "20.0 kB"
    assert model.data(idx(1, COL_SIZE), Qt.ItemDataRole.ToolTipRole) == "20,000 bytes"
    assert model.data(idx(0, COL_TIME), Qt.ItemDataRole.ToolTipRole).startswith("20")
    assert model.data(idx(0, COL_DIRECTION), Qt.ItemDataRole.ForegroundRole) is not None
    assert model.headerData(COL_PAYLOAD, Qt.Orientation.Horizontal) == "Payload"
    assert model.data(QModelIndex()) is None
    assert model.data(idx(5, 0)) is None
    changed: list[int] = []
    model.dataChanged.connect(lambda tl, _br, _roles: changed.append(tl.row()))
    assert out.send is not None
    out.send.state = SendState.OK
    out.send.round_trip_ms = 1.8
    log.notify_updated(out)
    model.flush()
    assert changed == [0]
    assert model.data(idx(0, COL_STATUS)) == "ok 1.8 ms"
    assert format_size(12_345_678) == "12.3 MB"


def test_updates_of_adjacent_rows_are_one_data_changed_per_run(qtbot: Any) -> None:
    """A repeat run's acks update thousands of consecutive rows per flush (issue #11 §3): one
    dataChanged per run of adjacent rows, not one per row."""
    log = MessageLog()
    model = MessageTableModel(log)
    rows = [
        MessageRecord(
            time=1_700_000_000.0 + n,
            direction=Direction.OUT,
            event="tick",
            payload=b'{"seq":%d}' % n,
            send=SendInfo(Transport.WEBSOCKET, ack=True),
        )
        for n in range(10)
    ]
    log.extend(rows)
    model.flush()
    changed: list[tuple[int, int, int, int]] = []
    model.dataChanged.connect(
        lambda tl, br, _roles: changed.append((tl.row(), tl.column(), br.row(), br.column()))
    )
    for n in (1, 2, 3, 4, 7, 8):
        send = rows[n].send
        assert send is not None
        send.state = SendState.OK
        log.notify_updated(rows[n])
    model.flush()
    last = model.columnCount() - 1
    assert changed == [(1, 0, 4, last), (7, 0, 8, last)]
    assert [model.data(model.index(r, COL_STATUS)) for r in (0, 1, 4, 7, 9)] == [
        "pending",
        "ok",
        "ok",
        "ok",
        "pending",
    ]
