"""The real window driven by the fake session: profiles, connect, tabs, sends, restore."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from gui_fakes import FakeController
from PySide6.QtCore import Qt

from inspector.protocol import jwt
from inspector.store import (
    ChannelOptions,
    ChannelStatus,
    ConnectionStatus,
    LinkState,
    Profile,
    ProfileBook,
    SendState,
    TabState,
)
from inspector.ui.main_window import MainWindow
from inspector.ui.messages.message_table_model import COL_STATUS
from inspector.ui.profiles.secrets import API_KEY
from inspector.ui.settings import AppSettings

pytestmark = pytest.mark.gui

KEY = jwt.demo_key("anon")


def make_window(
    qtbot: Any, session: FakeController | None = None
) -> tuple[FakeController, MainWindow]:
    session = session or FakeController()
    window = MainWindow(session)
    qtbot.addWidget(window)
    window.show()
    return session, window


def saved_profile(key: str = KEY, url: str = "http://127.0.0.1:54321") -> str:
    settings = AppSettings()
    settings.save_profiles(ProfileBook([Profile("p1", "Local", url)]))
    settings.set_last_profile_id("p1")
    from inspector.ui.profiles.secrets import SecretStore

    SecretStore(settings.directory()).set("p1", API_KEY, key)
    return "p1"


def test_empty_window_guides_to_profiles(qtbot: Any) -> None:
    _, window = make_window(qtbot)
    assert window.stack.currentIndex() == 0
    assert "No connection profile" in window.empty_label.text()
    assert not window.connect_action.isEnabled()
    assert "No profile" in window.profile_problem.text()
    dialog = window.open_profiles()
    assert dialog.isVisible()
    dialog.url_edit.setText("http://127.0.0.1:54321")
    dialog.key_field.setText(KEY)
    dialog.close_button.click()
    assert window.connect_action.isEnabled()
    assert AppSettings().profiles()[0].url == "http://127.0.0.1:54321"


def test_connect_join_two_tabs_and_route_messages(qtbot: Any) -> None:
    saved_profile()
    session, window = make_window(qtbot)
    window.connect_action.trigger()
    assert session.connected
    assert "connected · heartbeat 1.2 ms" in window.status_widget.text()
    assert window.connect_action.text() == "Dis&connect"
    dialog = window.open_join_dialog()
    qtbot.keyClicks(dialog.name_edit, "chat")
    dialog.ack_check.setChecked(True)
    dialog.accept()
    assert window.join(ChannelOptions("cursors")) is None
    assert window.tabs.count() == 2
    assert window.tabs.currentWidget() is window.panels["cursors"]
    assert "joined" in window.panels["chat"].state_label.text()
    session.push("chat", "message", {"text": "hi"})
    session.push("cursors", "move", {"x": 1})
    session.push("cursors", "move", {"x": 2})
    for panel in window.panels.values():
        panel.model.flush()
    assert window.panels["chat"].model.rowCount() == 1
    assert window.panels["cursors"].model.rowCount() == 2
    assert window.tabs.tabText(0) == "chat (1)"
    assert window.tabs.tabText(1) == "cursors"
    window.tabs.setCurrentIndex(0)
    assert window.tabs.tabText(0) == "chat"
    # The same name again is refused with a message, not merged.
    assert "already open" in (window.join(ChannelOptions("chat")) or "")
    assert "already open" in window.statusBar().currentMessage()


def test_send_with_ack_turns_ok_and_self_echoes(qtbot: Any) -> None:
    saved_profile()
    session, window = make_window(qtbot)
    window.connect_current()
    window.join(ChannelOptions("room", ack=True))
    panel = window.panels["room"]
    panel.composer.event_edit.setText("ping")
    panel.composer.payload_edit.setPlainText('{"n": 1}')
    panel.composer.send_button.click()
    panel.model.flush()
    record = panel.model.record_at(0)
    assert record is not None
    assert record.send is not None
    assert record.send.state is SendState.OK
    assert panel.model.data(panel.model.index(0, COL_STATUS)) == "ok 1.8 ms"
    # Turning self on rejoins with the new option and says so in one line.
    panel.composer.self_check.click()
    assert session.channels["room"].options.broadcast_self
    assert "Rejoining “room” with ack on, self on" in window.statusBar().currentMessage()
    # The fake rejoins at once: the tab's "Rejoining" line is gone once joined (item 19).
    assert session.channels["room"].status.state is TabState.JOINED
    assert not panel.notice_label.text()
    assert ("leave", "room") in session.calls
    panel.composer.send_button.click()
    panel.model.flush()
    assert panel.model.rowCount() == 3
    assert [panel.model.record_at(r).direction.label for r in range(3)] == ["out", "out", "in"]  # type: ignore[union-attr]
    assert AppSettings().history("room").items[0].event == "ping"


def test_join_error_and_reconnecting_are_shown_in_words(qtbot: Any) -> None:
    saved_profile()
    session, window = make_window(qtbot)
    session.auto_join = False
    window.connect_current()
    window.join(ChannelOptions("secret", private=True))
    panel = window.panels["secret"]
    reason = "Unauthorized: You do not have permissions to read from this Channel topic: secret"
    now = session.clock()
    session.set_status("secret", ChannelStatus(TabState.ERRORED, reason, retry_at=now + 4.5))
    assert reason in panel.state_label.text()
    assert "retrying in 5 s" in panel.state_label.text()
    session.set_connection(
        ConnectionStatus(
            LinkState.RECONNECTING, retry_at=now + 2.2, attempt=2, reason="connection refused"
        )
    )
    assert "reconnecting in 3 s (attempt 2)" in window.status_widget.text()
    session.set_connection(ConnectionStatus(LinkState.DISCONNECTED, reason="HTTP 401: Invalid JWT"))
    assert "disconnected: HTTP 401: Invalid JWT" in window.status_widget.text()


def test_invalid_profile_blocks_connect_inline(qtbot: Any) -> None:
    saved_profile(key="")
    session, window = make_window(qtbot)
    assert not window.connect_action.isEnabled()
    assert "API key is required" in window.profile_problem.text()
    assert window.connect_current() == "API key is required"
    assert session.calls == []


def test_a_saved_profile_with_a_broken_url_still_starts_the_window(qtbot: Any) -> None:
    """QA 1: ``http://[::1`` (urlsplit raises ValueError) in a saved profile crashed
    MainWindow.__init__ on every start; now the window starts and says what is wrong."""
    saved_profile(url="http://[::1")
    session, window = make_window(qtbot)
    assert not window.connect_action.isEnabled()
    assert "not a valid URL" in window.profile_problem.text()
    assert window.connect_current() is not None
    assert session.calls == []
    dialog = window.open_profiles()
    assert "not a valid URL" in dialog.url_error.text()
    assert not dialog.connect_button.isEnabled()
    dialog.url_edit.clear()
    qtbot.keyClicks(dialog.url_edit, "http://[::1]:4000")  # every keystroke validates
    dialog.url_edit.editingFinished.emit()
    assert dialog.url_error.isHidden()
    dialog.close()


def test_connect_uses_the_normalized_url(qtbot: Any) -> None:
    """QA 15: a bare project ref saved without the dialog's editing-finished rewrite is
    connected to as https://<ref>.supabase.co, not handed raw to the client."""
    ref = "abcdefghijklmnopqrst"
    saved_profile(url=ref)
    seen: list[Profile] = []

    class Recording(FakeController):
        def _start_connect(self, profile: Profile, api_key: str, token: str | None) -> None:
            seen.append(profile)
            super()._start_connect(profile, api_key, token)

    session, window = make_window(qtbot, Recording())
    assert window.connect_current() is None
    assert [p.url for p in seen] == [f"https://{ref}.supabase.co"]
    assert session.profile is not None
    assert session.profile.url == f"https://{ref}.supabase.co"


