"""The Identities section of the Profiles dialog (issue #13 §1) and the dialog of each kind.

A profile's identities are listed with Add (one entry per kind), Edit and Remove. Each kind
has its own :class:`IdentityDialog`: an API key; a pasted access token with an optional
refresh token; an email and password; a minted token (JWT secret, role, sub, email, extra
claims as ``k=v`` lines, lifetime); or nothing (the profile's anon key). The selected identity
shows its decoded token (header ``alg``/``kid``, role, sub, email, ``aal``, issued, expiry)
with a live countdown: the live token of the identity when a tab uses it, else the pasted
token or key, else a preview of the minted token; a password identity has no token until it
signs in. Secrets go to the :class:`~inspector.keychain.SecretStore` under identity-scoped
names (staged, committed with the profile), never into the profile list.
"""

from __future__ import annotations

import dataclasses
import html
import time
from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from inspector.client.identity import IdentitySession, mint_claims
from inspector.keychain import SecretStore
from inspector.protocol import jwt
from inspector.store import Profile
from inspector.store.profiles.identities import (
    IDENTITY_KINDS,
    KIND_LABELS,
    Identity,
    format_claims,
    parse_claims,
    validate_identity_name,
)
from inspector.store.profiles.profiles import describe_token

from ..common import theme
from .profile_list_model import ProfileListModel

#: ``(profile id, identity id)`` -> the live session when a tab uses the identity.
LiveSessions = Callable[[str, str], IdentitySession | None]

_HINTS = {
    "anon": "Joins with the profile's API key and no user token: what an anonymous visitor "
    "of the app can do.",
    "key": "Another API key in place of the profile's: a service_role JWT or an sb_secret_… "
    "key (bypasses the channels' rules). A JWT key is also the joins' access token.",
    "token": "A user's access token, pasted. With its refresh token the identity refreshes "
    "itself before it expires; without, it warns a minute before.",
    "password": "Signs in at the project's Auth (/auth/v1, grant_type=password) when first "
    "used, and refreshes itself before the token expires.",
    "minted": "Signs its own HS256 tokens with the project's JWT secret (local `supabase "
    "start`, self-hosted, `realtime-inspector serve`), again before each expires.",
}


class _Secret(QWidget):
    """A masked field with a Show toggle (as the profile's key field)."""

    def __init__(self, placeholder: str, accessible: str) -> None:
        super().__init__()
        self.edit = QLineEdit()
        self.edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.edit.setPlaceholderText(placeholder)
        self.edit.setAccessibleName(accessible)
        self.reveal = QToolButton()
        self.reveal.setText("Show")
        self.reveal.setCheckable(True)
        self.reveal.toggled.connect(
            lambda shown: self.edit.setEchoMode(
                QLineEdit.EchoMode.Normal if shown else QLineEdit.EchoMode.Password
            )
        )
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit, 1)
        layout.addWidget(self.reveal)
        self.setFocusProxy(self.edit)

    def text(self) -> str:
        return self.edit.text().strip()


