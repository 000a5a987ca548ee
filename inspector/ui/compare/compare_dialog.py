"""CompareDialog: the channel, private or not, and the 2-4 identities of a compare view.

The list offers the identities the caller knows (the profile's own: its API key with its access
token, when it has one, and its saved identities); more can be added for this view only: a
pasted user token, an email and password (signed in against the project's Auth when the view
opens), or another API key (``service_role``, ``sb_secret_…``). What is typed here is kept for
the view only, never saved. Errors show inline and disable Open.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from inspector.protocol.frames import typed_channel_name
from inspector.store.profiles.profiles import describe_token

from ..common import theme
from .compare_window import MAX_IDENTITIES, MIN_IDENTITIES

#: The kinds of identity the dialog can add.
KIND_TOKEN: Final = "token"
KIND_EMAIL: Final = "email"
KIND_KEY: Final = "key"
_KINDS: Final = (
    (KIND_TOKEN, "User access token (pasted)"),
    (KIND_EMAIL, "Email and password (sign in)"),
    (KIND_KEY, "API key (service_role, sb_secret_…)"),
)


@dataclass(frozen=True)
class IdentityChoice:
    """One identity the view can join as. Secrets are never in ``repr``."""

    name: str
    #: for people: "profile key", "user token (role authenticated)", "email alice@…".
    how: str
    key: str | None = field(default=None, repr=False)
    token: str | None = field(default=None, repr=False)
    email: str | None = None
    password: str | None = field(default=None, repr=False)
    #: a saved identity of the profile, as its ``IdentitySpec`` (None: typed here).
    spec: object | None = field(default=None, repr=False)
    #: why it cannot be used (a secret missing from the keychain): listed, not checkable.
    problem: str = ""


def token_how(token: str, what: str = "user token") -> str:
    info = describe_token(token)
    return f"{what} (role {info.role})" if info.role else what


class CompareDialog(QDialog):
    """Pick the channel and the identities; :meth:`choices` are the checked ones, in order."""

    def __init__(
        self,
        identities: Sequence[IdentityChoice],
        *,
        channel: str = "",
        private: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Compare identities")
        self._choices: list[IdentityChoice] = []
        self.channel_edit = QLineEdit(channel)
        self.channel_edit.setPlaceholderText("room-1 (without the realtime: prefix)")
        self.channel_edit.setAccessibleName("Channel name")
        self.private_check = QCheckBox(
            "private: each identity is authorized by the channel's rules"
        )
        self.private_check.setChecked(private)
        self.list = QListWidget()
        self.list.setAccessibleName("Identities")
        self.list.setMinimumHeight(self.fontMetrics().height() * 7)

        # --- add an identity for this view
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("a short name: alice, anon, admin")
        self.name_edit.setAccessibleName("Identity name")
        self.kind_combo = QComboBox()
        self.kind_combo.setAccessibleName("Identity kind")
        for kind, text in _KINDS:
            self.kind_combo.addItem(text, kind)
        self.secret_edit = QLineEdit()
        self.secret_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.secret_edit.setAccessibleName("Token or key")
        self.email_edit = QLineEdit()
        self.email_edit.setAccessibleName("Email")
        self.password_edit = QLineEdit()
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.password_edit.setAccessibleName("Password")
        self.add_button = QPushButton("Add")
        self.add_note = QLabel()
        self.add_note.setWordWrap(True)
        self.add_note.setTextFormat(Qt.TextFormat.PlainText)
        add_form = QFormLayout()
        add_form.addRow("Name", self.name_edit)
        add_form.addRow("Kind", self.kind_combo)
        self.secret_label = QLabel("Token")
        add_form.addRow(self.secret_label, self.secret_edit)
        self.email_label = QLabel("Email")
        add_form.addRow(self.email_label, self.email_edit)
        self.password_label = QLabel("Password")
        add_form.addRow(self.password_label, self.password_edit)
        add_row = QHBoxLayout()
        add_row.addWidget(self.add_note, 1)
        add_row.addWidget(self.add_button)
        add_box = QGroupBox("Add an identity for this view (not saved)")
        add_layout = QVBoxLayout(add_box)
        add_layout.addLayout(add_form)
        add_layout.addLayout(add_row)

        self.error_label = QLabel()
        self.error_label.setWordWrap(True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Open")
        form = QFormLayout()
        form.addRow("Channel", self.channel_edit)
        form.addRow("", self.private_check)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(
            QLabel(f"Join as ({MIN_IDENTITIES} to {MAX_IDENTITIES}, one column each, in order):")
        )
        layout.addWidget(self.list, 1)
        layout.addWidget(add_box)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)

        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.add_button.clicked.connect(self.add_typed)
        self.kind_combo.currentIndexChanged.connect(self._kind_changed)
        self.channel_edit.textChanged.connect(self._validate)
        self.list.itemChanged.connect(self._validate)
        for identity in identities:
            self.add_choice(identity, checked=len(self.choices()) < 2)
        self._kind_changed()
        self._validate()

    # ------------------------------------------------------------------------------ list

    def add_choice(self, choice: IdentityChoice, *, checked: bool = True) -> None:
        self._choices.append(choice)
        item = QListWidgetItem(f"{choice.name} — {choice.how}")
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
        usable = not choice.problem
        item.setCheckState(Qt.CheckState.Checked if checked and usable else Qt.CheckState.Unchecked)
        if not usable:
            item.setText(f"{choice.name} — {choice.problem}")
            item.setToolTip(choice.problem)
            item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEnabled)
        self.list.addItem(item)
        self._validate()

    def set_checked(self, names: Sequence[str]) -> None:
        for row, choice in enumerate(self._choices):
            item = self.list.item(row)
            on = choice.name in names and not choice.problem
            item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)

    def choices(self) -> list[IdentityChoice]:
        return [
            c
            for row, c in enumerate(self._choices)
            if self.list.item(row).checkState() is Qt.CheckState.Checked and not c.problem
        ]

    def channel(self) -> str:
        return typed_channel_name(self.channel_edit.text().strip())[0]

    def private(self) -> bool:
        return self.private_check.isChecked()

    # ------------------------------------------------------------------------------ adding

    def _kind_changed(self) -> None:
        kind = self.kind_combo.currentData()
        secret = kind in (KIND_TOKEN, KIND_KEY)
        self.secret_label.setText("Token" if kind == KIND_TOKEN else "Key")
        for widget in (self.secret_label, self.secret_edit):
            widget.setVisible(secret)
        for widget in (self.email_label, self.email_edit, self.password_label, self.password_edit):
            widget.setVisible(not secret)

    def typed_choice(self) -> tuple[IdentityChoice | None, str]:
        """The identity the Add fields describe, or why not."""
        name = self.name_edit.text().strip()
        if not name:
            return None, "Name the identity"
        if any(c.name == name for c in self._choices):
            return None, f"There is already an identity “{name}”"
        kind = self.kind_combo.currentData()
        if kind == KIND_EMAIL:
            email = self.email_edit.text().strip()
            password = self.password_edit.text()
            if "@" not in email:
                return None, "Type the email address"
            if not password:
                return None, "Type the password"
            return IdentityChoice(name, f"email {email}", email=email, password=password), ""
        secret = "".join(self.secret_edit.text().split())
        if not secret:
            return None, "Paste the token" if kind == KIND_TOKEN else "Paste the key"
        info = describe_token(secret)
        if kind == KIND_TOKEN:
            if info.kind != "jwt":
                return None, "A user token is a JWT (three parts separated by dots)"
            return IdentityChoice(name, token_how(secret), token=secret), ""
        if info.kind == "publishable":
            return None, "A publishable key is the profile's own: add a user token to it instead"
        return IdentityChoice(name, token_how(secret, "API key"), key=secret), ""

    def add_typed(self) -> bool:
        choice, problem = self.typed_choice()
        if choice is None:
            self.add_note.setText(problem)
            self.add_note.setStyleSheet(f"color: {theme.colors().error.name()}")
            return False
        self.add_choice(choice, checked=len(self.choices()) < MAX_IDENTITIES)
        for edit in (self.name_edit, self.secret_edit, self.email_edit, self.password_edit):
            edit.clear()
        self.add_note.setText(f"Added “{choice.name}”")
        self.add_note.setStyleSheet("")
        return True

    # ------------------------------------------------------------------------------ checks

    def error(self) -> str | None:
        if not self.channel():
            return "Name the channel"
        names = [c.name for c in self.choices()]
        count = len(names)
        if not MIN_IDENTITIES <= count <= MAX_IDENTITIES:
            return f"Check {MIN_IDENTITIES} to {MAX_IDENTITIES} identities ({count} checked)"
        if len(set(names)) != count:
            return "Two checked identities have the same name"
        return None

    def _validate(self, *_args: object) -> None:
        error = self.error()
        colour = theme.colors().error.name()
        self.error_label.setText(
            f"<span style='color:{colour}'>{html.escape(error)}</span>" if error else ""
        )
        self.error_label.setVisible(bool(error))
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(error is None)

    def accept(self) -> None:
        if self.error() is None:
            super().accept()