def test_tabs_geometry_and_splitters_restore_on_restart(
    qtbot: Any, isolated_settings: Path
) -> None:
    saved_profile()
    _session, window = make_window(qtbot)
    window.connect_current()
    window.join(ChannelOptions("one", ack=True, events=("chat",)))
    window.join(ChannelOptions("two", private=True))
    window.resize(640, 480)  # the offscreen screen is 800x600: stay inside it
    window.panels["two"].h_splitter.setSizes([700, 300])
    window.close()
    ini = Path(AppSettings().qs.fileName()).read_text()
    assert KEY not in ini
    session2, window2 = make_window(qtbot, FakeController())
    assert list(window2.panels) == ["one", "two"]
    assert session2.channels["one"].options == ChannelOptions("one", ack=True, events=("chat",))
    assert "waiting for connection" in window2.panels["one"].state_label.text()
    assert window2.size().width() == 640
    sizes = window2.panels["two"].h_splitter.sizes()
    assert sizes[0] > sizes[1]
    window2.connect_current()
    assert all(s.status.state is TabState.JOINED for s in session2.channels.values())


def test_keyboard_only_join_and_close(qtbot: Any) -> None:
    saved_profile()
    session, window = make_window(qtbot)
    window.connect_current()
    window.join(ChannelOptions("k"))
    window.close_tab_action.trigger()
    assert window.tabs.count() == 0
    assert ("leave", "k") in session.calls
    assert window.stack.currentIndex() == 0
    assert AppSettings().open_tabs("p1") == []


