"""ChannelTabsWidget: the channel panels in closable, movable tabs with unread counts."""

from __future__ import annotations

from functools import partial

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QTabWidget, QWidget

from .channel_panel import ChannelPanel


class ChannelTabsWidget(QTabWidget):
    """Keeps ``panels`` by channel name; closing a tab asks for the channel to be closed."""

    close_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.panels: dict[str, ChannelPanel] = {}
        self.setTabsClosable(True)
        self.setMovable(True)
        self.setDocumentMode(True)
        self.setAccessibleName("Channels")
        self.tabCloseRequested.connect(self._close_requested)
        self.currentChanged.connect(self._current_changed)

    def add_panel(self, panel: ChannelPanel, *, select: bool) -> None:
        self.panels[panel.name] = panel
        index = self.addTab(panel, panel.title())
        self.setTabToolTip(index, f"realtime:{panel.name}")
        panel.title_changed.connect(partial(self._retitle, panel))
        if select:
            self.setCurrentIndex(index)
        else:
            panel.set_current(self.currentWidget() is panel)

    def remove_panel(self, name: str) -> ChannelPanel | None:
        panel = self.panels.pop(name, None)
        if panel is not None:
            index = self.indexOf(panel)
            if index >= 0:
                self.removeTab(index)
            panel.deleteLater()
        return panel

    def panel(self, name: str) -> ChannelPanel | None:
        return self.panels.get(name)

    def current_panel(self) -> ChannelPanel | None:
        widget = self.currentWidget()
        return widget if isinstance(widget, ChannelPanel) else None

    def ordered_names(self) -> list[str]:
        """Channel names in tab order (tabs can be moved)."""
        out = []
        for i in range(self.count()):
            widget = self.widget(i)
            if isinstance(widget, ChannelPanel):
                out.append(widget.name)
        return out

    def _retitle(self, panel: ChannelPanel) -> None:
        index = self.indexOf(panel)
        if index >= 0:
            self.setTabText(index, panel.title())

    def _current_changed(self, index: int) -> None:
        current = self.widget(index)
        for panel in self.panels.values():
            panel.set_current(panel is current)

    def _close_requested(self, index: int) -> None:
        widget = self.widget(index)
        if isinstance(widget, ChannelPanel):
            self.close_requested.emit(widget.name)
