"""``serve --users``: Supabase Auth's password grant, refresh_token grant and ``GET /user`` over
real HTTP (httpx), with GoTrue's shapes, statuses and texts, bad input included (issue #13 §2)."""

from __future__ import annotations

import re
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from inspector.protocol.jwt import peek, sign
from inspector.server import RealtimeServer, ServerConfig
from inspector.server.signing import SigningKey

USERS = """
users:
  - email: alice@example.com
    password: alice-password
    user_metadata: {name: Alice}
    app_metadata: {plan: pro}
  - email: carol@example.com
    password: carol-password
    role: support
    phone: "+1 555 0100"
    id: 3f0c5b8e-1d2a-4b6c-8e9f-0a1b2c3d4e5f
  - email: dave@example.com
    password: dave-password
    email_confirmed: false
"""

V2024 = {"X-Supabase-Api-Version": "2024-01-01"}


@pytest.fixture(params=["HS256", "ES256"])
def server_config(tmp_path: Path, request: pytest.FixtureRequest) -> ServerConfig:
    users = tmp_path / "users.yaml"
    users.write_text(USERS)
    return ServerConfig(port=0, users=str(users), signing_key=request.param)


async def _post(
    server: RealtimeServer,
    query: str,
    body: Any = None,
    *,
    content: bytes | None = None,
    apikey: str | None = "anon",
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    h = dict(headers or {})
    if apikey is not None:
        h["apikey"] = server.anon_key if apikey == "anon" else apikey
    async with httpx.AsyncClient(timeout=5) as http:
        if content is not None:
            return await http.post(f"{server.url}/auth/v1/token{query}", content=content, headers=h)
        return await http.post(f"{server.url}/auth/v1/token{query}", json=body, headers=h)


async def _sign_in(server: RealtimeServer, email: str = "alice@example.com") -> dict[str, Any]:
    password = email.split("@")[0] + "-password"
    r = await _post(server, "?grant_type=password", {"email": email, "password": password})
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def _user(server: RealtimeServer, token: str | None, **headers: str) -> httpx.Response:
    h = {"apikey": server.anon_key, **headers}
    if token is not None:
        h["Authorization"] = f"Bearer {token}"
    async with httpx.AsyncClient(timeout=5) as http:
        return await http.get(f"{server.url}/auth/v1/user", headers=h)


async def test_password_grant_answers_the_session_shape(server: RealtimeServer) -> None:
    before = int(time.time())
    body = await _sign_in(server)
    assert list(body) == [
        "access_token",
        "token_type",
        "expires_in",
        "expires_at",
        "refresh_token",
        "user",
    ]
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 3600
    assert re.fullmatch(r"[a-z0-9]{12}", body["refresh_token"])
    token = peek(body["access_token"])
    assert token is not None
    claims = token.claims
    user = body["user"]
    assert body["expires_at"] == claims["exp"] == claims["iat"] + 3600
    assert before <= claims["iat"] <= time.time()
    assert claims["iss"] == server.url + "/auth/v1"
    assert claims["aud"] == "authenticated"
    assert claims["sub"] == user["id"] == str(uuid.UUID(user["id"]))
    assert claims["email"] == "alice@example.com"
    assert claims["phone"] == ""
    assert claims["role"] == "authenticated"
    assert claims["aal"] == "aal1"
    assert claims["amr"] == [{"method": "password", "timestamp": claims["iat"]}]
    assert claims["is_anonymous"] is False
    assert claims["user_metadata"] == {"name": "Alice"}
    assert claims["app_metadata"] == {"provider": "email", "providers": ["email"], "plan": "pro"}
    uuid.UUID(claims["session_id"])
    if server.signing_key.asymmetric:
        assert token.header == {"alg": "ES256", "kid": server.signing_key.kid, "typ": "JWT"}
    else:
        assert token.header == {"alg": "HS256", "typ": "JWT"}
    assert user["aud"] == "authenticated"
    assert user["role"] == "authenticated"
    assert user["email"] == "alice@example.com"
    assert user["is_anonymous"] is False
    assert user["identities"][0]["provider"] == "email"
    assert user["identities"][0]["identity_data"]["sub"] == user["id"]
    for key in ("email_confirmed_at", "confirmed_at", "last_sign_in_at", "created_at"):
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z", user[key]), key
    # the token is accepted by the Realtime side as the user's
    identity = server.auth.authenticate(body["access_token"], time.time())
    assert getattr(identity, "role", None) == "authenticated"


async def test_the_same_email_gets_the_same_id_and_a_given_id_is_kept(
    server: RealtimeServer,
) -> None:
    first = await _sign_in(server)
    again = await _sign_in(server)
    assert first["user"]["id"] == again["user"]["id"]
    assert first["refresh_token"] != again["refresh_token"]  # a new session each time
    carol = await _sign_in(server, "carol@example.com")
    assert carol["user"]["id"] == "3f0c5b8e-1d2a-4b6c-8e9f-0a1b2c3d4e5f"
    assert carol["user"]["role"] == "support"
    assert carol["user"]["phone"] == "15550100"
    by_phone = await _post(
        server, "?grant_type=password", {"phone": "+15550100", "password": "carol-password"}
    )
    assert by_phone.status_code == 200
    assert by_phone.json()["user"]["id"] == carol["user"]["id"]


@pytest.mark.parametrize(
    ("body", "status", "code", "message"),
    [
        (
            {"email": "alice@example.com", "password": "nope"},
            400,
            "invalid_credentials",
            "Invalid login credentials",
        ),
        ({"email": "x@example.com", "password": "p"}, 400, "invalid_credentials", None),
        ({"password": "p"}, 400, "validation_failed", "missing email or phone"),
        (
            {"email": "alice@example.com", "phone": "1", "password": "p"},
            400,
            "validation_failed",
            "Only an email address or phone number should be provided on login.",
        ),
        (
            {"email": "dave@example.com", "password": "dave-password"},
            400,
            "email_not_confirmed",
            "Email not confirmed",
        ),
        (
            {"email": 5, "password": "p"},
            400,
            "bad_json",
            "Could not parse request body as JSON: json: cannot unmarshal number into Go struct "
            "field PasswordGrantParams.email of type string",
        ),
        (
            [1],
            400,
            "bad_json",
            "Could not parse request body as JSON: json: cannot unmarshal array into Go value of "
            "type api.PasswordGrantParams",
        ),
    ],
)
async def test_password_grant_errors_in_both_shapes(
    server: RealtimeServer, body: Any, status: int, code: str, message: str | None
) -> None:
    message = message or "Invalid login credentials"
    legacy = await _post(server, "?grant_type=password", body)
    assert legacy.status_code == status
    assert legacy.json() == {"code": status, "error_code": code, "msg": message}
    assert legacy.headers["x-sb-error-code"] == code
    assert "X-Supabase-Api-Version" not in legacy.headers
    current = await _post(server, "?grant_type=password", body, headers=V2024)
    assert current.status_code == status
    assert current.json() == {"code": code, "message": message}
    assert current.headers["X-Supabase-Api-Version"] == "2024-01-01"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "Could not parse request body as JSON: unexpected end of JSON input"),
        (b'{"email": "a@b", ', None),
        (b"\xff\xfe", None),
    ],
)
async def test_malformed_json_is_bad_json(
    server: RealtimeServer, content: bytes, message: str | None
) -> None:
    r = await _post(server, "?grant_type=password", content=content)
    assert r.status_code == 400
    body = r.json()
    assert body["error_code"] == "bad_json"
    assert body["msg"].startswith("Could not parse request body as JSON: ")
    if message is not None:
        assert body["msg"] == message