def test_about_shows_versions(qtbot: Any) -> None:
    _, window = make_window(qtbot)
    text = window.about_text()
    assert "Qt 6." in text
    assert "PySide6" in text
    assert "Python 3." in text
    box = window.show_about()
    assert box.isVisible()
    box.close()


def test_detail_pane_toggle_and_copy(qtbot: Any) -> None:
    saved_profile()
    session, window = make_window(qtbot)
    window.connect_current()
    window.join(ChannelOptions("c"))
    session.push("c", "e", {"secret": "no", "n": 1})
    panel = window.panels["c"]
    panel.model.flush()
    panel.select_last()
    window.copy_payload_action.trigger()
    from PySide6.QtGui import QGuiApplication

    assert '"n": 1' in QGuiApplication.clipboard().text()
    window.copy_row_action.trigger()
    assert '"channel": "c"' in QGuiApplication.clipboard().text()
    window.detail_action.trigger()
    assert not panel.detail.isVisibleTo(window)
    assert panel.detail.text.toPlainText().startswith("{")
    assert window.menuBar().actions()[0].text() == "&File"
    assert Qt.Key.Key_J  # the shortcut exists:
    assert window.join_action.shortcut().toString() == "Ctrl+J"


def test_hostile_names_and_payloads_render_as_text(qtbot: Any) -> None:
    saved_profile()
    session, window = make_window(qtbot)
    window.connect_current()
    name = "a&b<i>x</i>"
    assert window.join(ChannelOptions(name, presence_key="<b>k</b>", events=("<h1>e",))) is None
    panel = window.panels[name]
    assert window.tabs.tabText(window.tabs.indexOf(panel)) == "a&&b<i>x</i>"
    chips = [panel.chips.itemAt(i).widget() for i in range(panel.chips.count())]
    assert all(c.textFormat() == Qt.TextFormat.PlainText for c in chips)  # type: ignore[union-attr]
    assert panel.notice_label.textFormat() == Qt.TextFormat.PlainText
    # A server payload with markup and control characters stays text in the table and detail.
    session.push(name, "<h1>E", {"meta": "<b>bold</b>", "ctl": "\u0000\u202e"})
    panel.model.flush()
    panel.select_last()
    assert panel.detail.subtitle.textFormat() == Qt.TextFormat.PlainText
    assert "&lt;h1&gt;E" in panel.detail.title.text()
    assert "<b>bold</b>" in panel.detail.text.toPlainText()


