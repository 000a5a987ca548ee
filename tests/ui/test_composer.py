"""Composer: live JSON validation blocks Send, Ctrl+Enter, history recall with Up, ack/self intents."""

from __future__ import annotations

import json
from typing import Any

import pytest
from PySide6.QtCore import QMimeData, Qt
from PySide6.QtGui import QTextCursor

from inspector.store import SendHistory, SendTemplate, Transport
from inspector.ui.common.payload_edit import LONG_LINE
from inspector.ui.composer.composer_panel import ComposerPanel, check_json
from inspector.ui.open_channel import SendRequest

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


def paste(edit: Any, text: str) -> None:
    mime = QMimeData()
    mime.setText(text)
    edit.insertFromMimeData(mime)


def test_a_long_line_turns_wrapping_off_before_it_is_laid_out(qtbot: Any) -> None:
    """QA 2: wrapping a pasted one-line JSON froze the window (1 MB: 15 s, 3 MB: over a
    minute). A line over LONG_LINE characters now turns wrapping off first, whichever way it
    comes in (paste, history recall, undo, typing), and short text wraps again."""
    panel = make(qtbot)
    edit = panel.payload_edit
    wrap, no_wrap = edit.LineWrapMode.WidgetWidth, edit.LineWrapMode.NoWrap
    long_json = json.dumps({"s": "x" * (LONG_LINE + 10)})
    assert edit.lineWrapMode() == wrap
    layouts: list[Any] = []
    edit.document().contentsChange.connect(lambda *_: layouts.append(edit.lineWrapMode()))
    paste(edit, long_json)
    assert layouts[-1] == no_wrap  # off before Qt laid the change out
    assert edit.lineWrapMode() == no_wrap
    assert "not wrapped" in edit.toolTip()
    assert panel.error_label.isHidden()  # the JSON is still checked
    edit.selectAll()
    edit.textCursor().removeSelectedText()
    assert edit.lineWrapMode() == wrap
    edit.undo()  # the long line comes back through the undo stack
    assert edit.toPlainText() == long_json
    assert edit.lineWrapMode() == no_wrap
    edit.clear()
    assert edit.lineWrapMode() == wrap
    # A long multi-line paste of short lines keeps wrapping.
    paste(edit, json.dumps({f"k{i}": "v" * 50 for i in range(500)}, indent=2))
    assert edit.lineWrapMode() == wrap
    edit.clear()
    # Recall from history.
    panel.history_model.add(SendTemplate("e", long_json))
    assert panel.recall(0)
    assert edit.lineWrapMode() == no_wrap
    edit.clear()
    # Typing a line past the limit.
    edit.setPlainText("x" * LONG_LINE)
    assert edit.lineWrapMode() == wrap
    edit.moveCursor(QTextCursor.MoveOperation.End)
    qtbot.keyClicks(edit, "yz")
    assert edit.lineWrapMode() == no_wrap


def test_large_sends_are_not_kept_in_history(qtbot: Any) -> None:
    """QA 2: the history stored whole payloads in the settings file; over 64 KiB is not kept."""
    panel = make(qtbot)
    sent: list[SendRequest] = []
    panel.send_requested.connect(sent.append)
    panel.event_edit.setText("big")
    paste(panel.payload_edit, json.dumps({"s": "x" * 100_000}))
    panel.submit()
    assert len(sent) == 1
    assert len(sent[0].payload) > 100_000
    assert panel.history_model.rowCount() == 0
    assert "not kept in the history" in panel.hint_label.text()
    assert panel.hint_label.isVisibleTo(panel)
    panel.payload_edit.setPlainText('{"small": 1}')
    panel.submit()
    assert panel.history_model.rowCount() == 1
    assert "not kept" not in panel.hint_label.text()


def test_deep_valid_json_is_not_called_invalid(qtbot: Any) -> None:
    """QA 13: 5,000 nested objects are valid JSON, but Python's parser stops at about 1,000
    levels. The composer said "Invalid JSON: Nested too deeply"; it now says what it is."""
    panel = make(qtbot)
    panel.event_edit.setText("deep")
    panel.payload_edit.setPlainText('{"a":' * 5000 + "1" + "}" * 5000)
    text = panel.error_label.text()
    assert "Invalid JSON" not in text
    assert "too deep for the inspector to check and send" in text
    assert "may be valid" in text
    assert not panel.send_button.isEnabled()


def test_ack_and_self_toggles_are_intents_not_local_state(qtbot: Any) -> None:
    panel = make(qtbot)
    asked: list[tuple[bool, bool]] = []
    panel.options_change_requested.connect(lambda a, s: asked.append((a, s)))
    panel.set_options(ack=True, broadcast_self=False)
    assert asked == []
    panel.self_check.click()
    assert asked == [(True, True)]
