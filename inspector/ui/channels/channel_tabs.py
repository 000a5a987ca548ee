"""ChannelTabsWidget: the window's tabs, live channels and read-only imports, in closable,
movable tabs with unread counts.

Each tab's kind is recorded when it is added (:class:`TabKind`). Closing a live tab (its X, or
:meth:`ChannelTabsWidget.close_current`) only asks for the channel to be closed
(``close_requested(name)``); the controller decides and the window then calls
:meth:`~ChannelTabsWidget.remove_panel`. Closing an imported tab removes it here at once: it
has no channel behind it. ``tabs_changed`` follows every tab added or removed.
"""

from __future__ import annotations

from enum import Enum
from functools import partial

from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QTabWidget, QWidget

from .channel_panel import ChannelPanel


def state_icon(colour: QColor, size: int = 12) -> QIcon:
    """A filled dot in ``colour``: a live tab's join state at a glance."""
    pixmap = QPixmap(size * 2, size * 2)
    pixmap.setDevicePixelRatio(2.0)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(colour)
    painter.drawEllipse(QRectF(2, 2, size - 4, size - 4))
    painter.end()
    return QIcon(pixmap)


class TabKind(Enum):
    #: a joined (or joining, or left) channel of the connection.
    LIVE = "live"
    #: a read-only tab opened from an NDJSON file (a channel's rows, or frames).
    IMPORTED = "imported"


class ChannelTabsWidget(QTabWidget):
    """Keeps live ``panels`` by channel name and the ``imported`` tabs in the order opened."""

    #: the user asked to close the live tab of this channel.
    close_requested = Signal(str)
    #: a tab was added or removed.
    tabs_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.panels: dict[str, ChannelPanel] = {}
        self.imported: list[QWidget] = []
        self.setTabsClosable(True)
        self.setMovable(True)
        self.setDocumentMode(True)
        self.setAccessibleName("Channels")
        self.tabCloseRequested.connect(self._close_requested)
        self.currentChanged.connect(self._current_changed)

    # ------------------------------------------------------------------------------ adding

    def add_panel(self, panel: ChannelPanel, *, select: bool) -> None:
        """Add a live channel's tab."""
        self.panels[panel.name] = panel
        index = self.addTab(panel, panel.title())
        panel.title_changed.connect(partial(self._retitle, panel))
        self._retitle(panel)
        if select:
            self.setCurrentIndex(index)
        else:
            panel.set_current(self.currentWidget() is panel)
        self.tabs_changed.emit()

    def add_imported(self, widget: QWidget, title: str, tooltip: str) -> None:
        """Add a read-only tab opened from a file (not selected)."""
        self.imported.append(widget)
        index = self.addTab(widget, title)
        self.setTabToolTip(index, tooltip)
        self.tabs_changed.emit()

    # ------------------------------------------------------------------------------ removing

    def remove_panel(self, name: str) -> ChannelPanel | None:
        """Remove a live channel's tab (after the controller closed the channel)."""
        panel = self.panels.pop(name, None)
        if panel is not None:
            self._remove(panel)
        return panel

    def close_imported(self, widget: QWidget) -> bool:
        """Remove an imported tab; False when ``widget`` is not one."""
        if widget not in self.imported:
            return False
        self.imported.remove(widget)
        self._remove(widget)
        return True

    def close_tab(self, widget: QWidget) -> None:
        """Close a tab as its X does: ask for a live one, remove an imported one."""
        if self.kind(widget) is TabKind.LIVE:
            assert isinstance(widget, ChannelPanel)
            self.close_requested.emit(widget.name)
        else:
            self.close_imported(widget)

    def close_current(self) -> None:
        widget = self.currentWidget()
        if widget is not None:
            self.close_tab(widget)

    def _remove(self, widget: QWidget) -> None:
        index = self.indexOf(widget)
        if index >= 0:
            self.removeTab(index)
        widget.deleteLater()
        self.tabs_changed.emit()

    # ------------------------------------------------------------------------------ reading

    def kind(self, widget: QWidget | None) -> TabKind | None:
        """The kind of a tab of this widget, or None for anything else."""
        if isinstance(widget, ChannelPanel) and self.panels.get(widget.name) is widget:
            return TabKind.LIVE
        if widget is not None and widget in self.imported:
            return TabKind.IMPORTED
        return None

    def panel(self, name: str) -> ChannelPanel | None:
        return self.panels.get(name)

    def current_panel(self) -> ChannelPanel | None:
        """The current tab when it shows messages (a live tab or an imported channel)."""
        widget = self.currentWidget()
        return widget if isinstance(widget, ChannelPanel) else None

    def current_live_panel(self) -> ChannelPanel | None:
        """The current tab when it is a live channel's."""
        widget = self.currentWidget()
        return (
            widget
            if isinstance(widget, ChannelPanel) and self.kind(widget) is TabKind.LIVE
            else None
        )

    def message_panels(self) -> list[ChannelPanel]:
        """The tabs that show messages (live and imported channels), in tab order."""
        widgets = [self.widget(i) for i in range(self.count())]
        return [w for w in widgets if isinstance(w, ChannelPanel)]

    def ordered_names(self) -> list[str]:
        """Live channel names in tab order (tabs can be moved)."""
        return [p.name for p in self.message_panels() if self.kind(p) is TabKind.LIVE]

    # ------------------------------------------------------------------------------ slots

    def _retitle(self, panel: ChannelPanel) -> None:
        index = self.indexOf(panel)
        if index >= 0:
            self.setTabText(index, panel.title())
            # The channel's state as a coloured mark and in words (issue #10 item 19).
            colour, words = panel.state_mark()
            self.setTabIcon(index, state_icon(colour))
            who = f" · as {panel.identity}" if getattr(panel, "identity", "") else ""
            self.setTabToolTip(index, f"realtime:{panel.name}{who} · {words}")

    def _current_changed(self, index: int) -> None:
        current = self.widget(index)
        for panel in self.panels.values():
            panel.set_current(panel is current)

    def _close_requested(self, index: int) -> None:
        widget = self.widget(index)
        if widget is not None:
            self.close_tab(widget)
