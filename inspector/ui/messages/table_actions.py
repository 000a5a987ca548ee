"""What a tab's message table offers on its rows and header (issue #15 items 4 and 5).

- Row context menu: *Diff the two selected rows* (Ctrl+Shift+D) opens a
  :class:`~inspector.ui.messages.diff_dialog.DiffDialog`; *Copy rows as NDJSON* (Ctrl+C),
  *as JSON array* and *as TSV* copy the selected rows, oldest first, with the exporters of
  :mod:`inspector.store.transfer.export` (secrets redacted like any export; TSV has the visible
  columns as shown, custom ones included, like Export table as CSV).
- Header context menu: *Remove column* on a custom column, *Remove all custom columns*.
- Custom columns (:meth:`TableActions.add_column`, usually from *Show as column* in the detail
  pane's tree): the model adds the column, the view gives it a width, ``columns_changed`` tells
  the window, which keeps the list per channel.
"""

from __future__ import annotations

from typing import Final

from PySide6.QtCore import QItemSelectionModel, QObject, QPoint, Qt, Signal
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import QMenu, QWidget

from inspector.store import MessageRecord
from inspector.store.messages.columns import ColumnError
from inspector.store.transfer.export import csv_lines, json_array_text, message_line

from .diff_dialog import DiffDialog
from .message_filter_proxy import MessageFilterProxyModel
from .message_table_model import MessageTableModel, RecordRole
from .message_table_view import MessageTableView
from .table_cells import table_cells

NDJSON: Final = "ndjson"
JSON_ARRAY: Final = "json"
TSV: Final = "tsv"
#: Width of a new custom column, in average characters.
COLUMN_CHARS: Final = 14


