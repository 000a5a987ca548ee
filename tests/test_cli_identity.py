"""``listen``/``send --profile NAME --identity NAME`` (issue #13 §1, CLI): the window's saved
profiles and identities (settings in ``$RI_CONFIG_DIR``, secrets in the opted-in plain-text
file, no keychain), against the local server with users, private-channel rules and short
token lifetimes."""

from __future__ import annotations

import asyncio
import json
import signal
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from cli_helpers import TIMEOUT, cli_env, read_until, run, start
from keyring.backends import fail

from inspector.keychain import API_KEY, SecretStore
from inspector.protocol.server_events import AccessTokenPushed
from inspector.server import RealtimeServer, Rules, ServerConfig
from inspector.store import Profile, ProfileBook
from inspector.store.profiles.identities import Identity

USERS = """
users:
  - email: alice@example.com
    password: alice-password-123
"""
PASSWORD = "alice-password-123"
NO_KEYCHAIN = "keyring.backends.fail.Keyring"


@pytest.fixture
def server_config(tmp_path: Path) -> ServerConfig:
    users = tmp_path / "users.yaml"
    users.write_text(USERS)
    rules = Rules.from_data(
        {
            "allow": [
                {"channels": ["members-*"], "roles": ["authenticated"], "can": ["all"]},
                {"channels": ["staff-*"], "roles": ["service_role"], "can": ["all"]},
            ]
        }
    )
    return ServerConfig(port=0, rules=rules, users=str(users), jwt_expiry_s=3)


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
    """The window's settings with one profile ("Local") and four identities, one of which
    ("ghost") lost its password; returns the environment of the CLI."""
    from inspector.ui.settings import AppSettings

    config = tmp_path / "config"
    monkeypatch.setenv("RI_CONFIG_DIR", str(config))
    identities = (
        Identity("i1", "alice", "password", email="alice@example.com"),
        Identity("i2", "bob", "minted", sub="bob-id", email="bob@example.com", lifetime_s=2),
        Identity("i3", "admin", "key"),
        Identity("i4", "ghost", "password", email="ghost@example.com"),
    )
    profile = Profile("p1", "Local", server.url, identities=identities)
    other = Profile("p2", "Staging", "https://abcdefghijklmnopqrst.supabase.co")
    settings = AppSettings()
    settings.save_profiles(ProfileBook([profile, other]))
    settings.set_last_profile_id("p1")
    settings.set_plaintext_opt_in(True)
    settings.sync()
    secrets = SecretStore(settings.directory(), plaintext_opt_in=True)
    secrets.stage(profile.id, API_KEY, server.anon_key)
    secrets.stage_identity(profile.id, "i1", "password", PASSWORD)
    secrets.stage_identity(profile.id, "i2", "jwt_secret", server.config.jwt_secret)
    secrets.stage_identity(profile.id, "i3", "key", server.service_role_key)
    secrets.commit(profile.id)
    assert "alice-password" not in (config / "realtime-inspector.ini").read_text()
    return cli_env(RI_CONFIG_DIR=str(config), PYTHON_KEYRING_BACKEND=NO_KEYCHAIN)


def send(channel: str, *who: str) -> tuple[str, ...]:
    return ("send", "--channel", channel, "--private", "--event", "hi", "--payload", "{}", *who)


async def test_send_as_saved_identities(server: RealtimeServer, saved: dict[str, str]) -> None:
    code, _, err = await run(*send("members-1", "--profile", "Local"), env=saved)
    assert code == 1  # the profile's anon key may not join a member channel
    assert "You do not have permissions" in err
    for who, channel in (("alice", "members-1"), ("bob", "members-2"), ("admin", "staff-1")):
        code, lines, err = await run(*send(channel, "--identity", who), env=saved)  # last profile
        assert (code, err) == (0, ""), who
        assert lines[-1]["summary"]["sent"] == 1
    code, _, err = await run(*send("staff-2", "--profile", "local", "--identity", "BOB"), env=saved)
    assert code == 1  # a minted user is not staff: the server's reason
    assert "You do not have permissions" in err


async def test_clear_messages_for_unknown_names_and_missing_secrets(
    server: RealtimeServer, saved: dict[str, str]
) -> None:
    cases = [
        (
            ("--profile", "Prod"),
            "no saved profile named 'Prod'; saved profiles: 'Local', 'Staging'",
        ),
        (
            ("--identity", "carol"),
            "profile 'Local' has no identity named 'carol'; its identities: 'alice', 'bob', "
            "'admin', 'ghost'",
        ),
        (
            ("--identity", "ghost"),
            "identity 'ghost' of profile 'Local' has no password in the plain-text secrets file",
        ),
        (("--profile", "Staging"), "profile 'Staging' has no API key in the plain-text"),
        (("--identity", "alice", "--url", server.url), "--url and --profile/--identity both"),
    ]
    for who, message in cases:
        code, _, err = await run(*send("members-1", *who), env=saved)
        assert code == 2, err
        assert message in err
    empty = cli_env(RI_CONFIG_DIR=str(Path(saved["RI_CONFIG_DIR"]) / "nothing"))
    code, _, err = await run(*send("members-1", "--identity", "alice"), env=empty)
    assert code == 2
    assert "no saved profiles in " in err


async def test_listen_as_a_minted_identity_refreshes_it(
    server: RealtimeServer, saved: dict[str, str]
) -> None:
    mark = server.events.mark()
    proc = await start("listen", "--channel", "members-3", "--private", "--identity", "bob",
                       env=saved)  # fmt: skip
    notes: list[str] = []
    try:
        await read_until(proc, lambda line: line.get("event") == "joined")
        assert proc.stderr is not None
        while sum("access token refreshed" in n for n in notes) < 2:  # past the first expiry
            raw = await asyncio.wait_for(proc.stderr.readline(), TIMEOUT)
            assert raw, f"listen ended; stderr: {notes}"
            notes.append(raw.decode())
        await server.events.wait_for(
            lambda r: isinstance(r.event, AccessTokenPushed), after=mark, timeout=TIMEOUT
        )
        code, _, err = await run(*send("members-3", "--identity", "alice"), env=saved)
        assert (code, err) == (0, "")
        [line] = await read_until(proc, lambda line: line.get("kind") == "broadcast")
        assert line["event"] == "hi"
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGINT)
        out, err = await asyncio.wait_for(proc.communicate(), TIMEOUT)
    text = out.decode() + err.decode() + "".join(notes)
    assert server.config.jwt_secret not in text
    assert all(json.loads(x) for x in out.decode().splitlines() if x.strip())


async def test_a_refused_sign_in_names_the_identity(
    server: RealtimeServer, saved: dict[str, str]
) -> None:
    """QA: a saved identity whose stored password Auth refuses said only "sign-in refused
    (HTTP 400): …", without saying which identity to fix."""
    from inspector.ui.settings import AppSettings

    secrets = SecretStore(AppSettings().directory(), plaintext_opt_in=True)
    secrets.stage_identity("p1", "i1", "password", "not-the-password")
    secrets.commit("p1")
    code, _, err = await run(*send("members-1", "--identity", "alice"), env=saved)
    assert code == 1, err
    assert "identity 'alice': " in err
    assert "not-the-password" not in err
