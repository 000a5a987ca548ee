"""BinaryInputWidget: the composer's raw-bytes payload, typed as hex or base64 or loaded from a file.

realtime-js sends an ``ArrayBuffer`` as a kind-3 frame with encoding 0, and the REST single
endpoint takes ``application/octet-stream`` (docs/realtime-protocol.md §2.3, §2.4, §6.2); this
widget gives the composer those bytes. Hex accepts ``de ad be ef``, ``DEADBEEF``, ``0xde,0xad``
or ``de:ad``; base64 accepts the standard and URL-safe alphabets, with or without padding.
A file up to :data:`SHOW_LIMIT` bytes is shown in the field (and can be edited); a larger one
is kept as it is and the field says so.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Final

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from inspector.store.messages.payload_views import parse_base64, parse_hex

from ..common import theme
from ..common.payload_edit import PayloadEdit

#: Files up to this size are shown in the field; larger ones are sent without being shown.
SHOW_LIMIT: Final = 64 * 1024
HEX, BASE64 = "hex", "base64"


def encode(data: bytes, fmt: str) -> str:
    """Bytes as the field shows them: spaced hex in lines of 16 bytes, or base64."""
    if fmt == HEX:
        return "\n".join(data[i : i + 16].hex(" ") for i in range(0, len(data), 16))
    return base64.b64encode(data).decode("ascii")


class BinaryInputWidget(QWidget):
    """Format selector, text field, *Load file…*, and a line that says the size or the error."""

    #: the bytes (or their validity) changed.
    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._file: tuple[str, bytes] | None = None
        self._format = HEX
        self.format_combo = QComboBox()
        self.format_combo.addItem("hex", HEX)
        self.format_combo.addItem("base64", BASE64)
        self.format_combo.setAccessibleName("Binary format")
        self.format_combo.setToolTip("How the bytes are written in the field")
        self.edit = PayloadEdit()  # a pasted megabyte of base64 is one line
        self.edit.setFont(theme.mono_font())
        self.edit.setPlaceholderText("de ad be ef   (hex)  or  3q2+7w==   (base64)")
        self.edit.setAccessibleName("Binary payload")
        self.edit.setTabChangesFocus(True)
        self.load_button = QPushButton("Load file…")
        self.load_button.setToolTip("Send the bytes of a file")
        self.clear_file_button = QPushButton("Clear file")
        self.clear_file_button.setVisible(False)
        self.status = QLabel("")
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.status.setAccessibleName("Binary payload size")
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(QLabel("Bytes as"))
        row.addWidget(self.format_combo)
        row.addWidget(self.status, 1)
        row.addWidget(self.load_button)
        row.addWidget(self.clear_file_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit, 1)
        layout.addLayout(row)
        self.edit.textChanged.connect(self._edited)
        self.format_combo.currentIndexChanged.connect(self._format_changed)
        self.load_button.clicked.connect(self.choose_file)
        self.clear_file_button.clicked.connect(self.clear_file)
        self._edited()

    # ------------------------------------------------------------------------------ reading

    @property
    def file_name(self) -> str | None:
        return self._file[0] if self._file is not None else None

    def parse(self) -> tuple[bytes | None, str | None]:
        """``(bytes, None)`` or ``(None, why it is not valid)``."""
        if self._file is not None and self.edit.isReadOnly():
            return self._file[1], None
        text = self.edit.toPlainText()
        try:
            data = parse_hex(text) if self._format == HEX else parse_base64(text)
        except ValueError as exc:
            return None, str(exc)
        return data, None

    def data(self) -> bytes | None:
        return self.parse()[0]

    # ------------------------------------------------------------------------------ writing

    def set_bytes(self, data: bytes) -> None:
        self.clear_file()
        self.edit.setPlainText(encode(data, self._format))

    @property
    def format(self) -> str:
        """How the field shows the bytes: ``hex`` or ``base64``."""
        return self._format

    def set_format(self, fmt: str) -> None:
        self.format_combo.setCurrentIndex(self.format_combo.findData(fmt))

    def choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Send the bytes of a file")
        if path:
            self.load_file(Path(path))

    def load_file(self, path: Path) -> str | None:
        """Take the bytes of ``path``; returns why it could not be read, or None."""
        try:
            data = path.read_bytes()
        except OSError as exc:
            self.status.setText(f"Cannot read {path.name}: {exc.strerror or exc}")
            return str(exc)
        self._file = (path.name, data)
        self.clear_file_button.setVisible(True)
        if len(data) <= SHOW_LIMIT:
            self.edit.setReadOnly(False)
            self.edit.setPlainText(encode(data, self._format))
        else:
            self.edit.setReadOnly(True)
            self.edit.setPlainText(
                f"{path.name}: {len(data):,} bytes, too many to show here; they are sent as "
                "they are. Clear file to type bytes instead."
            )
        self._edited()
        return None

    def clear_file(self) -> None:
        if self._file is None:
            return
        self._file = None
        self.clear_file_button.setVisible(False)
        if self.edit.isReadOnly():
            self.edit.setReadOnly(False)
            self.edit.setPlainText("")
        self._edited()

    def _format_changed(self, _index: int) -> None:
        data, _error = self.parse()
        fmt = self.format_combo.currentData()
        self._format = fmt if fmt in (HEX, BASE64) else HEX
        if data is not None and not self.edit.isReadOnly():
            self.edit.blockSignals(True)
            self.edit.setPlainText(encode(data, self._format))
            self.edit.blockSignals(False)
        self._edited()

    def _edited(self) -> None:
        data, error = self.parse()
        if error is not None:
            colour = theme.colors().error.name()
            self.status.setStyleSheet(f"color: {colour}")
            self.status.setText(f"Invalid {self._format}: {error}")
        else:
            assert data is not None
            self.status.setStyleSheet("")
            name = f" from {self._file[0]}" if self._file is not None else ""
            self.status.setText(f"{len(data):,} bytes{name}")
        self.changed.emit()