class IdentityDialog(QDialog):
    """Add or edit one identity of one kind; :meth:`identity` and :meth:`secret_values`
    give the result once accepted."""

    def __init__(
        self,
        kind: str,
        others: tuple[Identity, ...],
        identity: Identity | None = None,
        secrets: dict[str, str] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.kind = kind
        self._others = others
        self._original = identity
        values = secrets or {}
        self.setWindowTitle(("Edit" if identity else "Add") + f" identity: {KIND_LABELS[kind]}")
        self.name_edit = QLineEdit(identity.name if identity else "")
        self.name_edit.setAccessibleName("Identity name")
        self.name_edit.setPlaceholderText("alice, admin, guest…")
        hint = QLabel(_HINTS[kind])
        hint.setWordWrap(True)
        hint.setStyleSheet(f"color: {theme.colors().muted.name()}")
        form = QFormLayout()
        form.addRow("Name", self.name_edit)
        self.key_field = _Secret("service_role JWT or sb_secret_…", "Identity API key")
        self.token_field = _Secret("the user's access token (a JWT)", "Identity access token")
        self.refresh_field = _Secret("optional: lets it refresh itself", "Identity refresh token")
        self.email_edit = QLineEdit(identity.email if identity else "")
        self.email_edit.setAccessibleName("Identity email")
        self.password_field = _Secret("the user's password", "Identity password")
        self.secret_field = _Secret("the project's JWT secret", "JWT secret")
        self.role_edit = QLineEdit(identity.role if identity else "authenticated")
        self.role_edit.setAccessibleName("Role")
        self.sub_edit = QLineEdit(identity.sub if identity else "")
        self.sub_edit.setAccessibleName("Sub")
        self.sub_edit.setPlaceholderText("the user id: auth.uid() in policies")
        self.claims_edit = QPlainTextEdit(format_claims(identity.claims) if identity else "")
        self.claims_edit.setAccessibleName("Extra claims")
        self.claims_edit.setPlaceholderText('one per line: aal=aal2, app_metadata={"team":"a"}')
        self.claims_edit.setMaximumHeight(80)
        self.lifetime_spin = QSpinBox()
        self.lifetime_spin.setRange(1, 7 * 24 * 60)
        self.lifetime_spin.setSuffix(" min")
        self.lifetime_spin.setValue(max(1, round((identity.lifetime_s if identity else 3600) / 60)))
        self.lifetime_spin.setAccessibleName("Lifetime")
        self.key_field.edit.setText(values.get("key", ""))
        self.token_field.edit.setText(values.get("token", ""))
        self.refresh_field.edit.setText(values.get("refresh_token", ""))
        self.password_field.edit.setText(values.get("password", ""))
        self.secret_field.edit.setText(values.get("jwt_secret", ""))
        if kind == "key":
            form.addRow("API key", self.key_field)
        elif kind == "token":
            form.addRow("Access token", self.token_field)
            form.addRow("Refresh token", self.refresh_field)
        elif kind == "password":
            form.addRow("Email", self.email_edit)
            form.addRow("Password", self.password_field)
        elif kind == "minted":
            form.addRow("JWT secret", self.secret_field)
            form.addRow("Role", self.role_edit)
            form.addRow("Sub", self.sub_edit)
            form.addRow("Email", self.email_edit)
            form.addRow("Extra claims", self.claims_edit)
            form.addRow("Lifetime", self.lifetime_spin)
        self.error_label = QLabel()
        self.error_label.setWordWrap(True)
        self.error_label.setTextFormat(Qt.TextFormat.PlainText)
        self.error_label.setStyleSheet(f"color: {theme.colors().error.name()}")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(hint)
        layout.addLayout(form)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)
        for edit in (self.name_edit, self.email_edit, self.role_edit, self.sub_edit):
            edit.textChanged.connect(self._validate)
        for secret in (
            self.key_field,
            self.token_field,
            self.refresh_field,
            self.password_field,
            self.secret_field,
        ):
            secret.edit.textChanged.connect(self._validate)
        self.claims_edit.textChanged.connect(self._validate)
        self.resize(520, 0)
        self._validate()

    def error(self) -> str | None:
        """What keeps OK disabled, or None."""
        own = self._original.id if self._original else ""
        problem = validate_identity_name(self.name_edit.text(), self._others, own)
        if problem:
            return problem
        kind = self.kind
        if kind == "key" and not self.key_field.text():
            return "Enter the API key"
        if kind == "token" and not self.token_field.text():
            return "Paste the access token"
        if kind == "password":
            if not self.email_edit.text().strip():
                return "Enter the email to sign in with"
            if not self.password_field.edit.text():
                return "Enter the password"
        if kind == "minted":
            if not self.secret_field.edit.text():
                return "Enter the project's JWT secret"
            if not self.role_edit.text().strip():
                return "Enter a role (authenticated, anon, service_role…)"
            try:
                parse_claims(self.claims_edit.toPlainText())
            except ValueError as exc:
                return f"Extra claims: {exc}"
        return None

    def _validate(self) -> None:
        error = self.error()
        self.error_label.setText(error or "")
        self.error_label.setVisible(bool(error))
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(error is None)

    def accept(self) -> None:
        if self.error() is None:
            super().accept()

    def identity(self) -> Identity:
        kind = self.kind
        base = self._original or Identity(Identity.new_id(), "", kind)
        minted = kind == "minted"
        return dataclasses.replace(
            base,
            name=self.name_edit.text().strip(),
            kind=kind,
            email=self.email_edit.text().strip() if kind in ("password", "minted") else "",
            role=self.role_edit.text().strip() if minted else "authenticated",
            sub=self.sub_edit.text().strip() if minted else "",
            claims=parse_claims(self.claims_edit.toPlainText()) if minted else {},
            lifetime_s=self.lifetime_spin.value() * 60.0 if minted else 3600.0,
            has_refresh_token=kind == "token" and bool(self.refresh_field.text()),
        )

    def secret_values(self) -> dict[str, str]:
        """Every secret field of the kind (an empty one deletes what was stored)."""
        return {
            "key": {"key": self.key_field.text()},
            "token": {
                "token": self.token_field.text(),
                "refresh_token": self.refresh_field.text(),
            },
            "password": {"password": self.password_field.edit.text()},
            "minted": {"jwt_secret": self.secret_field.edit.text()},
            "anon": {},
        }[self.kind]


