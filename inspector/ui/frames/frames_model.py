"""FramesTableModel and FramesFilterProxyModel: the Frames view's thin Qt adapters.

The model mirrors a :class:`~inspector.store.frames.frames.FrameLog` the same way
:class:`~inspector.ui.messages.message_table_model.MessageTableModel` mirrors a message log (both are a
:class:`~inspector.ui.common.ring_table_model.RingTableModel`): the log notifies synchronously, the
model applies everything in one remove and one insert per ``coalesce_ms``. While the Frames
dock is closed the model is inactive and does no Qt work at all; opening it catches up with one
reset. Cells are computed from a row's cached summary, so only painted rows are ever decoded.
Data is shown redacted unless :meth:`FramesTableModel.set_reveal` was turned on.
"""

from __future__ import annotations

from typing import Any, Final

from PySide6.QtCore import QObject, Qt

from inspector.protocol.invisible import reveal as show_hidden
from inspector.protocol.redact import redact_text
from inspector.store.frames.frames import BINARY, CLOSE, IN, FrameFilter, FrameLog, FrameRow

from ..common.ring_table_model import RingFilterProxyModel, RingTableModel
from ..messages.message_table_model import format_size, format_time

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


def direction_label(row: FrameRow) -> str:
    return "↓ in" if row.direction == IN else "↑ out"


class FramesTableModel(RingTableModel):
    """Rows of one :class:`FrameLog`, oldest first, with coalesced inserts and evictions."""

    headers = HEADERS
    item_role = FrameRole
    mono_columns = (COL_TIME, COL_SIZE, COL_DATA)
    size_column = COL_SIZE

    def __init__(self, log: FrameLog, coalesce_ms: int = 60, parent: QObject | None = None) -> None:
        super().__init__(log, coalesce_ms, parent)
        self._frames = log
        self._active = True
        self._reveal = False

    @property
    def log(self) -> FrameLog:
        return self._frames

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

    #: ``frame_at(row)``: the frame shown at ``row``, or None.
    frame_at = RingTableModel.item_at

    # ------------------------------------------------------------------------------ Qt model API

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        horizontal = orientation == Qt.Orientation.Horizontal
        if horizontal and role == Qt.ItemDataRole.DisplayRole and 0 <= section < len(HEADERS):
            return HEADERS[section]
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
        # Peer text: invisible and direction-changing characters as \uXXXX (QA 7).
        if col == COL_DATA:
            text = frame.shown_text(self._reveal, PREVIEW_CHARS).replace("\n", " ")
            return show_hidden(text, multiline=False)
        summary = frame.summary()
        if col == COL_TOPIC:
            return show_hidden(self._shown(summary.topic or ""), multiline=False)
        if col == COL_EVENT:
            event = summary.event or ("" if summary.problem is None else "rejected")
            text = f"{event} {summary.status}" if summary.status else event
            return show_hidden(self._shown(text), multiline=False)
        if col == COL_REF:
            return summary.ref or ""
        if col == COL_JOIN_REF:
            return summary.join_ref or ""
        return None

    def _shown(self, text: str) -> str:
        """A decoded topic or event as the view shows it: secret shapes redacted unless the
        user asked to reveal them (a peer can name a channel or an event with a token)."""
        return text if self._reveal else redact_text(text)

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
            return show_hidden(frame.shown_text(self._reveal, 1000))
        return None


class FramesFilterProxyModel(RingFilterProxyModel):
    """Shows the frames a :class:`FrameFilter` accepts, in arrival order."""

    source_type = FramesTableModel

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(FrameFilter(), parent)

    @property
    def frame_filter(self) -> FrameFilter:
        frame_filter: FrameFilter = self._filter
        return frame_filter

    def set_frame_filter(self, frame_filter: FrameFilter) -> None:
        self._set_filter(frame_filter)

    #: ``frame_at(row)``: the frame shown at proxy ``row``, or None.
    frame_at = RingFilterProxyModel.item_at
