"""The status area's notes (issue #10 items 16, 17): the token countdown from 5 minutes before
``exp``, "expired" once it passed or the server closed tabs for it; the dot leaves green."""

from __future__ import annotations

from typing import Any

import pytest

from inspector.store import ConnectionStatus, LinkState
from inspector.ui.common import theme
from inspector.ui.connection_status import (
    TOKEN_WARNING_S,
    ConnectionStatusWidget,
    TokenNote,
    token_note,
)

pytestmark = pytest.mark.gui

EXP = 2_000_000_000.0


def test_token_note_counts_down_from_five_minutes_before_exp() -> None:
    assert token_note(None, EXP) is None
    assert token_note(EXP, EXP - TOKEN_WARNING_S - 1) is None
    assert token_note(EXP, EXP - TOKEN_WARNING_S) == TokenNote("token expires in 5:00", False)
    assert token_note(EXP, EXP - 61.5) == TokenNote("token expires in 1:02", False)
    assert token_note(EXP, EXP) == TokenNote("token expired", True)
    assert token_note(None, EXP, closed_tabs=1) == TokenNote("token expired: 1 tab closed", True)
    assert token_note(EXP, 0.0, closed_tabs=3) == TokenNote("token expired: 3 tabs closed", True)


def test_widget_shows_the_note_and_leaves_green(qtbot: Any) -> None:
    widget = ConnectionStatusWidget()
    qtbot.addWidget(widget)
    c = theme.colors()
    widget.set_status(ConnectionStatus(LinkState.CONNECTED), 0.0)
    assert c.ok.name() in widget.text()
    widget.set_token_note(token_note(EXP, EXP - 100), 0.0)
    assert "connected · ⚠ token expires in 1:40" in widget.text()
    assert c.warning.name() in widget.text()
    widget.set_token_note(token_note(EXP, EXP + 1), 0.0)
    assert c.error.name() in widget.text()
    assert "Update token (Ctrl+Shift+U)" in widget.toolTip()
    widget.set_status(ConnectionStatus(LinkState.DISCONNECTED), 0.0)
    assert "token" not in widget.text()  # nothing to update while disconnected
    widget.set_status(ConnectionStatus(LinkState.RECONNECTING, retry_at=7.0, attempt=2), 2.0)
    assert "reconnecting in 5 s (attempt 2)" in widget.text()
    assert "Reconnect now (Ctrl+Shift+R)" in widget.toolTip()
