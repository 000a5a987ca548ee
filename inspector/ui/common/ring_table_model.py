"""RingTableModel and RingFilterProxyModel: the Qt adapter over a ring log, and its filter.

A :class:`~inspector.store.ring.RingLog` (a tab's messages, the connection's frames) tells the
model about every insert, eviction and in-place update synchronously; the model only schedules
a single-shot timer and, when it fires (every ``coalesce_ms``), turns everything that happened
into at most one ``beginRemoveRows`` (evicted rows at the top) and one ``beginInsertRows`` (new
rows at the bottom), plus ``dataChanged`` for rows updated in place. That keeps a flood of
thousands of items per second to a few dozen small model updates per second
(docs/architecture.md, "One incoming broadcast", steps 7-8).

Between two flushes the log may already have evicted rows the view still shows; ``data()``
returns nothing for them until the next flush removes them.

Subclasses (:class:`~inspector.ui.messages.message_table_model.MessageTableModel`,
:class:`~inspector.ui.frames.frames_model.FramesTableModel`) name the columns and say what each cell
shows (``_display``, ``_foreground``, ``_tooltip``, ``_font``).
"""

from __future__ import annotations

from typing import Any, ClassVar

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QFont

from inspector.store.ring import RingLog

from . import theme

AnyIndex = QModelIndex | QPersistentModelIndex

_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)


class RingTableModel(QAbstractTableModel):
    """Rows of one ring log, oldest first, with coalesced inserts and evictions."""

    #: emitted after each flush with (rows inserted, rows removed); (0, 0) when only counts
    #: changed (items held while paused) and after a reset.
    flushed = Signal(int, int)

    #: column titles (set by the subclass).
    headers: ClassVar[tuple[str, ...]] = ()
    #: ``data(index, item_role)`` returns the row's item.
    item_role: ClassVar[int] = int(Qt.ItemDataRole.UserRole)
    #: columns shown in the monospace font.
    mono_columns: ClassVar[tuple[int, ...]] = ()
    #: the right-aligned size column.
    size_column: ClassVar[int] = -1

    def __init__(
        self, log: RingLog[Any, Any], coalesce_ms: int, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._log = log
        self._first = log.first_seq
        self._count = len(log)
        self._updated: set[int] = set()
        self._dirty = False
        #: True while a flush removes evicted rows: a selection change then comes from Qt moving
        #: the selection off a vanished row, not from the user (the detail pane ignores it).
        self.removing = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(coalesce_ms)
        self._timer.timeout.connect(self.flush)
        self._colors = theme.colors()
        self._mono = theme.mono_font()
        log.add_listener(self)
        # The log can outlive its view (the controller keeps a tab's log while the window
        # closes; a late system row such as "disconnected" must not reach a deleted timer).
        self.destroyed.connect(lambda *_: log.remove_listener(self))

    # ------------------------------------------------------------------------------ log events

    def log_changed(self, inserted: int, evicted: int) -> None:
        # Called once per item: while a flush is pending (dirty implies the timer runs) this
        # is one attribute test, no call into Qt (benchmarks/gui_ingest.py).
        if self._dirty:
            return
        self._dirty = True
        self._timer.start()

    def log_reset(self) -> None:
        self._timer.stop()
        self._dirty = False
        self.beginResetModel()
        self._first = self._log.first_seq
        self._count = len(self._log)
        self._updated.clear()
        self.endResetModel()
        self.flushed.emit(0, 0)

    def log_updated(self, item: Any) -> None:
        self._updated.add(item.seq)
        if not self._timer.isActive():
            self._timer.start()

    def set_coalesce_ms(self, ms: int) -> None:
        self._timer.setInterval(ms)

    def has_pending(self) -> bool:
        """Whether changes are waiting for the next flush."""
        log = self._log
        return (
            bool(self._updated)
            or log.first_seq != self._first
            or log.end_seq != self._first + self._count
        )

    def flush(self) -> None:
        """Apply everything the log did since the last flush as one remove and one insert."""
        self._timer.stop()
        log = self._log
        new_first, new_end = log.first_seq, log.end_seq
        removed = min(max(0, new_first - self._first), self._count)
        if removed:
            self.removing = True
            try:
                self.beginRemoveRows(QModelIndex(), 0, removed - 1)
                self._first += removed
                self._count -= removed
                self.endRemoveRows()
            finally:
                self.removing = False
        if self._count == 0:
            self._first = new_first
        added = new_end - (self._first + self._count)
        if added > 0:
            self.beginInsertRows(QModelIndex(), self._count, self._count + added - 1)
            self._count += added
            self.endInsertRows()
        if self._updated:
            # one dataChanged per run of adjacent rows: a repeat run's acks update thousands of
            # consecutive rows per flush (issue #11 §3), one signal each cost more than the rest
            last = self.columnCount() - 1
            runs: list[list[int]] = []
            for seq in sorted(self._updated):
                row = seq - self._first
                if not 0 <= row < self._count:
                    continue
                if runs and runs[-1][1] == row - 1:
                    runs[-1][1] = row
                else:
                    runs.append([row, row])
            for top, bottom in runs:
                self.dataChanged.emit(self.index(top, 0), self.index(bottom, last))
            self._updated.clear()
        if added > 0 or removed or self._dirty:
            self._dirty = False
            self.flushed.emit(max(0, added), removed)

    def refresh_theme(self) -> None:
        """Pick colours again after a palette change."""
        self._colors = theme.colors()
        self._mono = theme.mono_font()
        if self._count:
            self.dataChanged.emit(
                self.index(0, 0), self.index(self._count - 1, self.columnCount() - 1)
            )

    # ------------------------------------------------------------------------------ lookups

    def item_at(self, row: int) -> Any:
        """The item shown at ``row``, or None (out of range, or evicted since last flush)."""
        if not 0 <= row < self._count:
            return None
        return self._log.by_seq(self._first + row)

    def row_of(self, item: Any) -> int | None:
        row: int = item.seq - self._first
        if 0 <= row < self._count and self._log.by_seq(item.seq) is item:
            return row
        return None

    # ------------------------------------------------------------------------------ Qt model API

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self._count

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.headers)

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.parent().isValid():
            return None
        item = self.item_at(index.row())
        if item is None:
            return None
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(item, col)
        if role == self.item_role:
            return item
        if role == Qt.ItemDataRole.ForegroundRole:
            return self._foreground(item, col)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(item, col)
        if role == Qt.ItemDataRole.FontRole:
            return self._font(item, col)
        if role == Qt.ItemDataRole.TextAlignmentRole and col == self.size_column:
            return _RIGHT
        return None

    # ------------------------------------------------------------------------------ cells

    def _display(self, item: Any, col: int) -> str | None:
        return None

    def _foreground(self, item: Any, col: int) -> Any:
        return None

    def _tooltip(self, item: Any, col: int) -> str | None:
        return None

    def _font(self, item: Any, col: int) -> QFont | None:
        return self._mono if col in self.mono_columns else None


