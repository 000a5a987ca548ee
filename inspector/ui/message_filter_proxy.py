"""MessageFilterProxyModel: the table's text and event-name filters over a MessageTableModel."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, QSortFilterProxyModel

from inspector.store import MessageFilter, MessageRecord

from .message_table_model import MessageTableModel


class MessageFilterProxyModel(QSortFilterProxyModel):
    """Shows the rows a :class:`MessageFilter` accepts; no sorting (rows stay in arrival order)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._filter = MessageFilter()
        self.setDynamicSortFilter(True)

    @property
    def message_filter(self) -> MessageFilter:
        return self._filter

    def set_message_filter(self, message_filter: MessageFilter) -> None:
        if message_filter == self._filter:
            return
        self.beginFilterChange()
        self._filter = message_filter
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(
        self, source_row: int, source_parent: QModelIndex | QPersistentModelIndex
    ) -> bool:
        if self._filter.is_empty:
            return True
        source = self.sourceModel()
        if not isinstance(source, MessageTableModel):
            return True
        record = source.record_at(source_row)
        return record is None or self._filter.matches(record)

    def record_at(self, row: int) -> MessageRecord | None:
        source = self.sourceModel()
        if not isinstance(source, MessageTableModel):
            return None
        src = self.mapToSource(self.index(row, 0))
        return source.record_at(src.row()) if src.isValid() else None

    def row_of(self, record: MessageRecord) -> int | None:
        source = self.sourceModel()
        if not isinstance(source, MessageTableModel):
            return None
        src_row = source.row_of(record)
        if src_row is None:
            return None
        proxy = self.mapFromSource(source.index(src_row, 0))
        return proxy.row() if proxy.isValid() else None
