"""The tab widget owns live and imported tabs (issue #9 §2): each tab's kind is recorded, only
live tabs ask the controller to close, and an imported tab closes without any other handler.
The live-tab wiring and the demo's composer prefill go through the window's own helpers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from gui_fakes import FakeController
from PySide6.QtWidgets import QWidget

from inspector.store import ChannelOptions, Direction, MessageRecord, Profile
from inspector.store.messages.copy_commands import CommandTarget
from inspector.ui.channels.channel_panel import ChannelPanel
from inspector.ui.channels.channel_tabs import ChannelTabsWidget, TabKind
from inspector.ui.channels.imported_panel import ImportedChannelPanel
from inspector.ui.channels.live_tab import ActiveProfile, command_target
from inspector.ui.main_window import MainWindow
from inspector.ui.open_channel import OpenChannel
from inspector.ui.profiles.secrets import ACCESS_TOKEN

pytestmark = pytest.mark.gui

KEY = "x" * 40


def record(event: str = "e") -> MessageRecord:
    return MessageRecord(time=1.0, direction=Direction.IN, event=event, payload=b"{}")


def make_tabs(qtbot: Any) -> tuple[ChannelTabsWidget, ChannelPanel, ImportedChannelPanel]:
    tabs = ChannelTabsWidget()
    qtbot.addWidget(tabs)
    live = ChannelPanel(OpenChannel(ChannelOptions("room"), 100))
    tabs.add_panel(live, select=True)
    # An import of the same channel: the same name, another kind.
    imported = ImportedChannelPanel("room", [record()], Path("room.ndjson"))
    tabs.add_imported(imported, imported.title(), "room from room.ndjson")
    return tabs, live, imported


def test_kinds_are_recorded_and_only_live_tabs_ask_to_close(qtbot: Any) -> None:
    tabs, live, imported = make_tabs(qtbot)
    other = QWidget()
    qtbot.addWidget(other)
    assert tabs.kind(live) is TabKind.LIVE
    assert tabs.kind(imported) is TabKind.IMPORTED
    assert tabs.kind(other) is None
    assert imported.name == "room"  # no marker in the name any more
    assert tabs.ordered_names() == ["room"]
    assert tabs.message_panels() == [live, imported]

    asked: list[str] = []
    changed: list[int] = []
    tabs.close_requested.connect(asked.append)
    tabs.tabs_changed.connect(lambda: changed.append(tabs.count()))

    # The X of the imported tab removes it; no channel is asked to close.
    tabs.tabCloseRequested.emit(tabs.indexOf(imported))
    assert asked == []
    assert tabs.indexOf(imported) < 0
    assert tabs.imported == []
    assert changed == [1]

    # The X of the live tab only asks; the tab stays until the controller closed the channel.
    tabs.tabCloseRequested.emit(tabs.indexOf(live))
    assert asked == ["room"]
    assert tabs.indexOf(live) == 0
    assert tabs.remove_panel("room") is live
    assert tabs.count() == 0
    assert changed == [1, 0]


def test_current_live_panel_skips_imported_tabs(qtbot: Any) -> None:
    tabs, live, imported = make_tabs(qtbot)
    tabs.setCurrentWidget(imported)
    assert tabs.current_panel() is imported
    assert tabs.current_live_panel() is None
    tabs.setCurrentWidget(live)
    assert tabs.current_live_panel() is live


def test_closing_a_live_tab_leaves_the_next_imported_tab(qtbot: Any) -> None:
    """Ctrl+W on a live tab closes that channel only, even when an imported tab becomes the
    current one as it goes (the old handlers, connected in turn, closed both)."""
    controller = FakeController()
    window = MainWindow(controller)
    qtbot.addWidget(window)
    window.join(ChannelOptions("room"))
    imported = ImportedChannelPanel("room", [record()], Path("room.ndjson"))
    window.tabs.add_imported(imported, imported.title(), "")
    window.tabs.setCurrentIndex(0)
    window.close_tab_action.trigger()
    assert "room" not in controller.channels
    assert window.tabs.imported == [imported]
    assert window.tabs.currentWidget() is imported
    assert window.stack.currentIndex() == 1  # tabs_changed keeps the empty state in step
    # Leave and Rejoin on the imported tab reach no channel; Ctrl+W closes it.
    window.join(ChannelOptions("other"))
    window.tabs.setCurrentWidget(imported)
    calls = list(controller.calls)
    window.leave_action.trigger()
    window.rejoin_action.trigger()
    assert controller.calls == calls
    window.close_tab_action.trigger()
    assert window.tabs.imported == []
    assert "other" in controller.channels


def test_active_profile_follows_the_connection_then_the_selection(qtbot: Any) -> None:
    controller = FakeController()
    selected = Profile("sel", "Selected", "http://127.0.0.1:1", vsn="1.0.0")
    connected = Profile("con", "Connected", "http://127.0.0.1:2")
    tokens = {"con"}
    active = ActiveProfile(controller, lambda: selected, lambda p: p.id in tokens)
    assert active.profile is selected
    assert active.vsn == "1.0.0"
    assert not active.has_token
    assert controller.connect_to(connected, KEY) is None
    assert active.profile is not None
    assert active.profile.id == "con"
    assert active.has_token
    panel = ChannelPanel(OpenChannel(ChannelOptions("room", ack=True), 10))
    qtbot.addWidget(panel)
    target = command_target(active, panel)
    assert target == CommandTarget(
        url="http://127.0.0.1:2", channel="room", vsn="2.0.0", ack=True, has_token=True
    )
    controller.close_connection()
    assert active.profile is selected
    none = ActiveProfile(controller, lambda: None, lambda _p: True)
    assert none.profile is None
    assert none.vsn == "2.0.0"
    assert command_target(none, panel) is None


def test_live_tab_protocol_follows_the_profile_selection(qtbot: Any) -> None:
    controller = FakeController()
    window = MainWindow(controller)
    qtbot.addWidget(window)
    window.add_session_profile(Profile("v1", "Old", "http://127.0.0.1:1", vsn="1.0.0"), KEY, "t")
    window.add_session_profile(Profile("v2", "New", "http://127.0.0.1:2"), KEY)
    window.join(ChannelOptions("room"))
    composer = window.panels["room"].composer
    assert composer.binary_allowed
    window.select_profile("v1")
    assert not composer.binary_allowed
    assert window.active_profile.has_token
    assert window.secrets.get("v1", ACCESS_TOKEN) == "t"


def test_prefill_composer_fills_only_an_empty_composer(qtbot: Any) -> None:
    controller = FakeController()
    window = MainWindow(controller)
    qtbot.addWidget(window)
    window.join(ChannelOptions("room"))
    composer = window.panels["room"].composer
    assert window.prefill_composer("room", "hello", '{"a": 1}')
    assert composer.event_edit.text() == "hello"
    assert composer.payload_edit.toPlainText() == '{"a": 1}'
    assert not window.prefill_composer("room", "other", "{}")
    assert composer.event_edit.text() == "hello"
    assert not window.prefill_composer("missing", "e", "{}")
