"""SaveMessageDialog: name, folder and note of a message saved from the composer (Ctrl+S).

A name that already exists in the chosen folder turns the OK button into *Overwrite* and says
so, instead of a second dialog.
"""

from __future__ import annotations

import html

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from inspector.store.library import Library, LibraryError
from inspector.store.library.library import check_folder, check_name

from ..common import theme
from ..common.bounded_label import NarrowLabel


class SaveMessageDialog(QDialog):
    def __init__(
        self,
        library: Library,
        *,
        name: str,
        folder: str = "",
        note: str = "",
        event: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        """``event``: the composer's event name; an empty one cannot be saved (``send
        --saved`` refuses such a message, as ``--event ''``). None: not checked."""
        super().__init__(parent)
        self.setWindowTitle("Save to library")
        self._library = library
        self._event = event
        self.name_edit = QLineEdit(name)
        self.name_edit.setAccessibleName("Saved message name")
        self.folder_combo = QComboBox()
        self.folder_combo.setEditable(True)
        self.folder_combo.setAccessibleName("Folder")
        self.folder_combo.addItem("")
        self.folder_combo.addItems(library.folders())
        self.folder_combo.setCurrentText(folder)
        self.folder_combo.setToolTip("Empty: no folder. Type a new name to make a folder.")
        self.note_edit = QLineEdit(note)
        self.note_edit.setAccessibleName("Note")
        self.note_edit.setPlaceholderText("optional: what it is for")
        self.problem = NarrowLabel("")
        self.problem.setWordWrap(True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        form = QFormLayout()
        form.addRow("Name", self.name_edit)
        form.addRow("Folder", self.folder_combo)
        form.addRow("Note", self.note_edit)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.name_edit.textChanged.connect(self._check)
        self.folder_combo.currentTextChanged.connect(self._check)
        self._check()

    @property
    def name(self) -> str:
        return self.name_edit.text().strip()

    @property
    def folder(self) -> str:
        return self.folder_combo.currentText().strip()

    @property
    def note(self) -> str:
        return self.note_edit.text().strip()

    @property
    def overwrite(self) -> bool:
        return self._library.get(self.folder, self.name) is not None

    def _check(self) -> None:
        ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        c = theme.colors()
        problem = ""
        try:
            if self._event is not None and not self._event.strip():
                raise LibraryError(
                    "The composer has no event name: enter one before saving "
                    "(an event name cannot be empty)."
                )
            check_name(self.name)
            check_folder(self.folder)
        except LibraryError as exc:
            problem = str(exc)
        if problem:
            self.problem.setText(
                f"<span style='color:{c.error.name()}'>{html.escape(problem)}</span>"
            )
            ok_button.setEnabled(False)
            ok_button.setText("Save")
            return
        ok_button.setEnabled(True)
        if self.overwrite:
            where = f"folder {self.folder!r}" if self.folder else "the top level"
            self.problem.setText(
                f"<span style='color:{c.warning.name()}'>{html.escape(repr(self.name))} already "
                f"exists in {html.escape(where)}: saving replaces it (Undo brings it back).</span>"
            )
            ok_button.setText("Overwrite")
        else:
            self.problem.setText("")
            ok_button.setText("Save")