@pytest.mark.parametrize(
    "query", ["", "?grant_type=", "?grant_type=magic", "?grant=password", "?grant_type=pkce"]
)
async def test_missing_or_unknown_grant_type(server: RealtimeServer, query: str) -> None:
    r = await _post(server, query, {"email": "alice@example.com", "password": "alice-password"})
    assert r.status_code == 400
    assert r.json() == {
        "code": 400,
        "error_code": "invalid_credentials",
        "msg": "unsupported_grant_type",
    }


async def test_the_gateway_wants_one_of_the_keys(server: RealtimeServer) -> None:
    body = {"email": "alice@example.com", "password": "alice-password"}
    missing = await _post(server, "?grant_type=password", body, apikey=None)
    assert missing.status_code == 401
    assert missing.json() == {"message": "No API key found in request"}
    wrong = await _post(server, "?grant_type=password", body, apikey="not-a-key")
    assert wrong.status_code == 401
    assert wrong.json() == {"message": "Invalid authentication credentials"}
    user_token = (await _sign_in(server))["access_token"]
    as_user = await _post(server, "?grant_type=password", body, apikey=user_token)
    assert as_user.status_code == 401  # a valid JWT is not one of the project's keys
    for key in (server.service_role_key, *server.legacy_keys):
        assert (await _post(server, "?grant_type=password", body, apikey=key)).status_code == 200
    async with httpx.AsyncClient(timeout=5) as http:  # the key in the query, as Kong takes it
        r = await http.post(
            f"{server.url}/auth/v1/token?grant_type=password&apikey={server.anon_key}", json=body
        )
    assert r.status_code == 200
    no_key_user = await _user(server, user_token, apikey="")
    assert no_key_user.status_code == 401


