"""The Identities section of the Profiles dialog (issue #13 §1): a dialog per kind with inline
validation, secrets in the keychain under identity-scoped names (never in the settings file),
the decoded token with a countdown that ticks, Remove deleting the secrets, and a profile edit
keeping its identities."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from gui_helpers import save_screenshot

from inspector.keychain import SERVICE, SecretStore
from inspector.protocol import jwt
from inspector.store import Profile, ProfileBook
from inspector.ui.profiles.profile_list_model import ProfileListModel
from inspector.ui.profiles.profiles_dialog import ProfilesDialog
from inspector.ui.settings import AppSettings

pytestmark = pytest.mark.gui

NOW = 1_700_000_000.0
SECRET = "s" * 40


def make_dialog(qtbot: Any, secrets: SecretStore, clock: list[float]) -> ProfilesDialog:
    book = ProfileBook([Profile("p1", "Local", "http://127.0.0.1:54321")])
    dialog = ProfilesDialog(ProfileListModel(book), secrets, wall_clock=lambda: clock[0])
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def test_identities_of_every_kind_keychain_countdown_and_remove(
    qtbot: Any, memory_keyring: Any, isolated_settings: Path
) -> None:
    clock = [NOW]
    secrets = SecretStore(None)
    dialog = make_dialog(qtbot, secrets, clock)
    section = dialog.identities
    assert "No identities yet" in section.details.text()

    # minted: validation inline, then role/sub/email/claims/lifetime
    add = section.add_identity("minted")
    assert add is not None
    ok = add.buttons.button(add.buttons.StandardButton.Ok)
    assert not ok.isEnabled()
    assert add.error_label.text() == "An identity needs a name"
    add.name_edit.setText("bob")
    assert add.error_label.text() == "Enter the project's JWT secret"
    add.secret_field.edit.setText(SECRET)
    add.sub_edit.setText("bob-id")
    add.email_edit.setText("bob@example.com")
    add.claims_edit.setPlainText("aal=aal2\noops")
    assert add.error_label.text() == "Extra claims: a claim is NAME=VALUE, not 'oops'"
    add.claims_edit.setPlainText('aal=aal2\napp_metadata={"team": "a"}')
    add.lifetime_spin.setValue(5)
    assert ok.isEnabled()
    save_screenshot(add, "identity-dialog-minted")
    add.accept()
    profile = dialog.model.book.get("p1")
    assert profile is not None
    [bob] = profile.identities
    assert (bob.kind, bob.sub, bob.lifetime_s) == ("minted", "bob-id", 300.0)
    assert bob.claims == {"aal": "aal2", "app_metadata": {"team": "a"}}
    assert memory_keyring.store[(SERVICE, f"p1:identity.{bob.id}.jwt_secret")] == SECRET
    text = section.details.text()
    assert "Preview: minted when a tab uses it" in text
    assert "HS256" in text
    assert "bob@example.com" in text
    assert "aal2" in text
    assert "in 5 min 0 s" in text

    # a pasted token: its decoded claims and a countdown that ticks with the dialog's timer
    token = jwt.sign(
        {"role": "authenticated", "sub": "u-9", "email": "ann@example.com", "aal": "aal1",
         "iat": int(NOW) - 60, "exp": int(NOW) + 300},
        SECRET,
    )  # fmt: skip
    add = section.add_identity("token")
    assert add is not None
    add.name_edit.setText("bob")
    assert add.error_label.text() == "This profile already has an identity named 'bob'"
    add.name_edit.setText("ann")
    add.token_field.edit.setText(token)
    add.accept()
    assert section.current is not None
    assert section.current.name == "ann"
    text = section.details.text()
    assert "Pasted token (cannot refresh):" in text
    assert "u-9" in text
    assert "(1 min 0 s ago)" in text
    assert "in 5 min 0 s" in text
    clock[0] += 1
    dialog._timer.timeout.emit()  # the 1-s tick
    assert "in 4 min 59 s" in section.details.text()
    clock[0] += 400
    dialog._timer.timeout.emit()
    assert "expired 1 min 41 s ago" in section.details.text()

    # password and key identities; the settings file never holds a secret
    for kind, fill in (
        (
            "password",
            lambda d: (d.email_edit.setText("a@b.c"), d.password_field.edit.setText("pw-1")),
        ),
        ("key", lambda d: d.key_field.edit.setText("sb_secret_abc")),
        ("anon", lambda d: None),
    ):
        add = section.add_identity(kind)
        assert add is not None
        add.name_edit.setText(kind)
        fill(add)
        add.accept()
    names = [section.list.item(i).text() for i in range(section.list.count())]
    assert names == [
        "bob · minted · authenticated · sub bob-id · bob@example.com",
        "ann · token",
        "password · password · a@b.c",
        "key · key",
        "anon · anon",
    ]
    settings = AppSettings()
    settings.save_profiles(dialog.model.book)
    settings.sync()
    saved = Path(settings.qs.fileName()).read_text()
    for secret in (SECRET, token, "pw-1", "sb_secret_abc"):
        assert secret not in saved
    assert "a@b.c" in saved  # the email is not a secret

    # an edit of the profile keeps its identities
    dialog.name_edit.setText("Local dev")
    profile = dialog.model.book.get("p1")
    assert profile is not None
    assert profile.name == "Local dev"
    assert len(profile.identities) == 5
    dialog.key_field.edit.setText(jwt.demo_key("anon"))
    section.list.setCurrentRow(0)
    clock[0] = NOW
    section.refresh()
    save_screenshot(dialog, "profiles-identities")

    # edit: the stored secrets come back into the dialog
    section.list.setCurrentRow(2)
    edit = section.edit_identity()
    assert edit is not None
    assert edit.password_field.edit.text() == "pw-1"
    edit.reject()
    # remove: the identity and its secrets go
    password = section.current
    assert password is not None
    section.remove_identity()
    assert (SERVICE, f"p1:identity.{password.id}.password") not in memory_keyring.store
    dialog.delete_profile()
    assert not any(user.startswith("p1:") for _, user in memory_keyring.store)