class TableActions(QObject):
    """The row and header actions of one tab's table."""

    #: the custom columns' paths after a change (the window keeps them per channel).
    columns_changed = Signal(list)
    #: a status-bar message (what was copied, why a column was refused).
    message = Signal(str)
    #: *Statistics of this tab…* in the row menu.
    stats_requested = Signal()

    def __init__(
        self,
        channel: str,
        table: MessageTableView,
        proxy: MessageFilterProxyModel,
        model: MessageTableModel,
        parent: QWidget,
    ) -> None:
        super().__init__(parent)
        self._channel = channel
        self._parent = parent
        self.table, self.proxy, self.model = table, proxy, model
        self.dialogs: list[DiffDialog] = []

        def action(text: str, slot: object, shortcut: str | None = None) -> QAction:
            act = QAction(text, table)
            if shortcut:
                act.setShortcut(QKeySequence(shortcut))
                act.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            act.triggered.connect(slot)
            table.addAction(act)
            return act

        self.diff_action = action("Diff the two selected rows", self.diff_selected, "Ctrl+Shift+D")
        self.diff_action.setToolTip("Select two rows (Ctrl+click) to compare their payloads")
        self.copy_ndjson_action = action(
            "Copy rows as NDJSON", lambda: self.copy_rows(NDJSON), "Ctrl+C"
        )
        self.copy_json_action = action(
            "Copy rows as JSON array", lambda: self.copy_rows(JSON_ARRAY)
        )
        self.copy_tsv_action = action("Copy rows as TSV", lambda: self.copy_rows(TSV))
        self.stats_action = QAction("Statistics of this tab…", table)
        self.stats_action.triggered.connect(self.stats_requested)
        table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        table.customContextMenuRequested.connect(self._row_menu)
        header = table.horizontalHeader()
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header.customContextMenuRequested.connect(self._header_menu)
        self.menu: QMenu | None = None

    # ------------------------------------------------------------------------------ rows

    def selected_records(self) -> list[MessageRecord]:
        """The selected rows that are still in the log, oldest first."""
        selection = self.table.selectionModel()
        if selection is None:
            return []
        records = [i.data(RecordRole) for i in selection.selectedRows()]
        found = [r for r in records if isinstance(r, MessageRecord)]
        return sorted(found, key=lambda r: r.seq)

    def _row_menu(self, pos: QPoint) -> None:
        menu = self._build_row_menu()
        menu.popup(self.table.viewport().mapToGlobal(pos))

    def _build_row_menu(self) -> QMenu:
        count = len(self.selected_records())
        self.diff_action.setEnabled(count == 2)
        for act in (self.copy_ndjson_action, self.copy_json_action, self.copy_tsv_action):
            act.setEnabled(count > 0)
        menu = QMenu(self.table)
        menu.addAction(self.diff_action)
        menu.addSeparator()
        menu.addAction(self.copy_ndjson_action)
        menu.addAction(self.copy_json_action)
        menu.addAction(self.copy_tsv_action)
        menu.addSeparator()
        menu.addAction(self.stats_action)
        self.menu = menu
        return menu

    def diff_selected(self) -> DiffDialog | None:
        records = self.selected_records()
        if len(records) != 2:
            self.message.emit("Select two rows to compare (Ctrl+click the second one)")
            return None
        dialog = DiffDialog(records[0], records[1], self._parent)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.dialogs = [d for d in self.dialogs if d.isVisible()] + [dialog]
        dialog.show()
        return dialog

    def rows_text(self, fmt: str, records: list[MessageRecord]) -> str:
        """The text Copy rows puts on the clipboard (redacted as exports are)."""
        if fmt == NDJSON:
            return "".join(message_line(r, self._channel) + "\n" for r in records)
        if fmt == JSON_ARRAY:
            return json_array_text(records, self._channel) + "\n"
        names, rows, _ = table_cells(self.table, self.proxy, self.model, records)
        return "".join(csv_lines(names, rows, delimiter="\t"))

    def copy_rows(self, fmt: str) -> str:
        records = self.selected_records()
        if not records:
            self.message.emit("No rows selected")
            return ""
        text = self.rows_text(fmt, records)
        QGuiApplication.clipboard().setText(text)
        what = {NDJSON: "NDJSON", JSON_ARRAY: "a JSON array", TSV: "TSV"}[fmt]
        self.message.emit(
            f"Copied {len(records):,} row{'s' if len(records) != 1 else ''} as {what}"
        )
        return text

    # ------------------------------------------------------------------------------ columns

    def add_column(self, path: str) -> str | None:
        """Show the value at JSONPath ``path`` as a column; None, or why not."""
        try:
            before = self.model.custom_columns
            col = self.model.add_column(path)
        except ColumnError as exc:
            self.message.emit(str(exc))
            return str(exc)
        if self.model.custom_columns != before:
            self.table.setColumnWidth(
                col, self.table.fontMetrics().averageCharWidth() * COLUMN_CHARS + 16
            )
            self._reselect_rows()
            self.columns_changed.emit(list(self.model.custom_columns))
        return None

    def _reselect_rows(self) -> None:
        """Extend the selected rows over a new column (Qt leaves its cells unselected)."""
        selection = self.table.selectionModel()
        if selection is None:
            return
        rows = sorted({i.row() for i in selection.selectedIndexes()})
        flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
        for row in rows:
            selection.select(self.proxy.index(row, 0), flags)

    def set_columns(self, paths: list[str]) -> None:
        """The columns a restored tab had (no signal: nothing changed for the window)."""
        self.model.set_columns(paths)
        width = self.table.fontMetrics().averageCharWidth() * COLUMN_CHARS + 16
        first = self.model.columnCount() - len(self.model.custom_columns)
        for col in range(first, self.model.columnCount()):
            self.table.setColumnWidth(col, width)

    def remove_column(self, path: str) -> None:
        if self.model.remove_column(path):
            self.columns_changed.emit(list(self.model.custom_columns))

    def remove_all_columns(self) -> None:
        if self.model.custom_columns:
            self.model.set_columns([])
            self.columns_changed.emit([])

    def _header_menu(self, pos: QPoint) -> None:
        menu = self.build_header_menu(self.table.horizontalHeader().logicalIndexAt(pos))
        if not menu.isEmpty():
            menu.popup(self.table.horizontalHeader().mapToGlobal(pos))

    def build_header_menu(self, col: int) -> QMenu:
        menu = QMenu(self.table)
        # the proxy filters rows only: its columns are the model's
        path = self.model.column_path(col) if col >= 0 else None
        if path is not None:
            remove = menu.addAction(f"Remove column {path}")
            remove.triggered.connect(lambda: self.remove_column(path))
        if self.model.custom_columns:
            clear = menu.addAction("Remove all custom columns")
            clear.triggered.connect(self.remove_all_columns)
        if menu.isEmpty():
            hint = menu.addAction("Add a column: right-click a field in the detail pane's Tree")
            hint.setEnabled(False)
        self.menu = menu
        return menu