async def test_refresh_rotates_and_the_new_token_works(server: RealtimeServer) -> None:
    first = await _sign_in(server)
    r = await _post(server, "?grant_type=refresh_token", {"refresh_token": first["refresh_token"]})
    assert r.status_code == 200, r.text
    second = r.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert second["user"]["id"] == first["user"]["id"]
    old, new = peek(first["access_token"]), peek(second["access_token"])
    assert old is not None
    assert new is not None
    assert new.claims["session_id"] == old.claims["session_id"]
    assert new.claims["amr"] == old.claims["amr"]  # still the password sign-in
    r = await _post(server, "?grant_type=refresh_token", {"refresh_token": second["refresh_token"]})
    assert r.status_code == 200
    assert r.json()["refresh_token"] not in (first["refresh_token"], second["refresh_token"])


async def test_reusing_a_refresh_token(server: RealtimeServer) -> None:
    """GoTrue's rules: the parent of the active token gets the active one back (a client that
    lost the answer); an older one within the reuse interval gets a new one; after the interval
    the whole session's tokens are revoked ("Already Used")."""
    t0 = (await _sign_in(server))["refresh_token"]
    t1 = (await _post(server, "?grant_type=refresh_token", {"refresh_token": t0})).json()
    again = await _post(server, "?grant_type=refresh_token", {"refresh_token": t0})
    assert again.status_code == 200
    assert again.json()["refresh_token"] == t1["refresh_token"]  # the active one again
    t2 = (
        await _post(server, "?grant_type=refresh_token", {"refresh_token": t1["refresh_token"]})
    ).json()
    # t0 is now a grandparent: within the 10 s interval it still works, with a new token
    within = await _post(server, "?grant_type=refresh_token", {"refresh_token": t0})
    assert within.status_code == 200
    assert within.json()["refresh_token"] not in (t0, t1["refresh_token"], t2["refresh_token"])
    # t1 (used, and no longer the parent of the active token) after the interval
    server.auth_api.clock = lambda: time.time() + 11
    late = await _post(server, "?grant_type=refresh_token", {"refresh_token": t1["refresh_token"]})
    assert late.status_code == 400
    assert late.json() == {
        "code": 400,
        "error_code": "refresh_token_already_used",
        "msg": "Invalid Refresh Token: Already Used",
    }
    # the family is revoked: the newest token no longer refreshes either
    newest = within.json()["refresh_token"]
    r = await _post(server, "?grant_type=refresh_token", {"refresh_token": newest})
    assert r.status_code == 400
    assert r.json()["error_code"] == "refresh_token_already_used"


@pytest.mark.parametrize(
    ("body", "code", "message"),
    [
        ({"refresh_token": "abc"}, "validation_failed", "Refresh token is not valid"),
        ({}, "validation_failed", "Refresh token is not valid"),
        ({"refresh_token": "ABCDEFGHIJKL"}, "validation_failed", "Refresh token is not valid"),
        ({"refresh_token": "x" * 40}, "validation_failed", "Refresh token is not valid"),
        (
            {"refresh_token": "abcdefghijkl"},
            "refresh_token_not_found",
            "Invalid Refresh Token: Refresh Token Not Found",
        ),
        (
            {"refresh_token": 12},
            "bad_json",
            "Could not parse request body as JSON: json: cannot unmarshal number into Go struct "
            "field RefreshTokenGrantParams.refresh_token of type string",
        ),
    ],
)
async def test_refresh_errors(
    server: RealtimeServer, body: dict[str, Any], code: str, message: str
) -> None:
    r = await _post(server, "?grant_type=refresh_token", body)
    assert r.status_code == 400
    assert r.json() == {"code": 400, "error_code": code, "msg": message}


async def test_get_user(server: RealtimeServer) -> None:
    session = await _sign_in(server)
    r = await _user(server, session["access_token"])
    assert r.status_code == 200
    assert r.json()["id"] == session["user"]["id"]
    assert r.json()["email"] == "alice@example.com"
    assert r.json()["user_metadata"] == {"name": "Alice"}
    assert "access_token" not in r.json()


