"""supabase-js and realtime-js against ``serve --users`` and ``--signing-key`` (issue #13 §2):
password sign-in, a private channel joined as the signed-in user, refresh pushed to Realtime,
Auth's error for a wrong password, and ES256/RS256 tokens verified against the JWKS."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from interop_helpers import js_client, subscribe
from peers import JS_DIR, PeerPool

from inspector.protocol.server_events import AccessTokenPushed
from inspector.server import RealtimeServer, ServerConfig
from inspector.server.notes import ChannelJoined
from inspector.server.signing import SigningKey

USERS = """
users:
  - email: alice@example.com
    password: alice-password
    user_metadata: {name: Alice}
  - email: mallory@example.com
    password: mallory-password
    role: guest
  - email: bob@example.com
    password: bob-password
"""

# signed-in users (role authenticated) may use team-* channels; the guest role may not; only
# alice may use dm-alice
RULES = """
[[allow]]
channels = ["team-*"]
roles = ["authenticated"]
can = ["read", "write", "presence"]

[[allow]]
channels = ["dm-alice"]
users = ["alice@example.com"]
can = ["all"]
"""

ALICE = {"SUPABASE_EMAIL": "alice@example.com", "SUPABASE_PASSWORD": "alice-password"}


def _config(tmp_path: Path, **extra: object) -> ServerConfig:
    (tmp_path / "users.yaml").write_text(USERS)
    (tmp_path / "rules.toml").write_text(RULES)
    return ServerConfig(
        port=0,
        frame_log_size=5000,
        users=str(tmp_path / "users.yaml"),
        rules=str(tmp_path / "rules.toml"),
        **extra,  # type: ignore[arg-type]
    )


@pytest.fixture(params=["HS256", "ES256"])
def server_config(tmp_path: Path, request: pytest.FixtureRequest) -> ServerConfig:
    return _config(tmp_path, signing_key=request.param)


async def test_supabase_js_program_signs_in_joins_private_channel_and_refreshes(
    server: RealtimeServer, peers: PeerPool
) -> None:
    """An unmodified supabase-js program: signInWithPassword, a private channel joined as the
    user (the rules allow its role), a broadcast received, refreshSession pushed to Realtime."""
    app = await peers.script(
        "js",
        JS_DIR / "signin_app.mjs",
        env={
            "SUPABASE_URL": server.url,
            "SUPABASE_ANON_KEY": server.anon_key,
            "CHANNEL": "team-red",
            **ALICE,
        },
    )
    signed = await app.expect(ev="signed_in")
    assert signed["user"]["email"] == "alice@example.com"
    assert signed["user"]["role"] == "authenticated"
    assert signed["token_type"] == "bearer"
    assert signed["expires_in"] == 3600
    await app.expect(ev="status", status="SUBSCRIBED")
    joined = await server.events.wait_for(
        lambda r: isinstance(r.event, ChannelJoined) and r.event.topic == "realtime:team-red"
    )
    assert joined.socket_id is not None
    assert server.publish("team-red", "hello", {"to": "alice"}, private=True) == 1
    got = await app.expect(ev="received", event="hello")
    assert got["payload"] == {"to": "alice"}

    # a refresh within the same second would sign the same claims (iat, exp) again, as GoTrue
    # would; a minute later the token differs and realtime-js has something to push
    server.auth_api.clock = lambda: time.time() + 60
    mark = server.events.mark()
    await app.send("refresh")
    refreshed = await app.expect(ev="refreshed")
    assert refreshed == {
        "ev": "refreshed",
        "error": None,
        "new_access_token": True,
        "new_refresh_token": True,
    }
    pushed = await server.events.wait_for(
        lambda r: isinstance(r.event, AccessTokenPushed) and r.event.name == "team-red",
        after=mark,
    )
    assert isinstance(pushed.event, AccessTokenPushed)
    claims = server.auth.authenticate(pushed.event.token, time.time())
    assert not hasattr(claims, "code"), claims  # the new token verifies
    assert claims.claims["email"] == "alice@example.com"  # type: ignore[union-attr]
    # the channel keeps working with the new token
    assert server.publish("team-red", "after-refresh", {"n": 2}, private=True) == 1
    await app.expect(ev="received", event="after-refresh")
    await app.send("exit")
    await app.expect(ev="bye")
    assert await app.proc.wait() == 0


async def test_wrong_password_is_supabase_js_auth_api_error(
    server: RealtimeServer, peers: PeerPool
) -> None:
    js = await js_client(peers, server, lib="supabase-js")
    result = await js.call("signIn", client="c", email="alice@example.com", password="wrong")
    assert result == {
        "error": {
            "name": "AuthApiError",
            "message": "Invalid login credentials",
            "status": 400,
            "code": "invalid_credentials",
        }
    }
    result = await js.call("signIn", client="c", email="nobody@example.com", password="x")
    assert result["error"]["code"] == "invalid_credentials"
    # then the right one works, and getUser reads /auth/v1/user with the session
    result = await js.call(
        "signIn", client="c", email="ALICE@example.com", password="alice-password"
    )
    assert result["user"]["email"] == "alice@example.com"
    user = await js.call("getUser", client="c")
    assert user["user"]["email"] == "alice@example.com"
    assert user["user"]["user_metadata"] == {"name": "Alice"}
    refreshed = await js.call("refreshSession", client="c")
    assert refreshed["user"]["email"] == "alice@example.com"
    assert await js.call("signOut", client="c") == {"error": None}  # POST /logout answered 204
    assert server.auth_api.sessions_of(result["user"]["id"]) == 0


async def test_signed_in_guest_is_refused_by_the_rules(
    server: RealtimeServer, peers: PeerPool
) -> None:
    js = await js_client(peers, server, lib="supabase-js")
    result = await js.call(
        "signIn", client="c", email="mallory@example.com", password="mallory-password"
    )
    assert result["user"]["role"] == "guest"
    status = await subscribe(
        js, server, "g", "team-red", config={"private": True}, status="CHANNEL_ERROR"
    )
    assert status["error"] == (
        "Unauthorized: You do not have permissions to read from this Channel topic: team-red"
    )


@pytest.mark.parametrize("alg", ["ES256", "RS256"])
async def test_asymmetric_user_token_verified_by_jwks_and_foreign_key_refused(
    tmp_path: Path, peers: PeerPool, alg: str
) -> None:
    async with RealtimeServer(_config(tmp_path, signing_key=alg)) as server:
        assert server.signing_key.alg == alg
        js = await js_client(peers, server, lib="supabase-js")
        result = await js.call(
            "signIn", client="c", email="alice@example.com", password="alice-password"
        )
        assert "error" not in result
        await subscribe(js, server, "a", "team-red", config={"private": True})

        # realtime-js with a token of another key pair: a kid the JWKS does not have ...
        other = SigningKey.generate(alg)
        claims = {"role": "authenticated", "exp": int(time.time()) + 600, "sub": "x"}
        await js_client(js, server, "rt")
        await js.call("setAuth", client="rt", token=other.sign(claims))
        status = await subscribe(js, server, "b", "team-red", client="rt", status="CHANNEL_ERROR")
        assert status["error"] == (
            f'JwtSignerError: Failed to generate JWT signer for key ID (kid) "{other.kid}", '
            "check your JWT secret or JWKS configuration"
        )
        # ... and one claiming the server's kid but signed by the other key
        forged = SigningKey(alg, private_key=other.private_key, kid=server.signing_key.kid)
        await js_client(js, server, "rt2")
        await js.call("setAuth", client="rt2", token=forged.sign(claims))
        status = await subscribe(js, server, "d", "team-red", client="rt2", status="CHANNEL_ERROR")
        assert status["error"] == "JwtSignatureError: Failed to validate JWT signature"


async def test_rules_for_one_user_let_her_in_and_keep_others_out(
    server: RealtimeServer, peers: PeerPool
) -> None:
    """The rules file names a user: she joins her channel, another signed-in user with the same
    role is refused (an RLS policy on auth.uid() / auth.email())."""
    js = await js_client(peers, server, "alice", lib="supabase-js")
    await js.call("signIn", client="alice", email="alice@example.com", password="alice-password")
    await subscribe(js, server, "a", "dm-alice", client="alice", config={"private": True})
    await js_client(js, server, "bob", lib="supabase-js")
    result = await js.call("signIn", client="bob", email="bob@example.com", password="bob-password")
    assert result["user"]["role"] == "authenticated"
    status = await subscribe(
        js, server, "b", "dm-alice", client="bob", config={"private": True}, status="CHANNEL_ERROR"
    )
    assert status["error"] == (
        "Unauthorized: You do not have permissions to read from this Channel topic: dm-alice"
    )
