"""The compare view's marks model (issue #13 §3) under qtmodeltester, and the dialog's checks."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt

from inspector.store import Direction, MessageRecord
from inspector.store.compare.marks import MarkBoard, MarkState, stamp
from inspector.ui.compare.compare_dialog import KIND_EMAIL, CompareDialog, IdentityChoice
from inspector.ui.compare.marks_model import FIXED, MarkRole, MarksModel

pytestmark = pytest.mark.gui


def test_marks_model(qtmodeltester: Any) -> None:
    board = MarkBoard(3, "00ff00ff", settle_s=1.0)
    model = MarksModel(board, ["alice", "bob", "carol"])
    qtmodeltester.check(model)
    marker = board.next_marker()
    board.sent(marker, 0, "hello", [True, True, False], wall=1_700_000_000.0, now=0.0)
    row = MessageRecord(
        time=1_700_000_000.5, direction=Direction.IN, event="hello", payload=stamp("{}", marker)
    )
    board.received(1, row.payload, row)
    board.send_result(marker, MarkState.SENT)
    model.flush()
    qtmodeltester.check(model)
    assert model.rowCount() == 1
    assert model.columnCount() == len(FIXED) + 3
    assert model.headerData(len(FIXED) + 1, Qt.Orientation.Horizontal) == "B · bob"
    cells = [model.index(0, c).data() for c in range(model.columnCount())]
    assert cells[:3] == ["1", "A", "hello"]
    assert cells[3] == "➜ sent"
    assert cells[4].startswith("✓ received · ")  # the row's time
    assert cells[5] == "✗ not received (not joined)"
    assert model.index(0, len(FIXED) + 1).data(MarkRole).row is row
    assert model.index(0, 0).data(MarkRole) is None


def test_dialog_needs_a_channel_and_two_to_four_identities(qtbot: Any) -> None:
    choices = [IdentityChoice(n, "profile key") for n in ("a", "b", "c", "d", "e")]
    dialog = CompareDialog(choices)
    qtbot.addWidget(dialog)
    assert dialog.error() == "Name the channel"
    dialog.channel_edit.setText("realtime:room")
    assert dialog.channel() == "room"
    assert dialog.error() is None  # the first two are checked
    dialog.set_checked(["a", "b", "c", "d", "e"])
    assert dialog.error() == "Check 2 to 4 identities (5 checked)"
    assert not dialog.buttons.buttons()[0].isEnabled()
    dialog.set_checked(["c"])
    assert dialog.error() == "Check 2 to 4 identities (1 checked)"
    dialog.name_edit.setText("c")
    assert dialog.typed_choice() == (None, "There is already an identity “c”")
    dialog.name_edit.setText("z")
    dialog.kind_combo.setCurrentIndex(dialog.kind_combo.findData(KIND_EMAIL))
    assert dialog.typed_choice()[1] == "Type the email address"
    dialog.email_edit.setText("z@example.com")
    assert dialog.typed_choice()[1] == "Type the password"
    dialog.password_edit.setText("pw")
    assert dialog.add_typed()
    assert [c.name for c in dialog.choices()] == ["c", "z"]
    assert "pw" not in repr(dialog.choices())