class RingFilterProxyModel(QSortFilterProxyModel):
    """Shows the rows of a :class:`RingTableModel` that a filter accepts, in arrival order.

    The filter is a store filter (``is_empty``, ``matches(item)``); the subclass names it.
    """

    #: the source model class whose items the filter understands.
    source_type: ClassVar[type[RingTableModel]] = RingTableModel

    def __init__(self, empty_filter: Any, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._filter = empty_filter
        self.setDynamicSortFilter(True)

    def _set_filter(self, new_filter: Any) -> None:
        if new_filter == self._filter:
            return
        self.beginFilterChange()
        self._filter = new_filter
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def _source(self) -> RingTableModel | None:
        source = self.sourceModel()
        return source if isinstance(source, self.source_type) else None

    def filterAcceptsRow(
        self, source_row: int, source_parent: QModelIndex | QPersistentModelIndex
    ) -> bool:
        if self._filter.is_empty:
            return True
        source = self.sourceModel()
        if not isinstance(source, self.source_type):
            return True
        item = source.item_at(source_row)
        return item is None or self._filter.matches(item)

    def item_at(self, row: int) -> Any:
        """The item shown at proxy ``row``, or None."""
        source = self._source()
        if source is None:
            return None
        src = self.mapToSource(self.index(row, 0))
        return source.item_at(src.row()) if src.isValid() else None

    def row_of(self, item: Any) -> int | None:
        """The proxy row that shows ``item``, or None (filtered out or evicted)."""
        source = self._source()
        if source is None:
            return None
        src_row = source.row_of(item)
        if src_row is None:
            return None
        proxy = self.mapFromSource(source.index(src_row, 0))
        return proxy.row() if proxy.isValid() else None
