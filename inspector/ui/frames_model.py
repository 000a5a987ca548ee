"""FramesTableModel and FramesFilterProxyModel: the Frames view's thin Qt adapters.

The model mirrors a :class:`~inspector.store.frames.FrameLog` the same way
:class:`~inspector.ui.message_table_model.MessageTableModel` mirrors a message log: the log
notifies synchronously, the model applies everything in one remove and one insert per
``coalesce_ms``. While the Frames dock is closed the model is inactive and does no Qt work at
all; opening it catches up with one reset. Cells are computed from a row's cached summary, so only painted rows are ever
decoded. Data is shown redacted unless :meth:`FramesTableModel.set_reveal` was turned on.
"""

from __future__ import annotations

from typing import Any, Final

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

from inspector.store.frames import BINARY, CLOSE, IN, FrameFilter, FrameLog, FrameRow

from . import theme
from .message_table_model import format_size, format_time

COL_TIME: Final = 0
COL_DIRECTION: Final = 1
COL_OPCODE: Final = 2
COL_SIZE: Final = 3
COL_TOPIC: Final = 4
COL_EVENT: Final = 5
COL_REF: Final = 6
COL_JOIN_REF: Final = 7
COL_DATA: Final = 8
HEADERS: Final = ("Time", "Dir", "Opcode", "Size", "Topic", "Event", "ref", "join_ref", "Frame")

#: ``data(index, FrameRole)`` returns the row's :class:`FrameRow`.
FrameRole: Final = int(Qt.ItemDataRole.UserRole) + 2

#: Characters of a frame shown in the table cell.
PREVIEW_CHARS: Final = 200

AnyIndex = QModelIndex | QPersistentModelIndex


def direction_label(row: FrameRow) -> str:
    return "↓ in" if row.direction == IN else "↑ out"


