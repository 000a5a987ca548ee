"""Sequence gaps in a tab (issue #11 §5): the real window, controller and local server.

A run of broadcasts carrying ``seq`` with numbers skipped: *Track this field* on the first
row's ``seq`` in the detail pane's Tree starts the tracking; the bar shows received, missing,
duplicates and out of order, the Gaps panel lists the gaps (from-to, when), a late arrival
fills its gap. Typing a path works too, a bad one says why; the path is kept per channel.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from gui_fakes import FakeController
from gui_helpers import WindowOptions, save_screenshot, until
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PySide6.QtWidgets import QAbstractItemView

from inspector.server import RealtimeServer
from inspector.store import ChannelOptions, Direction, MessageRecord, Profile
from inspector.store.messages.seq_tracker import SeqTracker
from inspector.ui.channels.channel_panel import ChannelPanel
from inspector.ui.channels.imported_panel import ImportedChannelPanel
from inspector.ui.main_window import MainWindow
from inspector.ui.messages.json_tree import JsonTreeModel
from inspector.ui.messages.payload_views import TREE

pytestmark = [pytest.mark.gui]

ROOM = "seq-room"


@pytest.fixture
def window_options() -> WindowOptions:
    return WindowOptions(size=(1280, 800))


async def connect_and_join(window: MainWindow, server: RealtimeServer, name: str) -> ChannelPanel:
    window.add_session_profile(Profile("live", "Local", server.url), server.anon_key)
    assert window.connect_current() is None
    assert window.join(ChannelOptions(name)) is None
    c = window.controller
    await until(
        lambda: c.connected and c.channels[name].status.state.value == "joined",
        what="connected and joined",
    )
    return window.panels[name]


def received(panel: ChannelPanel) -> list[MessageRecord]:
    return [r for r in panel.channel.log if r.direction is Direction.IN]


async def publish(server: RealtimeServer, panel: ChannelPanel, *numbers: int) -> None:
    """Broadcast each number as ``{"seq": n, ...}`` from the server; wait for the rows."""
    before = len(received(panel))
    for n in numbers:
        server.publish(ROOM, "tick", {"seq": n, "source": "load-test"})
    await until(lambda: len(received(panel)) == before + len(numbers), what="rows arrived")


def shown_counts(panel: ChannelPanel) -> str:
    """The bar's counts as plain text."""
    return re.sub(r"<[^>]*>", "", panel.seq_bar.counts_label.text())


def gap_rows(panel: ChannelPanel) -> list[list[str]]:
    model = panel.seq_gaps.model
    return [[model.index(r, c).data() for c in range(3)] for r in range(model.rowCount())]


async def test_track_this_field_counts_a_skipped_number_live(
    window: MainWindow, server: RealtimeServer
) -> None:
    panel = await connect_and_join(window, server, ROOM)
    await publish(server, panel, 1)
    await until(lambda: not panel.model.has_pending(), what="table flushed")
    row = panel.proxy.row_of(received(panel)[0])
    assert row is not None
    panel.table.selectRow(row)
    panel.detail.views.setCurrentIndex(TREE)
    tree = panel.detail.views.tree
    model = tree.tree_model
    seq_row = next(r for r in range(model.rowCount()) if model.index(r, 0).data() == "seq")
    tree.setCurrentIndex(model.index(seq_row, 0))
    assert tree.track_action.isEnabled()
    source_row = next(r for r in range(model.rowCount()) if model.index(r, 0).data() == "source")
    tree.setCurrentIndex(model.index(source_row, 0))
    assert not tree.track_action.isEnabled()  # a string is no counter
    tree.setCurrentIndex(model.index(seq_row, 0))
    assert not panel.seq_bar.isVisible()
    tree.track_action.trigger()  # the Tree's context menu: Track this field
    assert panel.seq_bar.isVisible()
    assert panel.seq_bar.path_edit.text() == "$.seq"
    tracker = panel.channel.seq
    assert tracker is not None
    assert tracker.counts().received == 1  # the row already in the table counts

    await publish(server, panel, 2, 3, 5, 6, 7, 6)  # 4 skipped, 6 twice
    await until(lambda: "received 7" in shown_counts(panel), what="counts redrawn")
    assert shown_counts(panel) == (
        "received 7 · missing 1 · duplicates 1 · out of order 0 · no counter 0"
    )
    assert panel.seq_bar.gaps_button.text() == "Gaps (1)"
    assert panel.seq_button.text() == "Sequence (1 missing)"
    panel.seq_bar.gaps_button.click()
    assert panel.seq_gaps.isVisible()
    assert gap_rows(panel) == [["1", "4", "1"]]
    [gap] = tracker.gaps()
    assert gap.seen_at == received(panel)[3].time  # when 5 arrived
    assert panel.h_splitter.sizes()[panel.h_splitter.indexOf(panel.seq_gaps)] > 200

    await publish(server, panel, 4)  # late: fills the gap
    await until(lambda: "received 8" in shown_counts(panel), what="counts redrawn")
    assert shown_counts(panel) == (
        "received 8 · missing 0 · duplicates 1 · out of order 1 · no counter 0"
    )
    await until(lambda: gap_rows(panel) == [], what="gap list redrawn")
    assert panel.seq_gaps.note.text() == "No gaps."

    panel.seq_bar.stop_button.click()
    assert panel.channel.seq is None
    await publish(server, panel, 9)
    assert "Not tracking" in panel.seq_bar.counts_label.text()