class IdentitiesSection(QWidget):
    """The current profile's identities: list, Add/Edit/Remove, the decoded token."""

    #: the profile's identities or their secrets changed.
    changed = Signal()

    def __init__(
        self,
        model: ProfileListModel,
        secrets: SecretStore,
        live: LiveSessions | None = None,
        wall_clock: Callable[[], float] = time.time,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.model = model
        self.secrets = secrets
        self._live = live
        self._wall_clock = wall_clock
        self._profile_id = ""
        #: the dialog opened last (tests and screenshots drive it).
        self.identity_dialog: IdentityDialog | None = None
        self.list = QListWidget()
        self.list.setAccessibleName("Identities")
        self.list.setMaximumHeight(110)
        self.add_button = QToolButton()
        self.add_button.setText("Add")
        self.add_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.add_button)
        self.add_actions = {}
        for kind in IDENTITY_KINDS:
            action = menu.addAction(KIND_LABELS[kind])
            action.triggered.connect(lambda _c=False, k=kind: self.add_identity(k))
            self.add_actions[kind] = action
        self.add_button.setMenu(menu)
        self.edit_button = QPushButton("Edit…")
        self.remove_button = QPushButton("Remove")
        buttons = QVBoxLayout()
        for widget in (self.add_button, self.edit_button, self.remove_button):
            buttons.addWidget(widget)
        buttons.addStretch(1)
        top = QHBoxLayout()
        top.addWidget(self.list, 1)
        top.addLayout(buttons)
        self.details = QLabel()
        self.details.setTextFormat(Qt.TextFormat.RichText)
        self.details.setWordWrap(True)
        self.details.setAccessibleName("Identity token")
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        title = QLabel("<b>Identities</b>: other users of this project (Join as, Send as)")
        layout.addWidget(title)
        layout.addLayout(top)
        layout.addWidget(self.details)
        self.edit_button.clicked.connect(self.edit_identity)
        self.remove_button.clicked.connect(self.remove_identity)
        self.list.currentRowChanged.connect(lambda _r: self.refresh())
        self.list.itemDoubleClicked.connect(lambda _i: self.edit_identity())
        self.set_profile("")

    # ------------------------------------------------------------------------------ state

    @property
    def profile(self) -> Profile | None:
        return self.model.book.get(self._profile_id) if self._profile_id else None

    @property
    def current(self) -> Identity | None:
        profile = self.profile
        item = self.list.currentItem()
        if profile is None or item is None:
            return None
        return profile.identity(str(item.data(Qt.ItemDataRole.UserRole)))

    def set_profile(self, profile_id: str) -> None:
        self._profile_id = profile_id
        self._fill()

    def _fill(self, select: str = "") -> None:
        profile = self.profile
        self.list.blockSignals(True)
        try:
            self.list.clear()
            for identity in profile.identities if profile is not None else ():
                item = QListWidgetItem(f"{identity.name} · {identity.describe()}")
                item.setData(Qt.ItemDataRole.UserRole, identity.id)
                self.list.addItem(item)
                if identity.id == select:
                    self.list.setCurrentItem(item)
            if self.list.currentItem() is None and self.list.count():
                self.list.setCurrentRow(0)
        finally:
            self.list.blockSignals(False)
        self.add_button.setEnabled(profile is not None)
        self.refresh()

    def refresh(self) -> None:
        """The selected identity's decoded token, with the time left (the dialog's 1-s timer
        calls this: a live countdown)."""
        identity = self.current
        self.edit_button.setEnabled(identity is not None)
        self.remove_button.setEnabled(identity is not None)
        if identity is None:
            empty = "No identities yet: Add one to join or send as another user."
            self.details.setText(
                f"<span style='color:{theme.colors().muted.name()}'>{empty}</span>"
            )
            return
        self.details.setText(self.details_html(identity))

    def details_html(self, identity: Identity) -> str:
        now = self._wall_clock()
        c = theme.colors()
        token, note = self._token_of(identity, now)
        rows = []
        if token:
            info = describe_token(token)
            for label, value in info.fields(now):
                rows.append(
                    f"<tr><td style='color:{c.muted.name()}'>{html.escape(label)}</td>"
                    f"<td>{html.escape(value)}</td></tr>"
                )
            warning = info.warning(now) if info.kind == "jwt" else None
            if warning:
                note += f" ⚠ {warning}"
        table = f"<table cellspacing='0' cellpadding='1'>{''.join(rows)}</table>" if rows else ""
        return f"<span style='color:{c.muted.name()}'>{html.escape(note)}</span>{table}"

    def _token_of(self, identity: Identity, now: float) -> tuple[str, str]:
        """The token to decode and a line saying where it comes from."""
        session = self._live(self._profile_id, identity.id) if self._live else None
        if session is not None and session.access_token:
            return session.access_token, f"In use: {session.status}."
        pid = self._profile_id
        kind = identity.kind
        if kind == "key":
            return self.secrets.identity_secret(pid, identity.id, "key"), "API key:"
        if kind == "token":
            return (
                self.secrets.identity_secret(pid, identity.id, "token"),
                "Pasted token"
                + (" (refreshes itself):" if identity.has_refresh_token else " (cannot refresh):"),
            )
        if kind == "minted":
            secret = self.secrets.identity_secret(pid, identity.id, "jwt_secret")
            if not secret:
                return "", "No JWT secret stored: Edit to enter it."
            claims = mint_claims(
                role=identity.role,
                now=now,
                lifetime_s=identity.lifetime_s,
                sub=identity.sub,
                email=identity.email,
                extra=identity.claims,
            )
            return jwt.sign(
                claims, secret
            ), "Preview: minted when a tab uses it, again before expiry."
        if kind == "password":
            return "", f"Signs in as {identity.email} when a tab uses it (no token yet)."
        return "", "The profile's API key, no user token."

    # ------------------------------------------------------------------------------ actions

    def add_identity(self, kind: str) -> IdentityDialog | None:
        profile = self.profile
        if profile is None:
            return None
        return self._open(IdentityDialog(kind, profile.identities, parent=self))

    def edit_identity(self) -> IdentityDialog | None:
        profile, identity = self.profile, self.current
        if profile is None or identity is None:
            return None
        values = {
            f: self.secrets.identity_secret(profile.id, identity.id, f)
            for f in ("key", "token", "refresh_token", "password", "jwt_secret")
        }
        dialog = IdentityDialog(identity.kind, profile.identities, identity, values, self)
        return self._open(dialog)

    def _open(self, dialog: IdentityDialog) -> IdentityDialog:
        dialog.accepted.connect(lambda: self._apply(dialog))
        dialog.open()
        self.identity_dialog = dialog
        return dialog

    def _apply(self, dialog: IdentityDialog) -> None:
        profile = self.profile
        if profile is None:
            return
        identity = dialog.identity()
        identities = [i for i in profile.identities if i.id != identity.id]
        position = next(
            (n for n, i in enumerate(profile.identities) if i.id == identity.id), len(identities)
        )
        identities.insert(position, identity)
        for secret_field, value in dialog.secret_values().items():
            self.secrets.stage_identity(profile.id, identity.id, secret_field, value)
        self.secrets.commit(profile.id)
        self.model.update(dataclasses.replace(profile, identities=tuple(identities)))
        self._fill(select=identity.id)
        self.changed.emit()

    def remove_identity(self) -> None:
        profile, identity = self.profile, self.current
        if profile is None or identity is None:
            return
        self.secrets.delete_identity(profile.id, identity.id)
        remaining = tuple(i for i in profile.identities if i.id != identity.id)
        self.model.update(dataclasses.replace(profile, identities=remaining))
        self._fill()
        self.changed.emit()
