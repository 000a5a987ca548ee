"""SendHistoryModel: a tab's send history (newest first) for the composer's dropdown."""

from __future__ import annotations

from typing import Any, Final

from PySide6.QtCore import QAbstractListModel, QModelIndex, QObject, QPersistentModelIndex, Qt

from inspector.store import SendHistory, SendTemplate

#: ``data(index, TemplateRole)`` is the :class:`SendTemplate`.
TemplateRole: Final = int(Qt.ItemDataRole.UserRole) + 1

AnyIndex = QModelIndex | QPersistentModelIndex


class SendHistoryModel(QAbstractListModel):
    def __init__(self, history: SendHistory | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._history = history if history is not None else SendHistory()

    @property
    def history(self) -> SendHistory:
        return self._history

    def add(self, item: SendTemplate) -> bool:
        """Remember ``item``; False when it is too big to keep (store/channels/history.py caps)."""
        if not self._history.fits(item):
            return False
        self.beginResetModel()
        self._history.add(item)
        self.endResetModel()
        return True

    def template_at(self, row: int) -> SendTemplate | None:
        return self._history[row] if 0 <= row < len(self._history) else None

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._history)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.parent().isValid():
            return None
        item = self.template_at(index.row())
        if item is None:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return item.label()
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{item.event}\n{item.payload[:2000]}"
        if role == TemplateRole:
            return item
        return None
