"""The join dialog takes a typed ``realtime:`` prefix as the topic prefix, removes it and says
so under the name (issue #10 item 13): ``realtime:room-1`` is the channel ``room-1``."""

from __future__ import annotations

from typing import Any

from inspector.store import ChannelOptions, join_conflict
from inspector.ui.channels.join_dialog import JoinChannelDialog


def _dialog(qtbot: Any, open_tabs: list[ChannelOptions]) -> JoinChannelDialog:
    dialog = JoinChannelDialog(lambda o: join_conflict(o, open_tabs))
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def test_typed_prefix_is_removed_and_the_note_says_so(qtbot: Any) -> None:
    dialog = _dialog(qtbot, [])
    qtbot.keyClicks(dialog.name_edit, "realtime:room-1")
    assert dialog.options().name == "room-1"
    assert dialog.name_note.isVisible()
    note = dialog.name_note.text()
    assert "joining channel 'room-1'" in note
    assert "topic 'realtime:room-1'" in note
    assert dialog.buttons.buttons()[0].isEnabled()
    dialog.name_edit.setText("Realtime:room-1")  # the prefix in any case, as realtime-js
    assert dialog.options().name == "room-1"
    dialog.name_edit.setText("room-1")
    assert not dialog.name_note.isVisible()
    assert dialog.options().name == "room-1"


def test_prefixed_name_is_the_same_channel_as_an_open_tab(qtbot: Any) -> None:
    dialog = _dialog(qtbot, [ChannelOptions("room-1")])
    dialog.name_edit.setText("realtime:room-1")
    assert "already open in a tab" in dialog.error_label.text()
    assert not dialog.buttons.buttons()[0].isEnabled()


def test_the_prefix_alone_is_no_name_and_twice_reaches_a_prefixed_name(qtbot: Any) -> None:
    dialog = _dialog(qtbot, [])
    dialog.name_edit.setText("realtime:")
    assert "Channel name is required" in dialog.error_label.text()
    assert not dialog.buttons.buttons()[0].isEnabled()
    dialog.name_edit.setText("realtime:realtime:room-1")
    assert dialog.options().name == "realtime:room-1"
    assert "topic 'realtime:realtime:room-1'" in dialog.name_note.text()
