"""ConnectionStatusWidget: the toolbar's status in words and colour, with live countdowns."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QWidget

from inspector.store import ConnectionStatus, LinkState

from .common import theme


class ConnectionStatusWidget(QLabel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._status = ConnectionStatus()
        self.setAccessibleName("Connection status")
        self.setMinimumWidth(220)
        self.set_status(self._status, 0.0)

    @property
    def status(self) -> ConnectionStatus:
        return self._status

    def plain_text(self, now: float) -> str:
        return self._status.describe(now)

    def set_status(self, status: ConnectionStatus, now: float) -> None:
        self._status = status
        c = theme.colors()
        colour = {
            LinkState.CONNECTED: c.ok,
            LinkState.CONNECTING: c.busy,
            LinkState.RECONNECTING: c.warning,
            LinkState.DISCONNECTED: c.error if status.reason else c.muted,
        }[status.state]
        text = status.describe(now).replace("&", "&amp;").replace("<", "&lt;")
        self.setText(f"<b style='color:{colour.name()}'>●</b> {text}")
        self.setToolTip(status.reason or status.state.value)

    def tick(self, now: float) -> None:
        if self._status.retry_at is not None:
            self.set_status(self._status, now)
