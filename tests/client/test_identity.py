"""Identities (issue #13 §1): the five kinds, their validation, and sessions that sign in, mint
and refresh themselves against the local server (``serve --users``, short token lifetimes),
with the server checking each token and receiving each refresh (§4.4)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest

from inspector.client import ChannelConfig, ClientSettings, InspectorError, RealtimeClient
from inspector.client.auth import SignInFailed, sign_in_with_password
from inspector.client.identity import (
    IdentityError,
    IdentitySession,
    IdentitySpec,
    InvalidIdentity,
    MintSpec,
    mint_claims,
    refresh_delay,
)
from inspector.protocol import jwt
from inspector.protocol.server_events import AccessTokenPushed
from inspector.server import RealtimeServer, Rules, ServerConfig

TIMEOUT = 10.0
USERS = """
users:
  - email: alice@example.com
    password: alice-password-123
"""
PASSWORD = "alice-password-123"


@pytest.fixture
def server_config(tmp_path: Path) -> ServerConfig:
    """Private ``members-*`` for authenticated users, ``staff-*`` for service_role; issued
    tokens live 3 s, so a refresh comes within the test."""
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


def base(server: RealtimeServer) -> ClientSettings:
    return ClientSettings(server.url, server.anon_key)


# ------------------------------------------------------------------ specs (unit)


def test_kinds_and_validation_messages() -> None:
    assert IdentitySpec("guest").kind == "anon"
    assert IdentitySpec("admin", key="sb_secret_x").kind == "key"
    assert IdentitySpec("t", token=" a.b.c ", refresh_token="r").token == "a.b.c"
    assert IdentitySpec("u", email="a@b", password="pw").kind == "password"
    assert IdentitySpec("m", mint=MintSpec("s" * 32)).kind == "minted"
    assert IdentitySpec("m", mint=MintSpec("s" * 32)).refreshable
    assert not IdentitySpec("t", token="x").refreshable
    assert IdentitySpec("t", token="x", refresh_token="r").refreshable
    cases: list[tuple[dict[str, Any], str]] = [
        ({"name": " "}, "an identity needs a name"),
        ({"name": "a", "key": ""}, "identity 'a': the API key is empty"),
        ({"name": "a", "refresh_token": "r"}, "a refresh token goes with a pasted access token"),
        ({"name": "a", "email": "a@b"}, "needs an email and a password (the password is missing)"),
        ({"name": "a", "password": "p"}, "(the email is missing)"),
        (
            {"name": "a", "key": "k", "token": "t"},
            "identity 'a' is one kind of user, not several: it has an API key and an access token",
        ),
    ]
    for kwargs, message in cases:
        with pytest.raises(InvalidIdentity) as info:
            IdentitySpec(**kwargs)
        assert message in info.value.message
    with pytest.raises(InvalidIdentity, match="needs the project's JWT secret"):
        MintSpec("")
    with pytest.raises(InvalidIdentity, match="needs a role"):
        MintSpec("s", role=" ")
    with pytest.raises(InvalidIdentity, match="lifetime"):
        MintSpec("s", lifetime_s=0)
    assert isinstance(InvalidIdentity("x"), InspectorError)


def test_secrets_never_in_repr() -> None:
    specs = [
        IdentitySpec("k", key="sb_secret_KEYVALUE"),
        IdentitySpec("t", token="TOKENVALUE", refresh_token="REFRESHVALUE"),
        IdentitySpec("p", email="a@b", password="PASSWORDVALUE"),
        IdentitySpec("m", mint=MintSpec("SECRETVALUE", sub="u1")),
    ]
    for spec in specs:
        text = repr(spec) + repr(IdentitySession(spec))
        for secret in ("KEYVALUE", "TOKENVALUE", "REFRESHVALUE", "PASSWORDVALUE", "SECRETVALUE"):
            assert secret not in text


def test_refresh_delay_and_mint_claims() -> None:
    assert refresh_delay(3600) == 3540  # at most a minute early
    assert refresh_delay(100) == 80  # a fifth of the lifetime
    assert refresh_delay(0) == refresh_delay(-5) == 0
    claims = mint_claims(
        role="authenticated",
        now=1000.4,
        lifetime_s=60,
        sub="u1",
        email="",
        extra={"aal": "aal2", "n": 3},
        session_id="s1",
    )
    assert claims == {
        "aud": "authenticated",
        "exp": 1060,
        "iat": 1000,
        "role": "authenticated",
        "aal": "aal2",
        "session_id": "s1",
        "is_anonymous": False,
        "sub": "u1",
        "n": 3,
    }


# ------------------------------------------------------------------ against the server


async def joined(settings: ClientSettings, name: str) -> RealtimeClient:
    client = RealtimeClient(settings)
    await client.connect()
    await client.join(ChannelConfig(name, private=True))
    return client


async def test_password_identity_signs_in_refreshes_and_pushes_the_token(
    server: RealtimeServer,
) -> None:
    session = IdentitySession(IdentitySpec("alice", email="alice@example.com", password=PASSWORD))
    assert session.status == "not started"
    settings = await session.start(base(server))
    assert settings.api_key == server.anon_key
    assert settings.access_token == session.access_token
    assert session.claims["email"] == "alice@example.com"
    assert session.header["alg"] == "HS256"
    assert session.status.startswith("signed in as alice@example.com, expires in ")
    first = session.access_token
    client = await joined(settings, "members-1")
    tokens: list[str] = []
    got = asyncio.Event()

    async def push(token: str) -> None:
        tokens.append(token)
        await client.set_access_token(token)
        got.set()

    unsubscribe = session.on_token(push)
    mark = server.events.mark()
    task = asyncio.ensure_future(session.keep_fresh())
    try:
        await asyncio.wait_for(got.wait(), TIMEOUT)  # before the 3-s token expires
        pushed = await server.events.wait_for(
            lambda r: isinstance(r.event, AccessTokenPushed), after=mark, timeout=TIMEOUT
        )
        assert pushed.event.token == tokens[0] != first  # type: ignore[attr-defined]
        assert server.auth.authenticate(tokens[0], time.time()).role == "authenticated"  # type: ignore[union-attr]
        assert session.refreshes == 1
        # Past the first token's expiry the channel is still joined (the server took the new one).
        got.clear()
        await asyncio.wait_for(got.wait(), TIMEOUT)
        assert client.channels["realtime:members-1"].state.value == "joined"
        unsubscribe()
        manual = await session.refresh_now()
        assert manual == session.access_token
        assert session.refreshes == 3
    finally:
        await session.close()
        await asyncio.wait_for(task, TIMEOUT)  # close ends the loop
        await client.close()
    assert session.status == "closed"


async def test_wrong_password_gives_the_servers_reason(server: RealtimeServer) -> None:
    session = IdentitySession(IdentitySpec("a", email="alice@example.com", password="nope-123"))
    with pytest.raises(SignInFailed) as info:
        await session.start(base(server))
    assert info.value.message == "sign-in refused (HTTP 400): Invalid login credentials"
    socket_only = ClientSettings(server.url + "/socket", server.anon_key)
    with pytest.raises(IdentityError, match="use a project URL"):
        await session.start(socket_only)


async def test_minted_identity_joins_and_remints(server: RealtimeServer) -> None:
    spec = IdentitySpec(
        "bob",
        mint=MintSpec(
            server.config.jwt_secret,
            sub="bob-id",
            email="bob@example.com",
            claims={"app_metadata": {"team": "a"}},
            lifetime_s=2,
        ),
    )
    session = IdentitySession(spec)
    settings = await session.start(base(server))
    claims = session.claims
    assert (claims["sub"], claims["email"], claims["app_metadata"]) == (
        "bob-id",
        "bob@example.com",
        {"team": "a"},
    )
    assert claims["exp"] - claims["iat"] == 2
    assert session.status.startswith("minted authenticated for bob@example.com, expires in ")
    client = await joined(settings, "members-2")
    try:
        mark = server.events.mark()
        session.on_token(client.set_access_token)
        task = asyncio.ensure_future(session.keep_fresh())
        pushed = await server.events.wait_for(
            lambda r: isinstance(r.event, AccessTokenPushed), after=mark, timeout=TIMEOUT
        )
        new = jwt.peek(pushed.event.token)  # type: ignore[attr-defined]
        assert new is not None
        assert new.claims["session_id"] == claims["session_id"]
        assert pushed.event.token == session.access_token  # type: ignore[attr-defined]
        # a member channel only: staff is refused with the server's reason
        with pytest.raises(InspectorError, match="permissions"):
            await client.join(ChannelConfig("staff-1", private=True))
    finally:
        await session.close()
        await asyncio.wait_for(task, TIMEOUT)
        await client.close()


async def test_key_anon_and_pasted_token_identities(server: RealtimeServer) -> None:
    admin = IdentitySession(IdentitySpec("admin", key=server.service_role_key))
    settings = await admin.start(base(server))
    assert settings.api_key == settings.access_token == server.service_role_key
    assert admin.status.startswith("API key (service_role), expires in ")
    client = await joined(settings, "staff-1")
    await client.close()
    opaque = IdentitySession(IdentitySpec("sb", key="sb_secret_abc"))
    assert (await opaque.start(base(server))).access_token is None

    with_token = ClientSettings(server.url, server.anon_key, access_token=server.service_role_key)
    guest = IdentitySession(IdentitySpec("guest"))
    settings = await guest.start(with_token)
    assert (settings.api_key, settings.access_token) == (server.anon_key, None)
    assert guest.status == "the profile's API key, no user token"
    with pytest.raises(IdentityError, match="uses the profile's key"):
        await guest.refresh_now()
    await asyncio.wait_for(guest.keep_fresh(), TIMEOUT)  # nothing to do: returns

    auth = base(server).endpoints().auth_base
    assert auth is not None
    signed = await sign_in_with_password(auth, server.anon_key, "alice@example.com", PASSWORD)
    pasted = IdentitySession(IdentitySpec("pasted", token=signed.access_token))
    await pasted.start(base(server))
    assert pasted.status.startswith("pasted token (authenticated) for alice@example.com")
    with pytest.raises(IdentityError, match="without a refresh token: it cannot be refreshed"):
        await pasted.refresh_now()
    refreshable = IdentitySession(
        IdentitySpec("r", token=signed.access_token, refresh_token=signed.refresh_token)
    )
    await refreshable.start(base(server))
    new = await refreshable.refresh_now()
    assert new == refreshable.access_token
    assert refreshable.refreshes == 1
    assert refreshable._refresh_token != signed.refresh_token  # Auth rotates it
    assert server.auth.authenticate(new, time.time()).role == "authenticated"  # type: ignore[union-attr]


async def test_a_failed_refresh_is_reported_and_retried(server: RealtimeServer) -> None:
    token = jwt.sign(
        mint_claims(role="authenticated", now=time.time(), lifetime_s=1, sub="x"),
        server.config.jwt_secret,
    )
    session = IdentitySession(IdentitySpec("t", token=token, refresh_token="not-a-real-one"))
    await session.start(base(server))
    errors: asyncio.Queue[tuple[InspectorError, float]] = asyncio.Queue()
    session.on_error(lambda exc, retry_in: errors.put_nowait((exc, retry_in)))
    task = asyncio.ensure_future(session.keep_fresh())
    try:
        exc, retry_in = await asyncio.wait_for(errors.get(), TIMEOUT)
        assert isinstance(exc, SignInFailed)
        assert exc.status == 400
        assert retry_in == 1.0
        assert session.status.startswith(f"refresh failed: {exc.message}, retrying in ")
        _, retry_in = await asyncio.wait_for(errors.get(), TIMEOUT)
        assert retry_in == 2.0
    finally:
        await session.close()
        await asyncio.wait_for(task, TIMEOUT)
    assert "not-a-real-one" not in repr(session)


async def test_a_password_identity_signs_in_again_when_its_refresh_token_is_refused(
    server: RealtimeServer,
) -> None:
    session = IdentitySession(IdentitySpec("a", email="alice@example.com", password=PASSWORD))
    await session.start(base(server))
    session._refresh_token = "revoked"  # as if Auth had retired it
    new = await session.refresh_now()
    assert server.auth.authenticate(new, time.time()).role == "authenticated"  # type: ignore[union-attr]
    await session.close()
