"""CheckDraftDialog: edit a drafted check file and save it where the user chooses (issue #12 §4).

The YAML that "New check from selection" drafted (:mod:`inspector.store.checks.draft`) opens in
a plain editor. Every edit is checked with the checks loader (debounced), and the line under
the editor says whether the file is valid or where it is not (line and column). *Save As…*
asks for a path (``ask_path``, a file dialog unless a test passes its own), writes the text
through ``<file>.part`` and emits ``saved(path)``; the Checks panel then opens the file. A text
that does not load can still be saved (it is the user's file), with the problem repeated in
the note.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from inspector.client.checks import LoadError, load_text
from inspector.protocol.invisible import printable
from inspector.store.checks.draft import CHECK_FILTER

from ..common import theme
from ..common.file_dialogs import AskPath, dialog_ask_path


def validate(text: str, name: str = "draft.yaml") -> tuple[bool, str]:
    """``(valid, what to tell)`` for a check file's text."""
    try:
        loaded = load_text(text, name)
    except LoadError as exc:
        problems = [printable(str(p)) for p in exc.problems]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        return False, problems[0] + more if problems else "not a valid check file"
    steps = sum(len(c.steps) for c in loaded.checks)
    checks = len(loaded.checks)
    return True, f"Valid: {checks} check{'s' * (checks != 1)}, {steps} steps"


def write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through ``<path>.part`` (never a half file)."""
    part = path.with_name(path.name + ".part")
    try:
        with part.open("w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        os.replace(part, path)
    finally:
        part.unlink(missing_ok=True)


class CheckDraftDialog(QDialog):
    """The drafted check as editable YAML, validated as it is typed, with Save As…."""

    #: ``(path)``: the file was written.
    saved = Signal(str)

    def __init__(
        self,
        text: str,
        *,
        suggested_name: str = "check.yaml",
        ask_path: AskPath | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("New check from selection")
        self.suggested_name = suggested_name
        self.ask_path = ask_path or dialog_ask_path(self)
        self.path: Path | None = None
        self.editor = QPlainTextEdit()
        self.editor.setAccessibleName("Check file (YAML)")
        self.editor.setFont(theme.mono_font())
        self.editor.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.editor.setPlainText(text)
        self.status_label = QLabel()
        self.status_label.setAccessibleName("Check file status")
        self.status_label.setTextFormat(Qt.TextFormat.PlainText)
        self.status_label.setWordWrap(True)
        hint = QLabel(
            "Sends became send steps and receives expect steps (their payload is a subset "
            "match; within = the delay seen, doubled, at least +1 s). Edit, then Save As…; "
            "the Checks panel opens the saved file."
        )
        hint.setWordWrap(True)
        buttons = QDialogButtonBox()
        self.save_button = QPushButton("Save As…")
        self.save_button.setDefault(True)
        buttons.addButton(self.save_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.close_button = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.save_button.clicked.connect(self.save_as)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(hint)
        layout.addWidget(self.editor, 1)
        layout.addWidget(self.status_label)
        layout.addWidget(buttons)
        self.resize(720, 560)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(300)
        self._timer.timeout.connect(self.revalidate)
        self.editor.textChanged.connect(self._timer.start)
        self.revalidate()

    def text(self) -> str:
        return self.editor.toPlainText()

    def revalidate(self) -> bool:
        self._timer.stop()
        valid, message = validate(self.text(), self.suggested_name)
        c = theme.colors()
        self.status_label.setStyleSheet(f"color: {(c.ok if valid else c.error).name()}")
        self.status_label.setText(message)
        return valid

    def save_as(self) -> Path | None:
        """Ask where, write, emit ``saved`` and close; None when the user cancelled or the
        file could not be written (the note says why)."""
        path = self.ask_path("Save check file", CHECK_FILTER, True)
        if path is None:
            return None
        valid = self.revalidate()
        text = self.text()
        if not text.endswith("\n"):
            text += "\n"
        try:
            write_text(path, text)
        except OSError as exc:
            self.status_label.setText(f"Could not save {path.name}: {exc.strerror or exc}")
            self.status_label.setStyleSheet(f"color: {theme.colors().error.name()}")
            return None
        self.path = path
        self.saved.emit(str(path))
        if valid:
            self.accept()
        return path