async def test_get_user_errors(server: RealtimeServer) -> None:
    def err(r: httpx.Response) -> tuple[int, str, str]:
        body = r.json()
        return r.status_code, body["error_code"], body["msg"]

    assert err(await _user(server, None)) == (
        401,
        "no_authorization",
        "This endpoint requires a valid Bearer token",
    )
    assert err(await _user(server, "not.a.jwt.at-all")) == (
        403,
        "bad_jwt",
        "invalid JWT: unable to parse or verify signature, token is malformed: token contains "
        "an invalid number of segments",
    )
    assert err(await _user(server, server.anon_key)) == (
        403,
        "bad_jwt",
        "invalid claim: missing sub claim",
    )
    stranger = sign(
        {"role": "authenticated", "exp": int(time.time()) + 60, "sub": str(uuid.uuid4())},
        server.config.jwt_secret,
    )
    assert err(await _user(server, stranger)) == (
        403,
        "user_not_found",
        "User from sub claim in JWT does not exist",
    )
    session = await _sign_in(server)
    claims = dict(peek(session["access_token"]).claims)  # type: ignore[union-attr]
    claims["exp"] = int(time.time()) - 5
    expired = server.signing_key.sign(claims)
    assert err(await _user(server, expired)) == (
        403,
        "bad_jwt",
        "invalid JWT: unable to parse or verify signature, token has invalid claims: token is "
        "expired",
    )
    claims["exp"] = int(time.time()) + 60
    claims["session_id"] = str(uuid.uuid4())
    assert err(await _user(server, server.signing_key.sign(claims))) == (
        403,
        "session_not_found",
        "Session from session_id claim in JWT does not exist",
    )
    other = SigningKey.generate("ES256") if server.signing_key.asymmetric else None
    if other is not None:
        r = await _user(server, other.sign(claims))
        assert err(r)[:2] == (403, "bad_jwt")
        assert f"unrecognized JWT kid {other.kid} for algorithm ES256" in err(r)[2]
    # 2024-01-01 shape
    r = await _user(server, None, **V2024)
    assert r.json() == {
        "code": "no_authorization",
        "message": "This endpoint requires a valid Bearer token",
    }


async def test_cors_preflight_for_browsers(server: RealtimeServer) -> None:
    async with httpx.AsyncClient(timeout=5) as http:
        r = await http.options(f"{server.url}/auth/v1/token?grant_type=password")
    assert r.status_code == 204
    assert "x-supabase-api-version" in r.headers["Access-Control-Allow-Headers"]


async def test_passwords_and_tokens_never_reach_the_log(
    server: RealtimeServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")
    session = await _sign_in(server)
    await _post(server, "?grant_type=password", {"email": "alice@example.com", "password": "bad"})
    await _post(server, "?grant_type=refresh_token", {"refresh_token": session["refresh_token"]})
    text = caplog.text
    assert "alice-password" not in text
    assert session["refresh_token"] not in text
    assert "eyJ" not in text
    assert "alice-password" not in repr(server.users)
    assert "alice-password" not in repr(server.users.users if server.users else ())


async def test_without_users_there_is_no_sign_in(tmp_path: Path) -> None:
    async with RealtimeServer(ServerConfig(port=0)) as server, httpx.AsyncClient() as http:
        r = await http.post(
            f"{server.url}/auth/v1/token?grant_type=password",
            json={"email": "a@b", "password": "p"},
            headers={"apikey": server.anon_key},
        )
        assert r.status_code == 404
        jwks = await http.get(f"{server.url}/auth/v1/.well-known/jwks.json")
        assert jwks.json() == {"keys": []}  # HS256: no key is served


async def _logout(server: RealtimeServer, token: str, scope: str | None = None) -> httpx.Response:
    query = f"?scope={scope}" if scope is not None else ""
    async with httpx.AsyncClient(timeout=5) as http:
        return await http.post(
            f"{server.url}/auth/v1/logout{query}",
            headers={"apikey": server.anon_key, "Authorization": f"Bearer {token}"},
        )


async def test_logout_scopes(server: RealtimeServer) -> None:
    a, b, c = [await _sign_in(server) for _ in range(3)]
    bad = await _logout(server, a["access_token"], "everywhere")
    assert bad.status_code == 400
    assert bad.json()["msg"] == 'Unsupported logout scope "everywhere"'
    local = await _logout(server, a["access_token"], "local")
    assert local.status_code == 204
    assert local.content == b""
    gone = await _post(server, "?grant_type=refresh_token", {"refresh_token": a["refresh_token"]})
    assert gone.json()["error_code"] == "refresh_token_not_found"
    assert (await _user(server, a["access_token"])).json()["error_code"] == "session_not_found"
    assert (await _user(server, b["access_token"])).status_code == 200
    assert (await _logout(server, b["access_token"], "others")).status_code == 204
    assert (await _user(server, b["access_token"])).status_code == 200
    assert (await _user(server, c["access_token"])).status_code == 403
    assert (await _logout(server, b["access_token"])).status_code == 204  # global
    assert (await _user(server, b["access_token"])).status_code == 403
    assert (await _logout(server, "nope")).status_code == 403