class FramesTableModel(QAbstractTableModel):
    """Rows of one :class:`FrameLog`, oldest first, with coalesced inserts and evictions."""

    flushed = Signal(int, int)

    def __init__(self, log: FrameLog, coalesce_ms: int = 60, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._log = log
        self._first = log.first_seq
        self._count = len(log)
        self._dirty = False
        self._active = True
        self._reveal = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(coalesce_ms)
        self._timer.timeout.connect(self.flush)
        self._colors = theme.colors()
        self._mono = theme.mono_font()
        log.add_listener(self)

    @property
    def log(self) -> FrameLog:
        return self._log

    @property
    def reveal(self) -> bool:
        return self._reveal

    def set_reveal(self, reveal: bool) -> None:
        """Show secrets as they crossed the wire (True) or redacted (False, the default)."""
        if reveal == self._reveal:
            return
        self._reveal = reveal
        if self._count:
            self.dataChanged.emit(self.index(0, COL_DATA), self.index(self._count - 1, COL_DATA))

    # ------------------------------------------------------------------------------ log events

    @property
    def active(self) -> bool:
        return self._active

    def set_active(self, active: bool) -> None:
        """Follow the log (True) or ignore it until activated again (False, the dock is closed:
        no Qt work per frame); activating catches up with one reset."""
        if active == self._active:
            return
        self._active = active
        if active:
            self.log_reset()
        else:
            self._timer.stop()
            self._dirty = False

    def log_changed(self, inserted: int, evicted: int) -> None:
        # Once per frame: one attribute test while a flush is pending or the view is closed.
        if self._dirty or not self._active:
            return
        self._dirty = True
        self._timer.start()

    def log_reset(self) -> None:
        self._timer.stop()
        self._dirty = False
        self.beginResetModel()
        self._first = self._log.first_seq
        self._count = len(self._log)
        self.endResetModel()
        self.flushed.emit(0, 0)

    def log_updated(self, record: object) -> None:
        """Frames never change; part of the listener protocol."""

    def has_pending(self) -> bool:
        log = self._log
        return log.first_seq != self._first or log.end_seq != self._first + self._count

    def flush(self) -> None:
        self._timer.stop()
        log = self._log
        new_first, new_end = log.first_seq, log.end_seq
        removed = min(max(0, new_first - self._first), self._count)
        if removed:
            self.beginRemoveRows(QModelIndex(), 0, removed - 1)
            self._first += removed
            self._count -= removed
            self.endRemoveRows()
        if self._count == 0:
            self._first = new_first
        added = new_end - (self._first + self._count)
        if added > 0:
            self.beginInsertRows(QModelIndex(), self._count, self._count + added - 1)
            self._count += added
            self.endInsertRows()
        if added > 0 or removed or self._dirty:
            self._dirty = False
            self.flushed.emit(max(0, added), removed)

    # ------------------------------------------------------------------------------ lookups

    def frame_at(self, row: int) -> FrameRow | None:
        if not 0 <= row < self._count:
            return None
        return self._log.by_seq(self._first + row)

    def row_of(self, frame: FrameRow) -> int | None:
        row = frame.seq - self._first
        if 0 <= row < self._count and self._log.by_seq(frame.seq) is frame:
            return row
        return None

    # ------------------------------------------------------------------------------ Qt model API

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self._count

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        horizontal = orientation == Qt.Orientation.Horizontal
        if horizontal and role == Qt.ItemDataRole.DisplayRole and 0 <= section < len(HEADERS):
            return HEADERS[section]
        return None

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.parent().isValid():
            return None
        frame = self.frame_at(index.row())
        if frame is None:
            return None
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(frame, col)
        if role == FrameRole:
            return frame
        if role == Qt.ItemDataRole.ForegroundRole:
            return self._foreground(frame, col)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(frame, col)
        if role == Qt.ItemDataRole.FontRole and col in (COL_TIME, COL_SIZE, COL_DATA):
            return self._mono
        if role == Qt.ItemDataRole.TextAlignmentRole and col == COL_SIZE:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def _display(self, frame: FrameRow, col: int) -> str | None:
        if col == COL_TIME:
            return format_time(frame.time)
        if col == COL_DIRECTION:
            return direction_label(frame)
        if col == COL_OPCODE:
            return frame.opcode
        if col == COL_SIZE:
            return format_size(frame.size)
        if col == COL_DATA:
            return frame.shown_text(self._reveal, PREVIEW_CHARS).replace("\n", " ")
        summary = frame.summary()
        if col == COL_TOPIC:
            return summary.topic or ""
        if col == COL_EVENT:
            event = summary.event or ("" if summary.problem is None else "rejected")
            return f"{event} {summary.status}" if summary.status else event
        if col == COL_REF:
            return summary.ref or ""
        if col == COL_JOIN_REF:
            return summary.join_ref or ""
        return None

    def _foreground(self, frame: FrameRow, col: int) -> Any:
        c = self._colors
        if col == COL_DIRECTION:
            return c.incoming if frame.direction == IN else c.outgoing
        if frame.is_marker:
            return c.warning if frame.opcode == CLOSE else c.system
        if col == COL_EVENT:
            summary = frame.summary()
            if summary.status == "error" or summary.problem is not None:
                return c.error
        return None

    def _tooltip(self, frame: FrameRow, col: int) -> str | None:
        if col == COL_OPCODE:
            return frame.summary().kind
        if col == COL_SIZE:
            return f"{frame.size:,} bytes"
        if col == COL_EVENT:
            return frame.summary().problem
        if col == COL_DATA and frame.opcode != BINARY:
            return frame.shown_text(self._reveal, 1000)
        return None


class FramesFilterProxyModel(QSortFilterProxyModel):
    """Shows the frames a :class:`FrameFilter` accepts, in arrival order."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._filter = FrameFilter()
        self.setDynamicSortFilter(True)

    @property
    def frame_filter(self) -> FrameFilter:
        return self._filter

    def set_frame_filter(self, frame_filter: FrameFilter) -> None:
        if frame_filter == self._filter:
            return
        self.beginFilterChange()
        self._filter = frame_filter
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(
        self, source_row: int, source_parent: QModelIndex | QPersistentModelIndex
    ) -> bool:
        if self._filter.is_empty:
            return True
        source = self.sourceModel()
        if not isinstance(source, FramesTableModel):
            return True
        frame = source.frame_at(source_row)
        return frame is None or self._filter.matches(frame)

    def frame_at(self, row: int) -> FrameRow | None:
        source = self.sourceModel()
        if not isinstance(source, FramesTableModel):
            return None
        src = self.mapToSource(self.index(row, 0))
        return source.frame_at(src.row()) if src.isValid() else None
