"""Identity secrets in the keychain (issue #13 §1): under identity-scoped names, committed with
the profile, deleted with the identity or the profile; the opted-in plain-text file keeps them
too. The store is Qt-free (``inspector.keychain``), the window's name re-exports it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import keyring
import pytest
from keyring.backends import fail

from inspector import keychain
from inspector.keychain import API_KEY, SERVICE, MissingSecret, SecretStore, identity_spec
from inspector.store import Profile
from inspector.store.profiles.identities import Identity
from inspector.ui.profiles import secrets as window_secrets


def test_identity_secrets_live_under_scoped_names_and_go_with_the_identity(
    memory_keyring: Any,
) -> None:
    assert window_secrets.SecretStore is SecretStore
    store = SecretStore(None)
    store.stage(("p1"), API_KEY, "anon-key")
    store.stage_identity("p1", "i1", "password", "pw-1")
    store.stage_identity("p1", "i2", "jwt_secret", "s" * 32)
    assert memory_keyring.store == {}  # staged only
    store.commit("p1")
    assert memory_keyring.store == {
        (SERVICE, "p1:apikey"): "anon-key",
        (SERVICE, "p1:identity.i1.password"): "pw-1",
        (SERVICE, "p1:identity.i2.jwt_secret"): "s" * 32,
    }
    fresh = SecretStore(None)
    assert fresh.identity_secret("p1", "i1", "password") == "pw-1"
    store.stage_identity("p1", "i2", "jwt_secret", "")  # emptied in the form
    store.commit("p1")
    assert (SERVICE, "p1:identity.i2.jwt_secret") not in memory_keyring.store
    store.delete_identity("p1", "i1")
    assert (SERVICE, "p1:identity.i1.password") not in memory_keyring.store
    store.stage_identity("p1", "i3", "token", "tok")
    store.commit("p1")
    store.delete_profile("p1", ["i3"])
    assert memory_keyring.store == {}


def test_the_plaintext_opt_in_file_keeps_identity_secrets(isolated_settings: Path) -> None:
    keyring.set_keyring(fail.Keyring())
    store = SecretStore(isolated_settings, plaintext_opt_in=True)
    store.stage_identity("p1", "i1", "refresh_token", "r-1")
    store.commit("p1")
    data = json.loads((isolated_settings / keychain.PLAINTEXT_FILE).read_text())
    assert data == {"p1": {"identity.i1.refresh_token": "r-1"}}
    again = SecretStore(isolated_settings, plaintext_opt_in=True)
    assert again.identity_secret("p1", "i1", "refresh_token") == "r-1"
    again.delete_profile("p1", ["i1"])
    assert json.loads((isolated_settings / keychain.PLAINTEXT_FILE).read_text()) == {}


def test_identity_spec_reads_the_secrets_or_says_which_is_missing(memory_keyring: Any) -> None:
    minted = Identity("i2", "bob", "minted", sub="b", claims={"aal": "aal2"}, lifetime_s=60)
    pasted = Identity("i3", "pasted", "token", has_refresh_token=True)
    profile = Profile("p1", "Local", "http://x", identities=(minted, pasted))
    store = SecretStore(None)
    store.stage_identity("p1", "i2", "jwt_secret", "s" * 32)
    store.stage_identity("p1", "i3", "token", "t.t.t")
    spec = identity_spec(store, profile, minted)
    assert spec.mint is not None
    assert (spec.name, spec.mint.sub, dict(spec.mint.claims)) == ("bob", "b", {"aal": "aal2"})
    spec = identity_spec(store, profile, pasted)
    assert (spec.token, spec.refresh_token) == ("t.t.t", None)  # the refresh token is optional
    with pytest.raises(MissingSecret) as info:
        identity_spec(store, profile, Identity("i4", "alice", "password", email="a@b"))
    assert info.value.message.startswith(
        "identity 'alice' of profile 'Local' has no password in the system keychain"
    )
