"""MessageDetailPanel: the selected row as pretty, highlighted JSON, with copy actions.

The panel holds the record itself, so the detail stays readable after the row is evicted from
the table (it says so), and it refreshes when an outgoing row's status changes.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from inspector.store import MessageRecord, PayloadFormat

from . import icons, theme
from .json_highlighter import JsonHighlighter

#: Pretty-printing stops at this many characters; the rest is cut with a note.
MAX_PRETTY_CHARS = 400_000


def pretty_payload(record: MessageRecord) -> str:
    """The payload as indented JSON, a hex dump for binary, or the text when it is not JSON."""
    if record.format is PayloadFormat.BINARY:
        head = record.payload[:512]
        lines = []
        for offset in range(0, len(head), 16):
            chunk = head[offset : offset + 16]
            hexes = " ".join(f"{b:02x}" for b in chunk)
            text = "".join(chr(b) if 32 <= b < 127 else "." for b in chunk)
            lines.append(f"{offset:08x}  {hexes:<47}  {text}")
        if len(record.payload) > len(head):
            lines.append(f"… {len(record.payload) - len(head):,} more bytes")
        return "\n".join(lines) if lines else "(empty binary payload)"
    try:
        text = json.dumps(record.payload_json(), indent=2, ensure_ascii=False)
    except (ValueError, RecursionError):
        text = record.payload_text()
    if len(text) > MAX_PRETTY_CHARS:
        text = text[:MAX_PRETTY_CHARS] + f"\n… cut at {MAX_PRETTY_CHARS:,} characters"
    return text


def row_json(record: MessageRecord, channel: str) -> str:
    """The whole row as pretty JSON (Copy row as JSON)."""
    data: dict[str, Any] = {"channel": channel, **record.to_dict()}
    data["time_iso"] = (
        datetime.fromtimestamp(record.time).astimezone().isoformat(timespec="milliseconds")
    )
    return json.dumps(data, indent=2, ensure_ascii=False)


class MessageDetailPanel(QWidget):
    """Header (event, direction, time, size, status), payload, metadata, copy buttons."""

    copied = Signal(str)

    def __init__(self, channel: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._channel = channel
        self._record: MessageRecord | None = None
        self.title = QLabel("No row selected")
        self.title.setTextInteractionFlags(self.title.textInteractionFlags())
        self.title.setWordWrap(True)
        self.subtitle = QLabel("")
        self.subtitle.setTextFormat(Qt.TextFormat.PlainText)
        self.subtitle.setWordWrap(True)
        self.subtitle.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        self.evicted_note = QLabel("This row has been evicted from the table; kept here.")
        self.evicted_note.setVisible(False)
        self.text = QPlainTextEdit()
        self.text.setReadOnly(True)
        self.text.setFont(theme.mono_font())
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.text.setPlaceholderText("Select a row to see its payload")
        self.text.setAccessibleName("Payload")
        self.highlighter = JsonHighlighter(self.text.document())
        self.copy_payload_button = QPushButton(icons.icon("copy"), "Copy payload")
        self.copy_row_button = QPushButton(icons.icon("copy"), "Copy row as JSON")
        self.copy_payload_button.clicked.connect(self.copy_payload)
        self.copy_row_button.clicked.connect(self.copy_row)
        buttons = QHBoxLayout()
        buttons.addWidget(self.copy_payload_button)
        buttons.addWidget(self.copy_row_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.subtitle)
        layout.addWidget(self.evicted_note)
        layout.addWidget(self.text, 1)
        layout.addLayout(buttons)
        self._set_enabled(False)

    @property
    def record(self) -> MessageRecord | None:
        return self._record

    def _set_enabled(self, enabled: bool) -> None:
        self.copy_payload_button.setEnabled(enabled)
        self.copy_row_button.setEnabled(enabled)

    def show_record(self, record: MessageRecord | None) -> None:
        self._record = record
        self.evicted_note.setVisible(False)
        if record is None:
            self.title.setText("No row selected")
            self.subtitle.setText("")
            self.text.setPlainText("")
            self._set_enabled(False)
            return
        self._set_enabled(True)
        self.refresh()

    def refresh(self) -> None:
        """Redraw the header (status may have changed); the payload never changes."""
        record = self._record
        if record is None:
            return
        c = theme.colors()
        colour = (c.incoming, c.outgoing, c.system)[int(record.direction)].name()
        self.title.setText(
            f"<b style='color:{colour}'>{record.direction.label}</b> &nbsp;"
            f"<b>{_escape(record.event)}</b>"
        )
        when = datetime.fromtimestamp(record.time).astimezone()
        parts = [when.strftime("%Y-%m-%d %H:%M:%S.") + f"{when.microsecond // 1000:03d}"]
        parts.append(
            f"{record.size:,} bytes" + (" binary" if record.format is PayloadFormat.BINARY else "")
        )
        if record.send is not None:
            parts.append(f"{record.send.transport.value} · {record.status_text()}")
        meta = record.meta_json()
        if meta is not None:
            parts.append("meta " + json.dumps(meta, ensure_ascii=False))
        self.subtitle.setText(" · ".join(parts))
        new_text = pretty_payload(record)
        if self.text.toPlainText() != new_text:
            self.text.setPlainText(new_text)

    def set_evicted(self, evicted: bool) -> None:
        self.evicted_note.setVisible(evicted and self._record is not None)

    def copy_payload(self) -> None:
        if self._record is None:
            return
        record = self._record
        text = (
            record.payload.hex()
            if record.format is PayloadFormat.BINARY
            else pretty_payload(record)
        )
        QGuiApplication.clipboard().setText(text)
        self.copied.emit("payload")

    def copy_row(self) -> None:
        if self._record is None:
            return
        QGuiApplication.clipboard().setText(row_json(self._record, self._channel))
        self.copied.emit("row")


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
