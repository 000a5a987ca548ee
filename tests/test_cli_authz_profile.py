"""``realtime-inspector authz --profile NAME --identity NAME ...``: identities saved in the
window (a password sign-in against ``serve --users``, a minted token, a service_role key as the
observer) measured against the rules file; the matrix is the one the rules imply, and a name
neither the file nor the profile has exits 2 with the names that exist."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from authz_helpers import BOB, as_table, implied, write_rules
from cli_helpers import cli_env, run
from keyring.backends import fail

from inspector.keychain import API_KEY, SecretStore
from inspector.server import RealtimeServer, ServerConfig
from inspector.server.rules import Rules
from inspector.store import Profile, ProfileBook
from inspector.store.authz import Cell
from inspector.store.profiles.identities import Identity

USERS = """
users:
  - email: alice@example.com
    password: alice-password-123
"""
CHANNELS = [("dm-alice", True), ("inbox", True)]


@pytest.fixture
def server_config(tmp_path: Path) -> ServerConfig:
    users = tmp_path / "users.yaml"
    users.write_text(USERS)
    return ServerConfig(port=0, rules=str(write_rules(tmp_path)), users=str(users))


@pytest.fixture
def no_keychain() -> Iterator[None]:
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(previous)


@pytest.fixture
def saved(
    server: RealtimeServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_keychain: None
) -> dict[str, str]:
    from inspector.ui.settings import AppSettings

    config = tmp_path / "config"
    monkeypatch.setenv("RI_CONFIG_DIR", str(config))
    identities = (
        Identity("i1", "alice", "password", email="alice@example.com"),
        Identity("i2", "bob", "minted", sub=BOB["sub"], email=BOB["email"]),
        Identity("i3", "admin", "key"),
    )
    profile = Profile("p1", "Local", server.url, identities=identities)
    settings = AppSettings()
    settings.save_profiles(ProfileBook([profile]))
    settings.set_last_profile_id("p1")
    settings.set_plaintext_opt_in(True)
    settings.sync()
    secrets = SecretStore(settings.directory(), plaintext_opt_in=True)
    secrets.stage(profile.id, API_KEY, server.anon_key)
    secrets.stage_identity(profile.id, "i1", "password", "alice-password-123")
    secrets.stage_identity(profile.id, "i2", "jwt_secret", server.config.jwt_secret)
    secrets.stage_identity(profile.id, "i3", "key", server.service_role_key)
    secrets.commit(profile.id)
    return cli_env(RI_CONFIG_DIR=str(config), PYTHON_KEYRING_BACKEND=fail.__name__ + ".Keyring")


async def test_saved_identities_give_the_matrix_the_rules_imply(
    server: RealtimeServer, server_config: ServerConfig, saved: dict[str, str]
) -> None:
    rules = server_config.load_rules()
    assert isinstance(rules, Rules)
    args = ["authz", "--profile", "Local", "--identity", "alice", "--identity", "bob"]
    args += ["--observer", "admin", "--wait", "0.5", "--json"]
    for name, _private in CHANNELS:
        args += ["--private-channel", name]
    code, lines, err = await run(*args, env=saved)
    assert code == 0, err
    cells = [Cell.from_dict(c) for c in lines[0]["cells"]]
    alice = {"role": "authenticated", "email": "alice@example.com"}
    want = {
        (n, ch, p, cap): v
        for n, claims in (("alice", alice), ("bob", BOB))
        for ch, p in CHANNELS
        for cap, v in implied(rules, claims, ch, p).items()
    }
    assert as_table(cells) == want
    assert "alice-password-123" not in err + str(lines)


async def test_unknown_saved_identity_exits_2(saved: dict[str, str]) -> None:
    code, _, err = await run("authz", "--identity", "carol", "--channel", "x", "--json", env=saved)
    assert code == 2
    assert "profile 'Local' has no identity named 'carol'; its identities: 'alice'" in err
