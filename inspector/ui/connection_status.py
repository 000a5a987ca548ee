"""ConnectionStatusWidget: the toolbar's status in words and colour, with live countdowns.

Besides the connection itself it carries two notes (issue #10 items 16 and 17): while the
socket waits to reconnect, the countdown to the next attempt (the tooltip names the *Reconnect
now* shortcut);
from :data:`TOKEN_WARNING_S` before the user token's ``exp``, a countdown to it, and once it has
expired (or the server closed tabs for it) a warning in the error colour, so a "connected" whose
channels were all closed never shows green.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

from PySide6.QtWidgets import QLabel, QWidget

from inspector.protocol.explain import explain, explained
from inspector.store import ConnectionStatus, LinkState

from .common import theme

#: The token countdown starts this many seconds before ``exp`` (5 minutes).
TOKEN_WARNING_S: Final = 300.0
RECONNECT_SHORTCUT: Final = "Ctrl+Shift+R"
UPDATE_TOKEN_SHORTCUT: Final = "Ctrl+Shift+U"


@dataclass(frozen=True, slots=True)
class TokenNote:
    text: str
    #: the token has expired (error colour) rather than expiring soon (warning colour).
    expired: bool


def token_note(exp: float | None, now: float, closed_tabs: int = 0) -> TokenNote | None:
    """What the status area says about the user token at wall-clock ``now``: nothing until
    :data:`TOKEN_WARNING_S` before ``exp``, then a countdown, then "expired" (also when the
    server closed ``closed_tabs`` tabs for an expired token)."""
    if closed_tabs or (exp is not None and exp <= now):
        text = "token expired"
        if closed_tabs:
            text += f": {closed_tabs} tab{'' if closed_tabs == 1 else 's'} closed"
        return TokenNote(text, True)
    if exp is None or exp - now > TOKEN_WARNING_S:
        return None
    left = max(0, math.ceil(exp - now))
    return TokenNote(f"token expires in {left // 60}:{left % 60:02d}", False)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;")


class ConnectionStatusWidget(QLabel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._status = ConnectionStatus()
        self._token: TokenNote | None = None
        self.setAccessibleName("Connection status")
        self.setMinimumWidth(220)
        #: The same words in the status bar whenever the connection needs attention
        #: (reconnecting, disconnected with a reason, a token about to expire): the toolbar
        #: cuts its label off on a small screen and moves it into its overflow menu at a large
        #: scale factor, the status bar keeps the whole line (issue #10 items 17 and 19).
        self.mirror = QLabel()
        self.mirror.setAccessibleName("Connection attention")
        self.mirror.setVisible(False)
        self.set_status(self._status, 0.0)

    @property
    def status(self) -> ConnectionStatus:
        return self._status

    @property
    def token(self) -> TokenNote | None:
        return self._token

    def plain_text(self, now: float) -> str:
        text = self._status.describe(now)
        if self._token is not None and self._status.state is not LinkState.DISCONNECTED:
            text = f"{text} · ⚠ {self._token.text}"
        return text

    def set_token_note(self, note: TokenNote | None, now: float) -> None:
        if note != self._token:
            self._token = note
            self.set_status(self._status, now)

    def set_status(self, status: ConnectionStatus, now: float) -> None:
        self._status = status
        c = theme.colors()
        colour = {
            LinkState.CONNECTED: c.ok,
            LinkState.CONNECTING: c.busy,
            LinkState.RECONNECTING: c.warning,
            LinkState.DISCONNECTED: c.error if status.reason else c.muted,
        }[status.state]
        token = self._token if status.state is not LinkState.DISCONNECTED else None
        if token is not None and status.state is LinkState.CONNECTED:
            colour = c.error if token.expired else c.warning
        text = _escape(self.plain_text(now))
        self.setText(f"<b style='color:{colour.name()}'>●</b> {text}")
        attention = (
            token is not None
            or status.state is LinkState.RECONNECTING
            or (status.state is LinkState.DISCONNECTED and bool(status.reason))
        )
        entry = explain(status.reason) if status.state is not LinkState.CONNECTED else None
        if attention:
            why = f" — {_escape(entry.meaning)}" if entry is not None else ""
            self.mirror.setText(f"<b style='color:{colour.name()}'>●</b> {text}{why}")
            self.mirror.setToolTip(entry.as_text() if entry is not None else "")
        self.mirror.setVisible(attention)
        tip = explained(status.reason) if status.reason else status.state.value
        if status.state is LinkState.RECONNECTING:
            tip += f"\nReconnect now ({RECONNECT_SHORTCUT}) skips the wait"
        if token is not None:
            tip += f"\n{token.text}: Update token ({UPDATE_TOKEN_SHORTCUT})"
        self.setToolTip(tip)

    def tick(self, now: float) -> None:
        if self._status.retry_at is not None:
            self.set_status(self._status, now)
