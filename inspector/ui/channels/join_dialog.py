"""JoinChannelDialog: channel name, self, ack, private, presence key, event filter, Broadcast
Replay (private channels: replay messages sent from the database since a time, at most N), and
who joins (*Join as*: the profile's own key or one of its identities, issue #13 §1).

Errors (empty name, the same channel already open with other options) are shown inline and
disable Join; the dialog never pops another dialog. A typed ``realtime:`` prefix is removed (the
SDKs add it on the wire) and a note under the name says so (issue #10 item 13).
"""

from __future__ import annotations

import html
import time
from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from inspector.protocol.frames import typed_channel_name
from inspector.store import ChannelOptions, parse_event_list
from inspector.store.channels.channels import (
    REPLAY_LIMIT_MAX,
    ReplaySinceError,
    parse_replay_since,
    replay_since_in_future,
)
from inspector.store.timefmt import utc_iso

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
        # Broadcast Replay (§4.1, §4.2): private channels only; the server clamps the limit.
        self.replay_check = QCheckBox("replay: messages sent from the database since")
        self.replay_check.setToolTip(
            "Broadcast Replay: the server sends the private channel's recent messages that "
            "were sent from the database (realtime.send), marked ↺ replayed with their meta.id"
        )
        self.since_edit = QLineEdit("15m")
        self.since_edit.setAccessibleName("Replay since")
        self.since_edit.setPlaceholderText("15m, 2h, 1d, 2026-12-05T06:00:00Z or ms since 1970")
        self.limit_spin = QSpinBox()
        self.limit_spin.setAccessibleName("Replay limit")
        self.limit_spin.setRange(0, REPLAY_LIMIT_MAX)
        self.limit_spin.setSpecialValueText(f"server default ({REPLAY_LIMIT_MAX})")
        self.limit_spin.setPrefix("at most ")
        self.replay_note = QLabel()
        self.replay_note.setTextFormat(Qt.TextFormat.PlainText)
        self.replay_note.setWordWrap(True)
        replay_row = QHBoxLayout()
        replay_row.addWidget(self.since_edit, 1)
        replay_row.addWidget(self.limit_spin)
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
        form.addRow("Join as", self.identity_combo)
        form.addRow("", self.self_check)
        form.addRow("", self.ack_check)
        form.addRow("", self.private_check)
        form.addRow("Presence key", self.presence_edit)
        form.addRow("Events", self.events_edit)
        form.addRow("", self.replay_check)
        form.addRow("Replay", replay_row)
        form.addRow("", self.replay_note)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        for w in (self.name_edit, self.presence_edit, self.events_edit, self.since_edit):
            w.textChanged.connect(self._validate)
        for c in (self.self_check, self.ack_check, self.private_check, self.replay_check):
            c.toggled.connect(self._validate)
        self.limit_spin.valueChanged.connect(self._validate)
        if initial is not None:
            self.name_edit.setText(initial.name)
            self.self_check.setChecked(initial.broadcast_self)
            self.ack_check.setChecked(initial.ack)
            self.private_check.setChecked(initial.private)
            self.presence_edit.setText(initial.presence_key)
            self.events_edit.setText(", ".join(initial.events))
            if initial.replay_since is not None:
                self.replay_check.setChecked(True)
                self.since_edit.setText(str(initial.replay_since))
                self.limit_spin.setValue(initial.replay_limit or 0)
            index = self.identity_combo.findData(initial.identity)
            if index >= 0:
                self.identity_combo.setCurrentIndex(index)
        self.identity_combo.currentIndexChanged.connect(self._validate)
        self._validate()

    def _replay(self) -> tuple[int | None, int | None, str | None]:
        """(since in ms, limit, why the since text is not a time); a duration counts back
        from now, so a rejoin later replays from the same moment."""
        if not self.replay_check.isChecked():
            return None, None, None
        limit = self.limit_spin.value() or None
        try:
            return parse_replay_since(self.since_edit.text(), time.time()), limit, None
        except ReplaySinceError as exc:
            return None, limit, str(exc)

    def options(self) -> ChannelOptions:
        since, limit, _ = self._replay()
        return ChannelOptions(
            name=typed_channel_name(self.name_edit.text().strip())[0],
            broadcast_self=self.self_check.isChecked(),
            ack=self.ack_check.isChecked(),
            private=self.private_check.isChecked(),
            presence_key=self.presence_edit.text().strip(),
            events=parse_event_list(self.events_edit.text()),
            replay_since=since,
            replay_limit=limit if since is not None else None,
            identity=str(self.identity_combo.currentData() or ""),
        )

    def error(self) -> str | None:
        problem = self._replay()[2]
        if problem is not None:
            return problem[:1].upper() + problem[1:]
        options = self.options()
        return options.validate() or self._check(options)

    def _validate(self) -> None:
        replay = self.replay_check.isChecked()
        self.since_edit.setEnabled(replay)
        self.limit_spin.setEnabled(replay)
        since = self._replay()[0]
        future = replay_since_in_future(since, time.time()) if since is not None else None
        self.replay_note.setText(
            (f"Replays from {utc_iso(since / 1000)}" + (f"; note: {future}" if future else ""))
            if since is not None
            else ""
        )
        self.replay_note.setVisible(since is not None)
        note = typed_channel_name(self.name_edit.text().strip())[1]
        self.name_note.setText(f"Note: {note}" if note else "")
        self.name_note.setVisible(bool(note))
        error = self.error()
        colour = theme.colors().error.name()
        text = html.escape(error) if error else ""
        self.error_label.setText(f"<span style='color:{colour}'>{text}</span>" if error else "")
        self.error_label.setVisible(bool(error))
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(error is None)
        self._grow_to_fit()

    def _grow_to_fit(self) -> None:
        """Taller when a note or error wraps onto more lines (never shorter or narrower, so a
        size the user chose stays): else the buttons cover the wrapped text."""
        layout = self.layout()
        if layout is None or not self.isVisible():
            return
        layout.activate()
        width = self.width()
        need = (
            layout.totalHeightForWidth(width)
            if layout.hasHeightForWidth()
            else layout.totalSizeHint().height()
        )
        if need > self.height():
            self.resize(width, need)

    def accept(self) -> None:
        if self.error() is None:
            super().accept()
