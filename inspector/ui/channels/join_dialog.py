"""JoinChannelDialog: channel name, self, ack, private, presence key, event filter, and who
joins (*Join as*: the profile's own key or one of its identities, issue #13 §1).

Errors (empty name, the same channel already open with other options) are shown inline and
disable Join; the dialog never pops another dialog. A typed ``realtime:`` prefix is removed (the
SDKs add it on the wire) and a note under the name says so (issue #10 item 13).
"""

from __future__ import annotations

import html
from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from inspector.protocol.frames import typed_channel_name
from inspector.store import ChannelOptions, parse_event_list

from ..common import theme


class JoinChannelDialog(QDialog):
    def __init__(
        self,
        check: Callable[[ChannelOptions], str | None],
        initial: ChannelOptions | None = None,
        parent: QWidget | None = None,
        *,
        identities: list[tuple[str, str]] | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Join channel")
        self._check = check
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("room-1 (without the realtime: prefix)")
        self.name_edit.setAccessibleName("Channel name")
        #: says when a typed ``realtime:`` prefix was removed; hidden otherwise.
        self.name_note = QLabel()
        self.name_note.setWordWrap(True)
        self.name_note.setTextFormat(Qt.TextFormat.PlainText)  # the name is as typed
        self.name_note.setVisible(False)
        self.self_check = QCheckBox("self: receive my own broadcasts")
        self.ack_check = QCheckBox("ack: the server acknowledges each broadcast")
        self.private_check = QCheckBox("private: authorize with RLS policies (needs a user token)")
        self.presence_edit = QLineEdit()
        self.presence_edit.setPlaceholderText("optional: enables presence with this key")
        self.presence_edit.setAccessibleName("Presence key")
        self.events_edit = QLineEdit()
        self.events_edit.setPlaceholderText("* (all) or a list: chat, cursor*")
        self.events_edit.setAccessibleName("Event filter")
        #: who the tab joins as (issue #13 §1): the profile's own key, or one of its identities.
        self.identity_combo = QComboBox()
        self.identity_combo.setAccessibleName("Join as")
        self.identity_combo.setToolTip(
            "Who joins: the profile's own key and token, or one of its identities (Profiles…); "
            "each identity joins over its own socket"
        )
        for identity_id, label in identities or [("", "Profile default")]:
            self.identity_combo.addItem(label, identity_id)
        self.error_label = QLabel()
        self.error_label.setWordWrap(True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText("Join")
        form = QFormLayout()
        form.addRow("Channel", self.name_edit)
        form.addRow("", self.name_note)
        form.addRow("", self.self_check)
        form.addRow("", self.ack_check)
        form.addRow("", self.private_check)
        form.addRow("Presence key", self.presence_edit)
        form.addRow("Events", self.events_edit)
        form.addRow("Join as", self.identity_combo)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        for w in (self.name_edit, self.presence_edit, self.events_edit):
            w.textChanged.connect(self._validate)
        for c in (self.self_check, self.ack_check, self.private_check):
            c.toggled.connect(self._validate)
        if initial is not None:
            self.name_edit.setText(initial.name)
            self.self_check.setChecked(initial.broadcast_self)
            self.ack_check.setChecked(initial.ack)
            self.private_check.setChecked(initial.private)
            self.presence_edit.setText(initial.presence_key)
            self.events_edit.setText(", ".join(initial.events))
            index = self.identity_combo.findData(initial.identity)
            if index >= 0:
                self.identity_combo.setCurrentIndex(index)
        self.identity_combo.currentIndexChanged.connect(self._validate)
        self._validate()

    def options(self) -> ChannelOptions:
        return ChannelOptions(
            name=typed_channel_name(self.name_edit.text().strip())[0],
            broadcast_self=self.self_check.isChecked(),
            ack=self.ack_check.isChecked(),
            private=self.private_check.isChecked(),
            presence_key=self.presence_edit.text().strip(),
            events=parse_event_list(self.events_edit.text()),
            identity=str(self.identity_combo.currentData() or ""),
        )

    def error(self) -> str | None:
        options = self.options()
        return options.validate() or self._check(options)

    def _validate(self) -> None:
        note = typed_channel_name(self.name_edit.text().strip())[1]
        self.name_note.setText(f"Note: {note}" if note else "")
        self.name_note.setVisible(bool(note))
        error = self.error()
        colour = theme.colors().error.name()
        text = html.escape(error) if error else ""
        self.error_label.setText(f"<span style='color:{colour}'>{text}</span>" if error else "")
        self.error_label.setVisible(bool(error))
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(error is None)

    def accept(self) -> None:
        if self.error() is None:
            super().accept()
