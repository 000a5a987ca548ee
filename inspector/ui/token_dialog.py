"""UpdateTokenDialog: paste a new user token for the live connection (issue #10 item 17).

The window shows it from *Update token* (Ctrl+Shift+U) when the token is about to expire or
has expired. The controller then pushes the token as ``access_token`` to every joined channel
(docs/realtime-protocol.md §7.4) and joins again the tabs the server closed. The pasted token
is described (role, expiry) without being shown anywhere else; an expired one is refused here.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from inspector.store import describe_token
from inspector.store.profiles.profiles import format_duration


class UpdateTokenDialog(QDialog):
    """A paste box for the token, what it is, and whether to keep it in the profile."""

    def __init__(
        self,
        current_exp: float | None,
        wall_clock: Callable[[], float],
        *,
        can_save: bool = True,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Update token")
        self._clock = wall_clock
        now = wall_clock()
        if current_exp is None:
            state = "The connection has no user token with an expiry."
        elif current_exp <= now:
            state = f"The current token expired {format_duration(now - current_exp)} ago."
        else:
            state = f"The current token expires in {format_duration(current_exp - now)}."
        intro = QLabel(
            f"{state}<br>Paste a new user token (JWT). It is sent as <code>access_token</code> "
            "to every joined channel (§7.4), and the tabs the server closed join again."
        )
        intro.setWordWrap(True)
        self.token_edit = QPlainTextEdit()
        self.token_edit.setPlaceholderText("eyJhbGciOi…")
        self.token_edit.setAccessibleName("New access token")
        self.token_edit.setTabChangesFocus(True)
        self.token_edit.setFixedHeight(self.fontMetrics().lineSpacing() * 5 + 12)
        self.info = QLabel()
        self.info.setTextFormat(Qt.TextFormat.PlainText)
        self.info.setWordWrap(True)
        self.info.setAccessibleName("Token description")
        self.save_check = QCheckBox("Also save it in the profile (used on the next Connect)")
        self.save_check.setChecked(can_save)
        self.save_check.setEnabled(can_save)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText("Update token")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.token_edit)
        layout.addWidget(self.info)
        layout.addWidget(self.save_check)
        layout.addWidget(self.buttons)
        self.token_edit.textChanged.connect(self._check)
        self.resize(560, self.sizeHint().height())
        self._check()

    def token(self) -> str:
        return "".join(self.token_edit.toPlainText().split())

    def problem(self) -> str | None:
        """Why the pasted text cannot be used, or None."""
        token = self.token()
        if not token:
            return "Paste a token."
        info = describe_token(token)
        if info.kind in ("publishable", "secret"):
            return "That is an API key, not a user token (set keys in Profiles…)."
        if info.kind == "jwt" and info.exp is not None and info.exp <= self._clock():
            return "This token has already expired."
        return None

    def _check(self) -> None:
        problem = self.problem()
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setEnabled(problem is None)
        if problem is not None:
            self.info.setText(problem)
            return
        info = describe_token(self.token())
        if info.kind != "jwt":
            self.info.setText("Not a JWT: sent as it is; the server decides.")
            return
        parts = [f"role {info.role or '?'}"]
        if info.exp is not None:
            parts.append(f"expires in {format_duration(info.exp - self._clock())}")
        else:
            parts.append("no expiry")
        self.info.setText("JWT · " + " · ".join(parts))