def test_hidden_characters_are_escaped_and_marked(qtbot: Any) -> None:
    """QA 7: a right-to-left override made ``evil\u202egnp.exe`` read as ``evilexe.png`` in the
    table and the detail pane, and a zero-width space was invisible. Every view now shows them
    as \\uXXXX in the warning colour with a note; Copy payload keeps the bytes that came."""
    from PySide6.QtGui import QGuiApplication

    from inspector.store import Direction, MessageRecord
    from inspector.ui.common.theme import colors
    from inspector.ui.messages.message_table_model import COL_EVENT, COL_PAYLOAD
    from inspector.ui.messages.payload_views import TREE

    saved_profile()
    session, window = make_window(qtbot)
    window.connect_current()
    window.join(ChannelOptions("c"))
    raw = {"name": "evil\u202egnp.exe", "zw": "a\u200bb", "k\u2067": 1}
    payload = json.dumps(raw, ensure_ascii=False).encode()
    record = MessageRecord(
        time=session.wall_clock(), direction=Direction.IN, event="ev\u202et", payload=payload
    )
    session._add_incoming("c", record)
    panel = window.panels["c"]
    panel.model.flush()
    model = panel.model
    cells = [str(model.index(0, col).data()) for col in (COL_EVENT, COL_PAYLOAD)]
    assert cells[0] == "ev\\u202et"
    assert "evil\\u202egnp.exe" in cells[1]
    assert "a\\u200bb" in cells[1]
    assert not any(c in "".join(cells) for c in "\u202e\u200b\u2067")
    warning = colors().warning
    assert model.index(0, COL_PAYLOAD).data(Qt.ItemDataRole.ForegroundRole) == warning
    assert "\\uXXXX" in model.index(0, COL_PAYLOAD).data(Qt.ItemDataRole.ToolTipRole)
    panel.select_last()
    detail = panel.detail
    shown = detail.text.toPlainText()
    assert "evil\\u202egnp.exe" in shown
    assert not any(c in shown for c in "\u202e\u200b\u2067")
    assert json.loads(shown) == raw  # the view is still the same JSON
    page = detail.views.primary
    assert page.hidden_label.isVisibleTo(window)
    assert page.hidden_label.text().startswith("⚠ 3 hidden")
    assert "\\u202e" in detail.title.text()
    detail.views.setCurrentIndex(TREE)
    tree = detail.views.tree.tree_model
    texts = {str(tree.index(r, col).data()) for r in range(3) for col in (0, 1)}
    assert '"evil\\u202egnp.exe"' in texts
    assert "k\\u2067" in texts
    assert tree.index(0, 1).data(Qt.ItemDataRole.ForegroundRole) == warning
    window.copy_payload_action.trigger()
    assert "evil\u202egnp.exe" in QGuiApplication.clipboard().text()  # copied as it came
    # An ordinary row is not marked.
    session.push("c", "plain", {"text": "héllo"})
    panel.model.flush()
    assert model.index(1, COL_PAYLOAD).data(Qt.ItemDataRole.ForegroundRole) is None
    panel.select_last()
    assert page.hidden_label.isHidden()


def test_frames_show_hidden_characters_escaped() -> None:
    """QA 7 in the Frames view: the raw frame text a peer sent, escaped too."""
    from inspector.store.frames.frames import FrameLog, FrameRow
    from inspector.ui.frames.frames_model import COL_DATA, FramesTableModel
    from inspector.ui.frames.frames_panel import frame_detail

    data = '[null,null,"realtime:c","broadcast",{"event":"e","payload":{"n":"evil\u202egnp"}}]'
    row = FrameRow(1_700_000_000.0, "in", "text", len(data), data, "2.0.0")
    log = FrameLog(10)
    model = FramesTableModel(log)
    log.append(row)
    model.flush()
    assert "evil\\u202egnp" in str(model.index(0, COL_DATA).data())
    text = frame_detail(row, reveal=False)
    assert "\u202e" not in text
    assert "evil\\u202egnp" in text
    assert "⚠ 2 invisible or direction-changing" in text  # decoded and raw


def test_preferences_change_the_ring_bound_and_are_saved(qtbot: Any) -> None:
    saved_profile()
    session, window = make_window(qtbot)
    window.connect_current()
    window.join(ChannelOptions("p"))
    for n in range(300):
        session.push("p", "e", {"n": n})
    dialog = window.open_preferences()
    dialog.capacity_spin.setValue(200)
    dialog.heartbeat_spin.setValue(5)
    dialog.accept()
    log = session.channels["p"].log
    assert log.capacity == 200
    assert len(log) == 200
    assert log.evicted_count == 100
    saved = AppSettings().preferences()
    assert (saved.ring_capacity, saved.heartbeat_s) == (200, 5.0)
    window.connect_action.trigger()
    assert not session.active
    assert window.status_widget.text().endswith("disconnected")
