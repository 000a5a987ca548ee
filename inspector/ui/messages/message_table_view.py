"""MessageTableView: the live table, with follow-tail and a viewport that holds still.

- Follow tail (on by default) keeps the newest row in view after every batch; scrolling up by
  hand turns it off, scrolling back to the bottom turns it on again.
- When follow is off, rows evicted above the viewport would make the content jump; the view
  scrolls up by as many rows as were removed, so the rows a user is reading (and the selected
  one) stay where they are while older rows are evicted around them.
"""

from __future__ import annotations

from typing import Final

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from ..common import theme
from .message_table_model import (
    COL_DIRECTION,
    COL_EVENT,
    COL_PAYLOAD,
    COL_SIZE,
    COL_STATUS,
    COL_TIME,
    SIZE_SAMPLE,
)

AnyIndex = QModelIndex | QPersistentModelIndex

#: Width of the Payload column, in average characters, while custom columns take the rest.
PAYLOAD_CHARS: Final = 40


class MessageTableView(QTableView):
    """A read-only, row-selecting table tuned for many uniform rows."""

    follow_tail_changed = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._follow = True
        self._programmatic = False
        self._removed_above = 0
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        # Several rows (Ctrl/Shift-click) for New check from selection (issue #12 §4).
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerItem)
        self.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setWordWrap(False)
        self.setShowGrid(False)
        self.setAlternatingRowColors(True)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.setTabKeyNavigation(False)
        vh = self.verticalHeader()
        vh.setVisible(False)
        vh.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vh.setDefaultSectionSize(self.fontMetrics().height() + 6)
        self.verticalScrollBar().valueChanged.connect(self._on_scrolled)
        self.verticalScrollBar().rangeChanged.connect(self._on_range_changed)

    # ------------------------------------------------------------------------------ model

    def setModel(self, model: QAbstractItemModel | None) -> None:
        old = self.model()
        if old is not None:
            old.rowsAboutToBeRemoved.disconnect(self._on_rows_about_to_be_removed)
            old.rowsRemoved.disconnect(self._on_rows_removed)
            old.rowsInserted.disconnect(self._on_rows_inserted)
            old.modelReset.disconnect(self._on_rows_inserted)
            old.columnsInserted.disconnect(self._fit_payload)
            old.columnsRemoved.disconnect(self._fit_payload)
        super().setModel(model)
        if model is None:
            return
        model.rowsAboutToBeRemoved.connect(self._on_rows_about_to_be_removed)
        model.rowsRemoved.connect(self._on_rows_removed)
        model.rowsInserted.connect(self._on_rows_inserted)
        model.modelReset.connect(self._on_rows_inserted)
        model.columnsInserted.connect(self._fit_payload)
        model.columnsRemoved.connect(self._fit_payload)
        header = self.horizontalHeader()
        header.setHighlightSections(False)
        header.setStretchLastSection(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(COL_PAYLOAD, QHeaderView.ResizeMode.Stretch)
        metrics = self.fontMetrics()
        mono_metrics = QFontMetrics(theme.mono_font())
        widths = {
            COL_TIME: mono_metrics.horizontalAdvance("00:00:00.000") + 16,
            COL_DIRECTION: metrics.horizontalAdvance("system") + 16,
            COL_EVENT: metrics.horizontalAdvance("x" * 10) + 16,
            COL_SIZE: mono_metrics.horizontalAdvance(SIZE_SAMPLE) + 16,
            COL_STATUS: metrics.horizontalAdvance("x" * 10) + 16,  # "ok 12.5 ms", "id 0f7d3c…"
        }
        # The payload takes the rest (Stretch); the others are narrow so that it gets most of
        # the width (issue #10 item 19: it was the narrowest column at 1024 px). They stay
        # resizable.
        for col, width in widths.items():
            self.setColumnWidth(col, width)
        self._fit_payload()

    def _fit_payload(self, *_args: object) -> None:
        """The Payload column stretches over the free width; beside custom columns (issue #15
        item 5) there may be none left, and a stretched column then shrinks to a sliver: it
        takes a readable width of its own instead (resizable; the table scrolls sideways)."""
        model = self.model()
        if model is None:
            return
        header = self.horizontalHeader()
        custom = model.columnCount() > COL_STATUS + 1
        stretch = QHeaderView.ResizeMode.Stretch
        if not custom:
            if header.sectionResizeMode(COL_PAYLOAD) is not stretch:
                header.setSectionResizeMode(COL_PAYLOAD, stretch)
            return
        if header.sectionResizeMode(COL_PAYLOAD) is stretch:
            # not the stretched width: the new column would land out of sight to the right
            header.setSectionResizeMode(COL_PAYLOAD, QHeaderView.ResizeMode.Interactive)
            self.setColumnWidth(COL_PAYLOAD, self._payload_width())

    def _payload_width(self) -> int:
        return QFontMetrics(theme.mono_font()).averageCharWidth() * PAYLOAD_CHARS + 16

    # ------------------------------------------------------------------------------ follow tail

    @property
    def follow_tail(self) -> bool:
        return self._follow

    def set_follow_tail(self, follow: bool) -> None:
        if follow != self._follow:
            self._follow = follow
            self.follow_tail_changed.emit(follow)
        if follow:
            self._scroll_to_tail()

    def _scroll_to_tail(self) -> None:
        self._programmatic = True
        try:
            self.scrollToBottom()
        finally:
            self._programmatic = False

    def _on_scrolled(self, value: int) -> None:
        if self._programmatic:
            return
        bar = self.verticalScrollBar()
        at_bottom = value >= bar.maximum()
        if self._follow and not at_bottom:
            self.set_follow_tail(False)
        elif not self._follow and at_bottom and bar.maximum() > 0 and self.isVisible():
            self.set_follow_tail(True)

    def _on_range_changed(self, _minimum: int, maximum: int) -> None:
        if self._follow:
            self._programmatic = True
            try:
                self.verticalScrollBar().setValue(maximum)
            finally:
                self._programmatic = False

    def _on_rows_inserted(self, *_args: object) -> None:
        if self._follow:
            self._scroll_to_tail()

    def _on_rows_about_to_be_removed(self, parent: AnyIndex, first: int, last: int) -> None:
        if parent.isValid() or self._follow:
            return
        top = self.verticalScrollBar().value()
        if first < top:
            self._removed_above += min(last, top - 1) - first + 1

    def _on_rows_removed(self, *_args: object) -> None:
        if not self._removed_above:
            return
        removed, self._removed_above = self._removed_above, 0
        bar = self.verticalScrollBar()
        self._programmatic = True
        try:
            bar.setValue(max(0, bar.value() - removed))
        finally:
            self._programmatic = False

    # ------------------------------------------------------------------------------ helpers

    def visible_rows(self) -> tuple[int, int]:
        """First and last row whose top is inside the viewport (-1 when there are none)."""
        first = self.rowAt(0)
        last = self.rowAt(self.viewport().height() - 1)
        if last < 0 and first >= 0:
            last = (self.model().rowCount() - 1) if self.model() is not None else -1
        return first, last

    def is_row_visible(self, row: int) -> bool:
        first, last = self.visible_rows()
        return first >= 0 and first <= row <= last
