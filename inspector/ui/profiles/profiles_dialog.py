"""ProfilesDialog: add, edit, duplicate and delete connection profiles, and their identities.

Name, project URL, API key (masked, with a reveal toggle), optional user access token, protocol
version. The key and the token are shown decoded (role, ref, expiry with a live countdown) with
a warning when expired or not a JWT; ``sb_…`` keys are accepted as they are. Invalid input is
shown inline next to the field and disables Connect; nothing pops up.

Secrets go to the :class:`~inspector.ui.profiles.secrets.SecretStore` (keychain, memory, or plaintext
only after the labelled opt-in), never to the profile list.
"""

from __future__ import annotations

import dataclasses
import html
import time
from collections.abc import Callable

from PySide6.QtCore import QItemSelectionModel, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QPushButton,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from inspector.store import Profile, describe_token, validate_key, validate_url
from inspector.store.profiles.identities import secret_kind
from inspector.store.profiles.profiles import PROTOCOL_VERSIONS, normalize_url

from ..common import theme
from .identities_section import IdentitiesSection, LiveSessions
from .profile_list_model import ProfileListModel
from .secrets import ACCESS_TOKEN, API_KEY, SecretStore


class SecretField(QWidget):
    """A masked line edit with a reveal toggle."""

    textChanged = Signal(str)

    def __init__(self, placeholder: str, accessible: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.edit = QLineEdit()
        self.edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.edit.setPlaceholderText(placeholder)
        self.edit.setAccessibleName(accessible)
        self.reveal = QToolButton()
        self.reveal.setText("Show")
        self.reveal.setCheckable(True)
        self.reveal.setToolTip("Show or hide the value")
        self.reveal.setAccessibleName(f"Reveal {accessible}")
        self.reveal.toggled.connect(self._toggle)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit, 1)
        layout.addWidget(self.reveal)
        self.edit.textChanged.connect(self.textChanged)
        self.setFocusProxy(self.edit)

    def _toggle(self, shown: bool) -> None:
        self.edit.setEchoMode(QLineEdit.EchoMode.Normal if shown else QLineEdit.EchoMode.Password)
        self.reveal.setText("Hide" if shown else "Show")

    def text(self) -> str:
        return self.edit.text()

    def setText(self, text: str) -> None:
        self.edit.setText(text)
        self.reveal.setChecked(False)