async def test_a_typed_path_and_a_new_run(window: MainWindow, server: RealtimeServer) -> None:
    panel = await connect_and_join(window, server, ROOM)
    panel.seq_button.click()
    bar = panel.seq_bar
    assert bar.isVisible()
    bar.path_edit.setText("$.seq[")
    bar.track_button.click()
    assert bar.error_label.isVisible()
    assert bar.error_label.text() == "“$.seq[” is not a JSON path: unexpected end of query"
    assert panel.channel.seq is None
    bar.path_edit.setText("seq")
    bar.path_edit.returnPressed.emit()
    assert not bar.error_label.isVisible()
    assert panel.channel.seq is not None
    await publish(server, panel, 1, 2, 3, 1, 3)  # a drop to 1: a second run that lost its 2
    server.publish(ROOM, "other", {"text": "no counter here"})
    await until(lambda: "no counter 1" in shown_counts(panel), what="counts redrawn")
    assert shown_counts(panel) == (
        "received 5 · missing 1 · duplicates 0 · out of order 0 · no counter 1 · runs 2"
    )
    panel.seq_bar.gaps_button.click()
    assert gap_rows(panel) == [["2", "2", "1"]]
    tracker = panel.channel.seq
    assert panel.track_seq("$[") is not None  # a bad path leaves the counter being watched
    assert panel.channel.seq is tracker
    assert bar.error_label.isVisible()
    assert bar.counts_label.isVisible()
    panel.clear()  # Clear empties the table and starts the counts over
    assert panel.channel.seq is not None
    assert panel.channel.seq.counts().received == 0
    assert "received 0" in shown_counts(panel)


async def test_screenshot_of_a_run_with_gaps(window: MainWindow, server: RealtimeServer) -> None:
    """docs/screenshots/sequence-gaps.png: a run of 60 that lost 17, 30-32 and 45."""
    panel = await connect_and_join(window, server, ROOM)
    assert panel.track_seq("$.seq") is None
    lost = {17, 30, 31, 32, 45}
    await publish(server, panel, *[n for n in range(1, 61) if n not in lost], 52)
    await until(lambda: "received 56" in shown_counts(panel), what="counts redrawn")
    assert shown_counts(panel) == (
        "received 56 · missing 5 · duplicates 1 · out of order 0 · no counter 0"
    )
    panel.seq_bar.gaps_button.click()
    assert gap_rows(panel) == [["1", "45", "1"], ["1", "30–32", "3"], ["1", "17", "1"]]
    row = panel.proxy.row_of(received(panel)[16])  # 18: the row after the first gap
    assert row is not None
    panel.table.selectRow(row)
    panel.table.scrollTo(panel.proxy.index(row, 0), QAbstractItemView.ScrollHint.PositionAtCenter)
    save_screenshot(window, "sequence-gaps")


def test_tracked_path_is_kept_per_channel(qtbot: Any, isolated_settings: Any) -> None:
    """The path a tab watches comes back when a tab of that channel opens again."""
    window = MainWindow(FakeController())
    qtbot.addWidget(window)
    window.controller.join(ChannelOptions("kept"))
    panel = window.panels["kept"]
    assert panel.track_seq("$.data.n") is None
    window.close()
    window2 = MainWindow(FakeController())
    qtbot.addWidget(window2)
    window2.controller.join(ChannelOptions("kept"))
    window2.controller.join(ChannelOptions("other"))
    again = window2.panels["kept"]
    assert again.channel.seq is not None
    assert again.channel.seq.path == "$.data.n"
    assert again.seq_button.isChecked()
    assert window2.panels["other"].channel.seq is None
    again.stop_seq()
    window2.close()
    window3 = MainWindow(FakeController())
    qtbot.addWidget(window3)
    window3.controller.join(ChannelOptions("kept"))
    assert window3.panels["kept"].channel.seq is None


def test_an_imported_tab_counts_its_rows(qtbot: Any, tmp_path: Any) -> None:
    records = [
        MessageRecord(
            time=1_700_000_000.0 + n,
            direction=Direction.IN,
            event="tick",
            payload=f'{{"seq": {n}}}'.encode(),
        )
        for n in (1, 2, 3, 7, 8)
    ]
    panel = ImportedChannelPanel("room", records, tmp_path / "run.ndjson")
    qtbot.addWidget(panel)
    assert panel.track_seq("$.seq") is None
    assert panel.channel.seq is not None
    c = panel.channel.seq.counts()
    assert (c.received, c.missing) == (5, 3)
    assert "missing 3" in shown_counts(panel)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.text(max_size=12), st.integers(min_value=0, max_value=3))
def test_track_this_field_paths_select_the_field(qtbot: Any, key: str, index: int) -> None:
    """Whatever a key holds (spaces, quotes, ``$``, non-ASCII), the Tree's path for *Track this
    field* is a JSONPath that selects exactly that value (``Copy path``'s ``$.$x`` is not)."""
    value = {"outer": {key: [0, 1, 2, 3]}}
    model = JsonTreeModel(value)
    outer = model.index(0, 0)
    model.fetchMore(outer)
    inner = model.index(0, 0, outer)
    model.fetchMore(inner)
    leaf = model.index(index, 0, inner)
    path = model.node_jsonpath(leaf)
    assert SeqTracker(path).read(value) == index, path
