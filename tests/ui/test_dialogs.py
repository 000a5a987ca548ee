"""Profiles dialog (keychain, no-keychain, plaintext opt-in, claims, inline errors) and the
join dialog (validation, conflicts)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import keyring
import pytest
from gui_fakes import FakeController
from keyring.backends import fail

from inspector.protocol import jwt
from inspector.store import ChannelOptions, Profile, ProfileBook, join_conflict
from inspector.ui.channels.join_dialog import JoinChannelDialog
from inspector.ui.profiles.profile_list_model import ProfileListModel
from inspector.ui.profiles.profiles_dialog import ProfilesDialog
from inspector.ui.profiles.secrets import ACCESS_TOKEN, API_KEY, SERVICE, SecretStore
from inspector.ui.settings import AppSettings

pytestmark = pytest.mark.gui

ANON = jwt.sign({"role": "anon", "ref": "abcd", "exp": 2_000_000_000}, "s" * 32)
EXPIRED = jwt.sign({"role": "authenticated", "sub": "u1", "exp": 1_000}, "s" * 32)


def make_dialog(
    qtbot: Any, secrets: SecretStore, book: ProfileBook | None = None
) -> ProfilesDialog:
    model = ProfileListModel(book or ProfileBook())
    dialog = ProfilesDialog(model, secrets, wall_clock=lambda: 1_700_000_000.0)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def test_new_profile_validates_inline_and_stores_key_in_keychain(
    qtbot: Any, memory_keyring: Any, isolated_settings: Path
) -> None:
    settings = AppSettings()
    secrets = SecretStore(settings.directory())
    dialog = make_dialog(qtbot, secrets)
    assert dialog.model.rowCount() == 1  # an empty list starts with a new profile
    assert not dialog.connect_button.isEnabled()
    assert "Project URL is required" in dialog.url_error.text()
    qtbot.keyClicks(dialog.url_edit, "abc.supabase.co")
    assert "must start with https://" in dialog.url_error.text()
    dialog.url_edit.setText("http://127.0.0.1:54321/")
    dialog.url_edit.editingFinished.emit()
    assert dialog.url_edit.text() == "http://127.0.0.1:54321"
    assert "API key is required" in dialog.key_info.text()
    assert not dialog.connect_button.isEnabled()
    qtbot.keyClicks(dialog.key_field.edit, ANON)
    assert dialog.connect_button.isEnabled()
    assert "role anon · ref abcd · expires in" in dialog.key_info.text()
    # Masked, with a reveal toggle.
    assert dialog.key_field.edit.echoMode() == dialog.key_field.edit.EchoMode.Password
    dialog.key_field.reveal.click()
    assert dialog.key_field.edit.echoMode() == dialog.key_field.edit.EchoMode.Normal
    dialog.token_field.setText(EXPIRED)
    assert "Expired" in dialog.token_info.text()
    assert "sub u1" in dialog.token_info.text()
    profile = dialog.current_profile
    assert profile is not None
    assert profile.has_token
    # Typed key by key, but not written to the keychain per keystroke: once, on commit.
    assert memory_keyring.writes == 0
    dialog.add_profile()  # leaving the profile commits it
    assert memory_keyring.writes == 2
    dialog.list.setCurrentIndex(dialog.model.index(0, 0))
    assert dialog.current_profile == profile
    assert memory_keyring.store[(SERVICE, f"{profile.id}:{API_KEY}")] == ANON
    assert memory_keyring.store[(SERVICE, f"{profile.id}:{ACCESS_TOKEN}")] == EXPIRED
    assert "system keychain" in dialog.storage_label.text()
    assert not dialog.plaintext_check.isVisibleTo(dialog)
    # Saved profiles never contain the secrets.
    settings.save_profiles(dialog.model.book)
    settings.sync()
    text = Path(settings.qs.fileName()).read_text()
    assert ANON not in text
    assert EXPIRED not in text
    assert "127.0.0.1" in text
    connects: list[str] = []
    dialog.connect_requested.connect(connects.append)
    dialog.connect_button.click()
    assert connects == [profile.id]


def test_a_token_whose_exp_is_no_date_is_described(qtbot: Any) -> None:
    """A JWT with ``exp`` 1e20 or 1e300 (a number, not a date) raised in the dialog's
    once-a-second refresh; it reads as a duration with no date."""
    dialog = make_dialog(qtbot, SecretStore(None))
    for exp, words in ((1e20, "expires in over 100 years (—)"), (-1e300, "expired over 100")):
        dialog.key_field.setText(jwt.sign({"role": "anon", "exp": exp}, "s" * 32))
        assert words in dialog.key_info.text()
    dialog._refresh_info()


def test_sb_keys_are_accepted_and_opaque_keys_warn(qtbot: Any) -> None:
    dialog = make_dialog(qtbot, SecretStore(None))
    dialog.url_edit.setText("https://abcdefghijklmnopqrst.supabase.co")
    dialog.key_field.setText("sb_publishable_abc")
    assert "accepted as is" in dialog.key_info.text()
    assert "⚠" not in dialog.key_info.text()
    assert dialog.connect_button.isEnabled()
    dialog.key_field.setText("not-a-jwt")
    assert "Not a JWT" in dialog.key_info.text()
    assert dialog.connect_button.isEnabled()  # a warning, not a block


def test_duplicate_and_delete(qtbot: Any, memory_keyring: Any) -> None:
    secrets = SecretStore(None)
    book = ProfileBook([Profile("p1", "Prod", "https://x.supabase.co")])
    secrets.set("p1", API_KEY, ANON)
    dialog = make_dialog(qtbot, secrets, book)
    dialog.duplicate_button.click()
    copy = dialog.current_profile
    assert copy is not None
    assert copy.name == "Prod copy"
    assert secrets.get(copy.id, API_KEY) == ANON
    dialog.delete_button.click()
    assert dialog.model.rowCount() == 1
    assert (SERVICE, f"{copy.id}:{API_KEY}") not in memory_keyring.store
    assert dialog.current_profile is not None
    assert dialog.current_profile.id == "p1"


def test_without_keychain_secrets_stay_in_memory_until_plaintext_opt_in(
    qtbot: Any, isolated_settings: Path
) -> None:
    keyring.set_keyring(fail.Keyring())
    secrets = SecretStore(isolated_settings)
    assert not secrets.keychain_available
    dialog = make_dialog(qtbot, secrets)
    assert "kept in memory for this session only" in dialog.storage_label.text()
    assert dialog.plaintext_check.isVisibleTo(dialog)
    assert "PLAIN TEXT" in dialog.plaintext_check.text()
    dialog.url_edit.setText("http://127.0.0.1:1")
    dialog.key_field.setText(ANON)
    profile = dialog.current_profile
    assert profile is not None
    plaintext = isolated_settings / "secrets-plaintext.json"
    assert not plaintext.exists()
    assert SecretStore(isolated_settings).get(profile.id, API_KEY) == ""  # a new session forgets
    dialog.plaintext_check.click()
    assert "IN PLAIN TEXT" in dialog.storage_label.text()
    assert json.loads(plaintext.read_text())[profile.id][API_KEY] == ANON
    assert plaintext.stat().st_mode & 0o777 == 0o600
    again = SecretStore(isolated_settings, plaintext_opt_in=True)
    assert again.get(profile.id, API_KEY) == ANON
    dialog.plaintext_check.click()
    assert not plaintext.exists()


def test_keychain_errors_fall_back_to_memory(memory_keyring: Any) -> None:
    class Broken(type(memory_keyring)):  # type: ignore[misc]
        def set_password(self, service: str, username: str, password: str) -> None:
            raise keyring.errors.PasswordSetError("locked")

    keyring.set_keyring(Broken())
    secrets = SecretStore(None)
    secrets.set("p", API_KEY, "k")
    assert secrets.get("p", API_KEY) == "k"
    assert "PasswordSetError" in secrets.describe()


def test_join_dialog_validates_and_refuses_conflicts(qtbot: Any) -> None:
    session = FakeController()
    session.join(ChannelOptions("room-1", ack=True))
    dialog = JoinChannelDialog(lambda o: join_conflict(o, session.open_options()))
    qtbot.addWidget(dialog)
    dialog.show()
    ok = dialog.buttons.buttons()[0]
    assert not ok.isEnabled()
    assert "Channel name is required" in dialog.error_label.text()
    qtbot.keyClicks(dialog.name_edit, "room-1")
    assert "already open with different options" in dialog.error_label.text()
    assert "ack off (open tab: on)" in dialog.error_label.text()
    dialog.ack_check.setChecked(True)
    assert "already open in a tab" in dialog.error_label.text()
    dialog.name_edit.setText("room-2")
    dialog.events_edit.setText("chat, Cursor*")
    dialog.presence_edit.setText("me")
    dialog.private_check.setChecked(True)
    assert ok.isEnabled()
    assert dialog.options() == ChannelOptions(
        "room-2", ack=True, private=True, presence_key="me", events=("chat", "cursor*")
    )
