"""MessageTableModel: a thin Qt adapter over one channel's :class:`~inspector.store.MessageLog`.

The coalescing (one remove and one insert per ``coalesce_ms``, default 40 ms, plus
``dataChanged`` for outgoing rows whose status changed) is
:class:`~inspector.ui.common.ring_table_model.RingTableModel`'s; this module names the columns and
says what each cell shows.
"""

from __future__ import annotations

from typing import Any, Final

from PySide6.QtCore import QModelIndex, QObject, Qt
from PySide6.QtGui import QFont

from inspector.protocol.invisible import NOTE, has_hidden, reveal
from inspector.store import Direction, MessageLog, MessageRecord, SendState
from inspector.store.messages.columns import (
    MAX_COLUMNS,
    TIP_CHARS,
    ColumnError,
    ColumnPath,
    parse_payload,
)
from inspector.store.messages.records import REPLAYED_MARK, meta_marker
from inspector.store.profiles.preferences import DEFAULT_COALESCE_MS
from inspector.store.timefmt import clock_ms, local_iso

from ..common.ring_table_model import AnyIndex, RingTableModel

COL_TIME: Final = 0
COL_DIRECTION: Final = 1
COL_EVENT: Final = 2
COL_PAYLOAD: Final = 3
COL_SIZE: Final = 4
COL_STATUS: Final = 5
HEADERS: Final = ("Time", "Dir", "Event", "Payload", "Size", "Status")

#: System rows drawn in the error colour: the socket or the token went away (issue #10 item 15).
OUTAGE_EVENTS: Final = frozenset({"disconnected", "token expired"})

#: ``data(index, RecordRole)`` returns the row's :class:`MessageRecord`.
RecordRole: Final = int(Qt.ItemDataRole.UserRole) + 1
#: Parsed payloads the custom columns keep (the rows on screen need a few dozen).
PARSED_KEPT: Final = 2048


def format_time(epoch: float) -> str:
    """``14:03:07.125``: local wall-clock time with milliseconds (``—`` when an imported row's
    time is not one; never raises, it runs on every paint)."""
    return clock_ms(epoch)


#: The widest text :func:`format_size` returns (the Size columns are this wide).
SIZE_SAMPLE: Final = "000.0 kB"


def format_size(size: int) -> str:
    """``999 B``, ``3.1 kB``, ``999.9 kB``, ``3.1 MB``: never wider than :data:`SIZE_SAMPLE`
    (``3133.0 kB`` was cut off in its column, QA 13); the tooltip has the exact count."""
    if size < 1000:
        return f"{size} B"
    if size < 999_950:
        return f"{size / 1000:.1f} kB"
    if size < 999_950_000:
        return f"{size / 1_000_000:.1f} MB"
    return f"{size / 1_000_000_000:.1f} GB"


