"""MarksModel: the compare view's sent messages, one row each, with a mark per column.

A thin adapter over :class:`~inspector.store.compare.marks.MarkBoard`: ``#`` (the marker's
number), the column that sent it, its event, then one cell per identity column:
``✓ received`` (click: the row it arrived as), ``✗ not received``, ``– not joined``; the
sender's cell says how the send went (``➜ sent``, ``✗ refused: <server text>``,
``✗ no answer``). Changes are coalesced on a short timer (marks change in bursts: one send,
three copies).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
)

from inspector.store.compare.marks import Mark, MarkBoard, MarkState, Probe
from inspector.store.timefmt import clock_ms

from ..common import theme
from ..controller_base import SILENT_DROP_HINT

AnyIndex = QModelIndex | QPersistentModelIndex
#: Columns before the per-identity marks.
FIXED: Final = ("#", "From", "Event")
#: ``data(index, MarkRole)``: the :class:`Mark` of a mark cell (None elsewhere).
MarkRole: Final = int(Qt.ItemDataRole.UserRole) + 1


def mark_text(mark: Mark) -> str:
    """A mark as its cell shows it; a received copy names its row by its time."""
    text = mark.text()
    if mark.state in (MarkState.RECEIVED, MarkState.LATE) and mark.row is not None:
        text += f" · {clock_ms(mark.row.time)}"
    return text


class MarksModel(QAbstractTableModel):
    """Rows of a :class:`MarkBoard`, oldest first."""

    def __init__(
        self, board: MarkBoard, identities: Sequence[str], parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.board = board
        self.identities = list(identities)
        self._rows = len(board.probes)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(40)
        self._timer.timeout.connect(self.flush)
        board.add_listener(self._changed)
        self.destroyed.connect(lambda _o=None, b=board, f=self._changed: b.remove_listener(f))

    def _changed(self, _probe: Probe) -> None:
        if not self._timer.isActive():
            self._timer.start()

    def flush(self) -> None:
        """Show the board as it is now."""
        self._timer.stop()
        self.beginResetModel()
        self._rows = len(self.board.probes)
        self.endResetModel()

    def probe_at(self, row: int) -> Probe | None:
        probes = self.board.probes
        return probes[row] if 0 <= row < min(self._rows, len(probes)) else None

    def column_of_mark(self, col: int) -> int | None:
        """The identity column (0-based) of a table column, or None for a fixed one."""
        i = col - len(FIXED)
        return i if 0 <= i < len(self.identities) else None

    def mark(self, row: int, column: int) -> Mark | None:
        probe = self.probe_at(row)
        if probe is None or not 0 <= column < len(probe.marks):
            return None
        return probe.marks[column]

    # ------------------------------------------------------------------------------ Qt API

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else min(self._rows, len(self.board.probes))

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(FIXED) + len(self.identities)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            if section < len(FIXED):
                return FIXED[section]
            i = self.column_of_mark(section)
            if i is not None:
                return f"{'ABCD'[i]} · {self.identities[i]}"
        if role == Qt.ItemDataRole.ToolTipRole:
            i = self.column_of_mark(section)
            if i is not None:
                return f"Did {self.identities[i]} receive it? Click a mark to select its row."
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        probe = self.probe_at(index.row()) if index.isValid() else None
        if probe is None:
            return None
        col = index.column()
        column = self.column_of_mark(col)
        mark = probe.marks[column] if column is not None else None
        if role == MarkRole:
            return mark
        if role == Qt.ItemDataRole.DisplayRole:
            if mark is not None:
                return mark_text(mark)
            return (probe.marker.rsplit("-", 1)[-1], "ABCD"[probe.sender], probe.event)[col]
        if role == Qt.ItemDataRole.ToolTipRole:
            if mark is not None:
                where = " · click to select its row" if mark.row is not None else ""
                why = f"\n{SILENT_DROP_HINT}" if mark.state is MarkState.NO_ANSWER else ""
                return f"{mark_text(mark)}{where}{why}"
            return (
                f"sent at {clock_ms(probe.sent_at)} by {self.identities[probe.sender]}; "
                f"marker {probe.marker} (payload field inspector_compare)"
            )
        if role == Qt.ItemDataRole.ForegroundRole and mark is not None:
            c = theme.colors()
            state = mark.state
            if state in (MarkState.RECEIVED, MarkState.LATE, MarkState.SENT):
                return c.ok
            if state in (MarkState.NOT_RECEIVED, MarkState.REFUSED, MarkState.NO_ANSWER):
                return c.error
            return c.muted
        return None
