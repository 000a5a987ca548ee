"""MessageTableModel: a thin Qt adapter over one channel's :class:`~inspector.store.MessageLog`.

The log tells the model about every insert, eviction and status update synchronously; the
model only schedules a single-shot timer and, when it fires (every ``coalesce_ms``, default
40 ms), turns everything that happened into at most one ``beginRemoveRows`` (evicted rows at
the top) and one ``beginInsertRows`` (new rows at the bottom), plus ``dataChanged`` for
outgoing rows whose status changed. That keeps a flood of thousands of messages per second to
~25 small model updates per second (docs/architecture.md, "One incoming broadcast", steps 7-8).

Between two flushes the log may already have evicted rows the view still shows; ``data()``
returns nothing for them until the next flush removes them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QFont

from inspector.store import Direction, MessageLog, MessageRecord, SendState
from inspector.store.preferences import DEFAULT_COALESCE_MS

from . import theme

COL_TIME: Final = 0
COL_DIRECTION: Final = 1
COL_EVENT: Final = 2
COL_PAYLOAD: Final = 3
COL_SIZE: Final = 4
COL_STATUS: Final = 5
HEADERS: Final = ("Time", "Dir", "Event", "Payload", "Size", "Status")

#: ``data(index, RecordRole)`` returns the row's :class:`MessageRecord`.
RecordRole: Final = int(Qt.ItemDataRole.UserRole) + 1

AnyIndex = QModelIndex | QPersistentModelIndex


def format_time(epoch: float) -> str:
    """``14:03:07.125``: local wall-clock time with milliseconds."""
    dt = datetime.fromtimestamp(epoch)
    return f"{dt:%H:%M:%S}.{dt.microsecond // 1000:03d}"


def format_size(size: int) -> str:
    if size < 10_000:
        return f"{size} B"
    if size < 10_000_000:
        return f"{size / 1000:.1f} kB"
    return f"{size / 1_000_000:.1f} MB"


class MessageTableModel(QAbstractTableModel):
    """Rows of one :class:`MessageLog`, oldest first, with coalesced inserts and evictions."""

    #: emitted after each flush with (rows inserted, rows removed); (0, 0) when only counts
    #: changed (records held while paused).
    flushed = Signal(int, int)

    def __init__(
        self,
        log: MessageLog,
        coalesce_ms: int = DEFAULT_COALESCE_MS,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._log = log
        self._first = log.first_seq
        self._count = len(log)
        self._updated: set[int] = set()
        self._dirty = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(coalesce_ms)
        self._timer.timeout.connect(self.flush)
        self._colors = theme.colors()
        self._mono = theme.mono_font()
        self._bold = QFont()
        self._bold.setBold(True)
        log.add_listener(self)

    # ------------------------------------------------------------------------------ log events

    @property
    def log(self) -> MessageLog:
        return self._log

    def log_changed(self, inserted: int, evicted: int) -> None:
        # Called once per message: while a flush is pending (dirty implies the timer runs) this
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

    def log_updated(self, record: MessageRecord) -> None:
        self._updated.add(record.seq)
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
        if self._updated:
            last = self.columnCount() - 1
            for seq in sorted(self._updated):
                row = seq - self._first
                if 0 <= row < self._count:
                    self.dataChanged.emit(self.index(row, 0), self.index(row, last))
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

    def record_at(self, row: int) -> MessageRecord | None:
        """The record shown at ``row``, or None (out of range, or evicted since last flush)."""
        if not 0 <= row < self._count:
            return None
        return self._log.by_seq(self._first + row)

    def row_of(self, record: MessageRecord) -> int | None:
        row = record.seq - self._first
        if 0 <= row < self._count and self._log.by_seq(record.seq) is record:
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
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(HEADERS):
            if role == Qt.ItemDataRole.DisplayRole:
                return HEADERS[section]
            if role == Qt.ItemDataRole.TextAlignmentRole and section == COL_SIZE:
                return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.parent().isValid():
            return None
        record = self.record_at(index.row())
        if record is None:
            return None
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(record, col)
        if role == RecordRole:
            return record
        if role == Qt.ItemDataRole.ForegroundRole:
            return self._foreground(record, col)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(record, col)
        if role == Qt.ItemDataRole.TextAlignmentRole and col == COL_SIZE:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.FontRole:
            if col in (COL_TIME, COL_PAYLOAD, COL_SIZE):
                return self._mono
            if col == COL_DIRECTION and record.direction is Direction.OUT:
                return self._bold
        return None

    def _display(self, record: MessageRecord, col: int) -> str | None:
        if col == COL_TIME:
            return format_time(record.time)
        if col == COL_DIRECTION:
            return record.direction.label
        if col == COL_EVENT:
            return record.event
        if col == COL_PAYLOAD:
            return record.preview()
        if col == COL_SIZE:
            return format_size(record.size)
        if col == COL_STATUS:
            return record.status_text()
        return None

    def _foreground(self, record: MessageRecord, col: int) -> Any:
        c = self._colors
        if col == COL_DIRECTION:
            return (c.incoming, c.outgoing, c.system)[int(record.direction)]
        if col == COL_STATUS and record.send is not None:
            state = record.send.state
            if state is SendState.OK:
                return c.ok
            if state is SendState.ERROR:
                return c.error
            if state is SendState.TIMED_OUT:
                return c.warning
            return c.muted
        if record.direction is Direction.SYSTEM and col in (COL_EVENT, COL_PAYLOAD):
            if b'"status":"error"' in record.payload or record.event.endswith("error"):
                return c.error
            return c.system
        return None

    def _tooltip(self, record: MessageRecord, col: int) -> str | None:
        if col == COL_TIME:
            return (
                datetime.fromtimestamp(record.time).astimezone().isoformat(timespec="milliseconds")
            )
        if col == COL_PAYLOAD:
            return record.preview(limit=600)
        if col == COL_SIZE:
            return f"{record.size:,} bytes"
        if col == COL_STATUS and record.send is not None:
            return record.status_text()
        return None