class MessageTableModel(RingTableModel):
    """Rows of one :class:`MessageLog`, oldest first, with coalesced inserts and evictions."""

    headers = HEADERS
    item_role = RecordRole
    mono_columns = (COL_TIME, COL_PAYLOAD, COL_SIZE)
    size_column = COL_SIZE

    def __init__(
        self,
        log: MessageLog,
        coalesce_ms: int = DEFAULT_COALESCE_MS,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(log, coalesce_ms, parent)
        self._messages = log
        self._bold = QFont()
        self._bold.setBold(True)
        #: custom columns after Status (issue #15 item 5): a JSONPath value each.
        self._columns: list[ColumnPath] = []
        self._parsed: dict[int, object] = {}

    # ------------------------------------------------------------------------------ custom columns

    @property
    def custom_columns(self) -> tuple[str, ...]:
        """The custom columns' paths, in order (they follow the fixed columns)."""
        return tuple(c.path for c in self._columns)

    def column_path(self, col: int) -> str | None:
        """The path of custom column ``col`` (a model column), or None for a fixed one."""
        at = col - len(HEADERS)
        return self._columns[at].path if 0 <= at < len(self._columns) else None

    def add_column(self, path: str) -> int:
        """Add a column with the value at JSONPath ``path``; its model column (the existing one
        when the path is already shown). Raises :class:`ColumnError`."""
        column = ColumnPath.parse(path)
        for i, existing in enumerate(self._columns):
            if existing.path == column.path:
                return len(HEADERS) + i
        if len(self._columns) >= MAX_COLUMNS:
            raise ColumnError(f"a tab has at most {MAX_COLUMNS} custom columns")
        at = len(HEADERS) + len(self._columns)
        self.beginInsertColumns(QModelIndex(), at, at)
        self._columns.append(column)
        self.endInsertColumns()
        return at

    def remove_column(self, path: str) -> bool:
        for i, existing in enumerate(self._columns):
            if existing.path == path:
                at = len(HEADERS) + i
                self.beginRemoveColumns(QModelIndex(), at, at)
                del self._columns[i]
                self.endRemoveColumns()
                return True
        return False

    def set_columns(self, paths: list[str]) -> list[str]:
        """Replace the custom columns (a restored tab); the paths that were refused."""
        for path in self.custom_columns:
            self.remove_column(path)
        refused = []
        for path in paths:
            try:
                self.add_column(path)
            except ColumnError:
                refused.append(path)
        return refused

    def _custom(self, record: MessageRecord, col: int, limit: int | None = None) -> str:
        column = self._columns[col - len(HEADERS)]
        parsed = self._parsed.get(record.seq, self)
        if parsed is self:
            if len(self._parsed) >= PARSED_KEPT:
                self._parsed.clear()
            parsed = self._parsed[record.seq] = parse_payload(record)
        return column.text(parsed) if limit is None else column.text(parsed, limit)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(HEADERS) + len(self._columns)

    def log_reset(self) -> None:
        self._parsed.clear()
        super().log_reset()

    @property
    def log(self) -> MessageLog:
        return self._messages

    #: ``record_at(row)``: the record shown at ``row``, or None (out of range, or evicted
    #: since the last flush).
    record_at = RingTableModel.item_at

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and section >= len(HEADERS):
            path = self.column_path(section)
            if path is not None and role == Qt.ItemDataRole.DisplayRole:
                return path
            if path is not None and role == Qt.ItemDataRole.ToolTipRole:
                return f"The value at {path} in each payload (right-click to remove the column)"
            return None
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(HEADERS):
            if role == Qt.ItemDataRole.DisplayRole:
                return HEADERS[section]
            if role == Qt.ItemDataRole.TextAlignmentRole and section == COL_SIZE:
                return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def _font(self, record: MessageRecord, col: int) -> QFont | None:
        if col in self.mono_columns or col >= len(HEADERS):
            return self._mono
        if col == COL_DIRECTION and record.direction is Direction.OUT:
            return self._bold
        return None

    def _display(self, record: MessageRecord, col: int) -> str | None:
        if col == COL_TIME:
            return format_time(record.time)
        if col == COL_DIRECTION:
            if record.meta is not None and meta_marker(record)[0]:
                return f"{record.direction.label} {REPLAYED_MARK}"  # replayed on join
            return record.direction.label
        # Peer text: invisible and direction-changing characters as \uXXXX (QA 7).
        if col == COL_EVENT:
            return reveal(record.event, multiline=False)
        if col == COL_PAYLOAD:
            return reveal(record.preview(), multiline=False)
        if col == COL_SIZE:
            return format_size(record.size)
        if col == COL_STATUS:
            if record.send is None and record.meta is not None:
                # received with metadata: replayed (meta.replayed) or from the database (meta.id)
                return reveal(meta_marker(record)[1], multiline=False)
            return record.status_text()
        if col >= len(HEADERS):
            return reveal(self._custom(record, col), multiline=False)
        return None

    def _hidden(self, record: MessageRecord, col: int) -> bool:
        """Whether the cell revealed hidden characters (it is then drawn as a warning)."""
        if col == COL_EVENT:
            return has_hidden(record.event, multiline=False)
        return col == COL_PAYLOAD and has_hidden(record.preview(), multiline=False)

    def _foreground(self, record: MessageRecord, col: int) -> Any:
        c = self._colors
        if col in (COL_EVENT, COL_PAYLOAD) and self._hidden(record, col):
            return c.warning
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
        if col == COL_STATUS and record.meta is not None:
            return c.system
        if record.direction is Direction.SYSTEM and col in (COL_EVENT, COL_PAYLOAD):
            if (
                b'"status":"error"' in record.payload
                or record.event.endswith("error")
                or record.event in OUTAGE_EVENTS
            ):
                return c.error
            return c.system
        return None

    def _tooltip(self, record: MessageRecord, col: int) -> str | None:
        if col == COL_TIME:
            return local_iso(record.time)
        if col in (COL_EVENT, COL_PAYLOAD) and self._hidden(record, col):
            shown = record.event if col == COL_EVENT else record.preview(limit=600)
            return f"⚠ {NOTE[0].upper()}{NOTE[1:]}.\n{reveal(shown, multiline=False)}"
        if col == COL_PAYLOAD:
            return record.preview(limit=600)
        if col == COL_SIZE:
            return f"{record.size:,} bytes"
        if col == COL_STATUS and record.send is not None:
            return record.status_text()
        if col in (COL_STATUS, COL_DIRECTION) and record.meta is not None:
            return reveal(meta_marker(record)[2]) or None
        if col >= len(HEADERS):
            return reveal(self._custom(record, col, TIP_CHARS)) or None
        return None