class ProfilesDialog(QDialog):
    """Edits a :class:`ProfileListModel` in place; ``connect_requested`` carries a profile id."""

    connect_requested = Signal(str)
    #: the profile list or a secret changed (the window saves the list).
    profiles_changed = Signal()

    def __init__(
        self,
        model: ProfileListModel,
        secrets: SecretStore,
        *,
        current_id: str = "",
        on_plaintext_opt_in: Callable[[bool], None] | None = None,
        wall_clock: Callable[[], float] = time.time,
        live_sessions: LiveSessions | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Connection profiles")
        self.setModal(True)
        self.model = model
        self.secrets = secrets
        self._wall_clock = wall_clock
        self._on_opt_in = on_plaintext_opt_in
        self._loading = False
        self._current_id = ""

        self.list = QListView()
        self.list.setModel(model)
        self.list.setAccessibleName("Profiles")
        self.add_button = QPushButton("Add")
        self.duplicate_button = QPushButton("Duplicate")
        self.delete_button = QPushButton("Delete")
        list_buttons = QHBoxLayout()
        for b in (self.add_button, self.duplicate_button, self.delete_button):
            list_buttons.addWidget(b)
        left = QVBoxLayout()
        left.addWidget(self.list, 1)
        left.addLayout(list_buttons)

        self.name_edit = QLineEdit()
        self.name_edit.setAccessibleName("Profile name")
        self.url_edit = QLineEdit()
        self.url_edit.setPlaceholderText(
            "https://<project-ref>.supabase.co or http://127.0.0.1:54321"
        )
        self.url_edit.setAccessibleName("Project URL")
        self.url_error = QLabel()
        self.key_field = SecretField("anon / publishable key", "API key")
        self.key_info = TokenInfoWidget()
        self.token_field = SecretField(
            "optional: a user's JWT for private channels / RLS", "Access token"
        )
        self.token_info = TokenInfoWidget()
        self.vsn_combo = QComboBox()
        for vsn in PROTOCOL_VERSIONS:
            label = (
                f"{vsn} (JSON arrays + binary, realtime-js default)"
                if vsn == "2.0.0"
                else f"{vsn} (JSON objects, realtime-py)"
            )
            self.vsn_combo.addItem(label, vsn)
        self.vsn_combo.setAccessibleName("Protocol version")
        self.storage_label = QLabel()
        self.storage_label.setWordWrap(True)
        self.plaintext_check = QCheckBox(
            "Save keys and tokens IN PLAIN TEXT on this computer (not encrypted)"
        )
        self.url_error.setTextFormat(Qt.TextFormat.RichText)
        form = QFormLayout()
        form.addRow("Name", self.name_edit)
        form.addRow("Project URL", _stack(self.url_edit, self.url_error))
        form.addRow("API key", _stack(self.key_field, self.key_info))
        form.addRow("Access token", _stack(self.token_field, self.token_info))
        form.addRow("Protocol", self.vsn_combo)
        #: the profile's identities (issue #13 §1).
        self.identities = IdentitiesSection(model, secrets, live_sessions, wall_clock)
        self.identities.changed.connect(self.profiles_changed)
        right = QVBoxLayout()
        right.addLayout(form)
        right.addWidget(self.identities)
        right.addStretch(1)
        right.addWidget(self.storage_label)
        right.addWidget(self.plaintext_check)
        self.form_widget = QWidget()
        self.form_widget.setLayout(right)

        self.connect_button = QPushButton("Connect")
        self.connect_button.setDefault(True)
        self.close_button = QPushButton("Close")
        bottom = QHBoxLayout()
        bottom.addStretch(1)
        bottom.addWidget(self.connect_button)
        bottom.addWidget(self.close_button)
        body = QHBoxLayout()
        body.addLayout(left, 2)
        body.addWidget(self.form_widget, 5)
        layout = QVBoxLayout(self)
        layout.addLayout(body, 1)
        layout.addLayout(bottom)
        self.resize(900, 640)

        self.add_button.clicked.connect(self.add_profile)
        self.duplicate_button.clicked.connect(self.duplicate_profile)
        self.delete_button.clicked.connect(self.delete_profile)
        self.connect_button.clicked.connect(self._connect)
        self.close_button.clicked.connect(self.accept)
        self.list.selectionModel().currentChanged.connect(
            lambda cur, _prev: self._select_row(cur.row())
        )
        for widget in (self.name_edit, self.url_edit):
            widget.textChanged.connect(self._edited)
        self.key_field.textChanged.connect(self._edited)
        self.token_field.textChanged.connect(self._edited)
        self.vsn_combo.currentIndexChanged.connect(self._edited)
        self.url_edit.editingFinished.connect(self._normalize_url)
        self.plaintext_check.toggled.connect(self._plaintext_toggled)
        self._timer = QTimer(self)
        self._timer.setInterval(1000)
        self._timer.timeout.connect(self._refresh_info)
        self._timer.start()

        self._update_storage_note()
        row = model.row_of(current_id) if current_id else 0
        if model.rowCount() == 0:
            self.add_profile()
        else:
            self._set_current_row(max(0, row))

    # ------------------------------------------------------------------------------ selection

    @property
    def current_profile(self) -> Profile | None:
        return self.model.book.get(self._current_id) if self._current_id else None

    def _set_current_row(self, row: int) -> None:
        index = self.model.index(row, 0)
        self.list.selectionModel().setCurrentIndex(
            index, QItemSelectionModel.SelectionFlag.ClearAndSelect
        )
        self._select_row(row)

    def _select_row(self, row: int) -> None:
        profile = self.model.profile_at(row)
        if profile is None:
            self._current_id = ""
            self.form_widget.setEnabled(False)
            self.identities.set_profile("")
            self._validate()
            return
        if profile.id == self._current_id:
            return
        self.commit()
        self._current_id = profile.id
        self._loading = True
        try:
            self.form_widget.setEnabled(True)
            self.name_edit.setText(profile.name)
            self.url_edit.setText(profile.url)
            self.key_field.setText(self.secrets.get(profile.id, API_KEY))
            self.token_field.setText(self.secrets.get(profile.id, ACCESS_TOKEN))
            self.vsn_combo.setCurrentIndex(max(0, self.vsn_combo.findData(profile.vsn)))
        finally:
            self._loading = False
        self.identities.set_profile(profile.id)
        self._validate()

    # ------------------------------------------------------------------------------ list actions

    def add_profile(self) -> None:
        profile = self.model.add(Profile(Profile.new_id(), "New profile", ""))
        self.profiles_changed.emit()
        self._set_current_row(self.model.row_of(profile.id))
        self.name_edit.setFocus()
        self.name_edit.selectAll()

    def duplicate_profile(self) -> None:
        source = self.current_profile
        if source is None:
            return
        self.commit()
        copy = self.model.duplicate(source.id)
        kinds = [API_KEY, ACCESS_TOKEN]
        for identity in source.identities:
            kinds += [secret_kind(identity.id, f) for f in identity.secret_fields]
        for kind in kinds:
            value = self.secrets.get(source.id, kind)
            if value:
                self.secrets.set(copy.id, kind, value)
        self.profiles_changed.emit()
        self._set_current_row(self.model.row_of(copy.id))

    def delete_profile(self) -> None:
        profile = self.current_profile
        if profile is None:
            return
        row = self.model.row_of(profile.id)
        self.secrets.delete_profile(profile.id, [i.id for i in profile.identities])
        self._current_id = ""
        self.model.remove(profile.id)
        self.profiles_changed.emit()
        if self.model.rowCount():
            self._set_current_row(min(row, self.model.rowCount() - 1))
        else:
            self._select_row(-1)

    # ------------------------------------------------------------------------------ editing

    def _edited(self, *_args: object) -> None:
        if self._loading:
            return
        profile = self.current_profile
        if profile is None:
            return
        token = self.token_field.text().strip()
        updated = dataclasses.replace(
            profile,
            name=self.name_edit.text().strip() or "Untitled",
            url=self.url_edit.text().strip(),
            vsn=str(self.vsn_combo.currentData() or "2.0.0"),
            has_token=bool(token),
        )
        if updated != profile:
            self.model.update(updated)
        # Staged in memory; written to the keychain once, when the profile is left or saved.
        self.secrets.stage(profile.id, API_KEY, self.key_field.text().strip())
        self.secrets.stage(profile.id, ACCESS_TOKEN, token)
        self.profiles_changed.emit()
        self._validate()

    def _normalize_url(self) -> None:
        text = self.url_edit.text()
        normalized = normalize_url(text)
        if normalized != text and validate_url(normalized) is None:
            self.url_edit.setText(normalized)

    def commit(self) -> None:
        """Store the current profile's key and token (keychain, or the opted-in file)."""
        if self._current_id and self.model.book.get(self._current_id) is not None:
            self.secrets.commit(self._current_id)

    def _plaintext_toggled(self, checked: bool) -> None:
        self.commit()
        self.secrets.set_plaintext_opt_in(checked)
        if self._on_opt_in is not None:
            self._on_opt_in(checked)
        self._update_storage_note()

    def _update_storage_note(self) -> None:
        c = theme.colors()
        warn = not self.secrets.keychain_available
        colour = (c.warning if warn else c.muted).name()
        self.storage_label.setText(
            f"<span style='color:{colour}'>{html.escape(self.secrets.describe())}</span>"
        )
        self.plaintext_check.setVisible(
            not self.secrets.keychain_available and self.secrets.plaintext_path is not None
        )
        self.plaintext_check.blockSignals(True)
        self.plaintext_check.setChecked(self.secrets.plaintext_opt_in)
        self.plaintext_check.blockSignals(False)

    # ------------------------------------------------------------------------------ validation

    def errors(self) -> list[str]:
        """What blocks Connect for the current profile."""
        if self.current_profile is None:
            return ["Add a profile first"]
        out = []
        for error in (validate_url(self.url_edit.text()), validate_key(self.key_field.text())):
            if error:
                out.append(error)
        return out

    def _validate(self) -> None:
        c = theme.colors()
        url_error = validate_url(self.url_edit.text()) if self.current_profile else None
        self.url_error.setText(
            f"<span style='color:{c.error.name()}'>{url_error}</span>" if url_error else ""
        )
        self.url_error.setVisible(bool(url_error))
        self._refresh_info()
        self.connect_button.setEnabled(not self.errors())
        self.duplicate_button.setEnabled(self.current_profile is not None)
        self.delete_button.setEnabled(self.current_profile is not None)

    def _refresh_info(self) -> None:
        now = self._wall_clock()
        c = theme.colors()
        key = self.key_field.text()
        key_error = validate_key(key) if self.current_profile else None
        self.key_info.show_token(key, now, key_error, c)
        self.token_info.show_token(self.token_field.text(), now, None, c, optional=True)
        self.identities.refresh()  # the selected identity's countdown

    def _connect(self) -> None:
        profile = self.current_profile
        if profile is None or self.errors():
            return
        self.commit()
        self.connect_requested.emit(profile.id)
        self.accept()

    def done(self, result: int) -> None:
        self.commit()
        self._timer.stop()
        super().done(result)


def _stack(*widgets: QWidget) -> QWidget:
    """Widgets on top of each other in one form cell (a field and its inline message)."""
    box = QWidget()
    layout = QVBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(2)
    for widget in widgets:
        layout.addWidget(widget)
    return box


class TokenInfoWidget(QWidget):
    """A key's or token's decoded claims (muted) and its warning or error (coloured)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.info = QLabel()
        self.info.setWordWrap(True)
        self.info.setTextFormat(Qt.TextFormat.PlainText)  # claims come from the token
        self.warning = QLabel()
        self.warning.setWordWrap(True)
        self.warning.setTextFormat(Qt.TextFormat.PlainText)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.info)
        layout.addWidget(self.warning)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)

    def text(self) -> str:
        """Both lines as plain text (what a screen reader and the tests read)."""
        return "\n".join(t for t in (self.info.text(), self.warning.text()) if t)

    def show_token(
        self, token: str, now: float, error: str | None, c: theme.Colors, optional: bool = False
    ) -> None:
        info_text, warning_text, colour = "", "", c.warning
        if error:
            warning_text, colour = error, c.error
        else:
            info = describe_token(token)
            if info.kind == "empty":
                info_text = "none (the API key is used)" if optional else ""
            else:
                info_text = info.describe(now)
                warning = info.warning(now)
                warning_text = f"⚠ {warning}" if warning else ""
        self.info.setText(info_text)
        self.info.setStyleSheet(f"color: {c.muted.name()}")
        self.info.setVisible(bool(info_text))
        self.warning.setText(warning_text)
        self.warning.setStyleSheet(f"color: {colour.name()}")
        self.warning.setVisible(bool(warning_text))
