"""Composer: live JSON validation blocks Send, Ctrl+Enter, history recall with Up, ack/self intents."""

from __future__ import annotations

import json
from typing import Any

import pytest
from PySide6.QtCore import Qt

from inspector.store import SendHistory, SendTemplate, Transport
from inspector.ui.composer_panel import ComposerPanel, check_json
from inspector.ui.session import SendRequest

pytestmark = pytest.mark.gui


def make(qtbot: Any, history: SendHistory | None = None) -> ComposerPanel:
    panel = ComposerPanel(history)
    qtbot.addWidget(panel)
    panel.show()
    return panel


def test_check_json() -> None:
    assert check_json("") == (None, None)
    assert check_json('{"a": 1}') == (None, None)
    error, pos = check_json('{\n  "a": 1,\n  "b" 2\n}')
    assert error == "Line 3, column 7: Expecting ':' delimiter"
    assert pos == 18


def test_invalid_json_shows_where_and_disables_send(qtbot: Any) -> None:
    panel = make(qtbot)
    sent: list[SendRequest] = []
    panel.send_requested.connect(sent.append)
    qtbot.keyClicks(panel.event_edit, "chat")
    panel.payload_edit.setPlainText('{"text": "hi",}')
    assert not panel.send_button.isEnabled()
    assert "Invalid JSON: Line 1, column 15" in panel.error_label.text()
    assert panel.error_label.isVisibleTo(panel)
    assert len(panel.payload_edit.extraSelections()) == 1
    qtbot.keyClick(panel.payload_edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    panel.send_button.click()
    assert sent == []
    panel.payload_edit.setPlainText('{"text": "hi"}')
    assert panel.send_button.isEnabled()
    assert panel.payload_edit.extraSelections() == []
    assert not panel.error_label.isVisibleTo(panel)


def test_ctrl_enter_sends_compact_json_and_remembers(qtbot: Any) -> None:
    panel = make(qtbot)
    sent: list[SendRequest] = []
    panel.send_requested.connect(sent.append)
    qtbot.keyClicks(panel.event_edit, "chat")
    panel.payload_edit.setPlainText('{\n  "text": "héllo"\n}')
    panel.set_transport(Transport.REST)
    panel.payload_edit.setFocus()
    qtbot.keyClick(panel.payload_edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert sent == [SendRequest("chat", '{"text":"héllo"}'.encode(), Transport.REST)]
    assert panel.history_model.rowCount() == 1
    # Empty payload is {}; a missing event name disables Send with a hint.
    panel.payload_edit.setPlainText("")
    assert panel.payload_bytes() == b"{}"
    panel.event_edit.setText("")
    assert not panel.send_button.isEnabled()
    assert "event name" in panel.hint_label.text()


def test_non_object_payload_is_allowed_with_a_hint(qtbot: Any) -> None:
    panel = make(qtbot)
    panel.event_edit.setText("e")
    panel.payload_edit.setPlainText("[1, 2]")
    assert panel.send_button.isEnabled()
    assert "realtime-py drops it" in panel.hint_label.text()


def test_up_in_empty_editor_recalls_history(qtbot: Any) -> None:
    history = SendHistory([SendTemplate("new", '{"n": 2}'), SendTemplate("old", '{"n": 1}')])
    panel = make(qtbot, history)
    panel.payload_edit.setFocus()
    qtbot.keyClick(panel.payload_edit, Qt.Key.Key_Up)
    assert (panel.event_edit.text(), panel.payload_edit.toPlainText()) == ("new", '{"n": 2}')
    qtbot.keyClick(panel.payload_edit, Qt.Key.Key_Up)
    assert panel.event_edit.text() == "old"
    qtbot.keyClick(panel.payload_edit, Qt.Key.Key_Down)
    assert panel.event_edit.text() == "new"
    # Once edited, Up moves the cursor as usual instead of recalling.
    panel.payload_edit.setPlainText('{"n": 3}\n')
    qtbot.keyClick(panel.payload_edit, Qt.Key.Key_Up)
    assert panel.payload_edit.toPlainText() == '{"n": 3}\n'
    # The dropdown recalls too.
    panel.history_combo.activated.emit(1)
    assert json.loads(panel.payload_edit.toPlainText()) == {"n": 1}


def test_ack_and_self_toggles_are_intents_not_local_state(qtbot: Any) -> None:
    panel = make(qtbot)
    asked: list[tuple[bool, bool]] = []
    panel.options_change_requested.connect(lambda a, s: asked.append((a, s)))
    panel.set_options(ack=True, broadcast_self=False)
    assert asked == []
    panel.self_check.click()
    assert asked == [(True, True)]
