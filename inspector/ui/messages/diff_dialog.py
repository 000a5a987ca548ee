"""DiffDialog: two rows of a tab compared (issue #15 item 4).

The rules are :func:`inspector.store.messages.diff.diff_records`'s: JSON payloads path by path
(added, removed, changed, retyped, with both values), the broadcast metadata and row fields the
same way, and a unified text diff of the payloads (pretty JSON, text lines or hexdump).
"""

from __future__ import annotations

from typing import Final

from PySide6.QtGui import QColor, QTextCharFormat
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from inspector.protocol.invisible import reveal
from inspector.store import MessageRecord
from inspector.store.messages.diff import Change, RecordDiff, diff_records, short_json
from inspector.store.timefmt import clock_ms

from ..common import theme

#: Changes shown in the table (the summary counts them all).
ROWS_SHOWN: Final = 5000
_KIND_WORDS: Final = {"added": "added", "removed": "removed", "changed": "changed", "type": "type"}


def _describe(record: MessageRecord) -> str:
    event = reveal(record.event, multiline=False)
    return f"{record.direction.label} · {event} · {clock_ms(record.time)} · {record.size:,} B"


class DiffDialog(QDialog):
    """The diff of ``first`` to ``second`` (the older row first)."""

    def __init__(
        self, first: MessageRecord, second: MessageRecord, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Diff of two rows")
        self.setAccessibleName("Diff of two rows")
        self.diff: RecordDiff = diff_records(first, second)
        d = self.diff
        header = QLabel(
            f"<b>First:</b> {_html(_describe(first))}<br><b>Second:</b> "
            f"{_html(_describe(second))} (+{d.time_delta * 1000:,.1f} ms)"
        )
        header.setWordWrap(True)
        self.summary = QLabel(f"Payload: {d.summary()}")
        self.summary.setAccessibleName("Diff summary")
        self.summary.setWordWrap(True)

        self.table = QTableWidget(0, 5)
        self.table.setHorizontalHeaderLabels(["Part", "Change", "Path", "First", "Second"])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)
        self.table.setWordWrap(False)
        self.table.setAccessibleName("Changes")
        head = self.table.horizontalHeader()
        for col in (0, 1):
            head.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        head.setSectionResizeMode(2, QHeaderView.ResizeMode.Interactive)
        head.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        head.setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        self.table.setColumnWidth(2, 160)
        rows: list[tuple[str, Change]] = [("payload", c) for c in d.payload[:ROWS_SHOWN]]
        rows += [("meta", c) for c in d.meta] + [("row", c) for c in d.fields]
        self._fill(rows)

        self.text = QPlainTextEdit()
        self.text.setReadOnly(True)
        self.text.setFont(theme.mono_font())
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.text.setAccessibleName("Text diff")
        self._fill_text(d.text)

        self.tabs = QTabWidget()
        self.tabs.addTab(self.table, f"Changes ({len(rows):,})")
        self.tabs.addTab(self.text, "Text")
        if d.kind != "json" and d.text:
            self.tabs.setCurrentWidget(self.text)  # no paths to list: the lines are the diff

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(header)
        layout.addWidget(self.summary)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(buttons)
        self.resize(760, 520)

    def _fill(self, rows: list[tuple[str, Change]]) -> None:
        c = theme.colors()
        colours = {"added": c.ok, "removed": c.error, "changed": c.warning, "type": c.warning}
        self.table.setRowCount(len(rows))
        for row, (part, change) in enumerate(rows):
            first = "" if change.kind == "added" else short_json(change.old, 300)
            second = "" if change.kind == "removed" else short_json(change.new, 300)
            cells = (
                part,
                _KIND_WORDS[change.kind],
                reveal(change.path, multiline=False),
                reveal(first, multiline=False),
                reveal(second, multiline=False),
            )
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if col == 1:
                    item.setForeground(colours[change.kind])
                if col >= 2:
                    item.setFont(theme.mono_font())
                    item.setToolTip(text)
                self.table.setItem(row, col, item)

    def _fill_text(self, lines: tuple[str, ...]) -> None:
        if not lines:
            self.text.setPlainText("The payloads are identical.")
            return
        c = theme.colors()
        added, removed, hunk = QTextCharFormat(), QTextCharFormat(), QTextCharFormat()
        added.setForeground(c.ok)
        removed.setForeground(c.error)
        hunk.setForeground(QColor(c.muted))
        cursor = self.text.textCursor()
        plain = QTextCharFormat()
        for i, line in enumerate(lines):
            shown = reveal(line, multiline=False)
            if line.startswith(("+++", "---", "@@")):
                fmt = hunk
            elif line.startswith("+"):
                fmt = added
            elif line.startswith("-"):
                fmt = removed
            else:
                fmt = plain
            cursor.insertText(shown + ("\n" if i < len(lines) - 1 else ""), fmt)
        self.text.moveCursor(self.text.textCursor().MoveOperation.Start)


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
